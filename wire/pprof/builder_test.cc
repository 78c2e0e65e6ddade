#include "wire/pprof/builder.h"

#include <gtest/gtest.h>

namespace quartet::pprof {
namespace {

TEST(ProfileBuilder, InternsEverything) {
  ProfileBuilder b;
  EXPECT_EQ(b.String(""), 0);
  int64_t a = b.String("a");
  EXPECT_EQ(b.String("a"), a);
  EXPECT_NE(b.String("b"), a);

  uint64_t m1 = b.Mapping(0x1000, 0x2000, 0, "/lib/x.so", "id", true);
  EXPECT_EQ(b.Mapping(0x1000, 0x9999, 0, "/other", "", false), m1);
  uint64_t m2 = b.Mapping(0x3000, 0x4000, 0, "/lib/y.so", "", false);
  EXPECT_NE(m1, m2);

  uint64_t f1 = b.Function("f", "_Z1fv", "/lib/x.so");
  EXPECT_EQ(b.Function("f", "_Z1fv", "/lib/x.so"), f1);
  EXPECT_NE(b.Function("f", "_Z1fv", "/lib/y.so"), f1);

  uint64_t l1 = b.LocationForAddress(0x1010, m1, f1);
  EXPECT_EQ(b.LocationForAddress(0x1010, m2, 0), l1);
  EXPECT_NE(b.LocationForAddress(0x1011, m1, f1), l1);
  uint64_t s1 = b.LocationForFunction(f1);
  EXPECT_EQ(b.LocationForFunction(f1), s1);
  EXPECT_NE(s1, l1);

  const Profile& p = b.profile();
  EXPECT_EQ(p.mapping.size(), 2u);
  EXPECT_EQ(p.function.size(), 2u);
  EXPECT_EQ(p.location.size(), 3u);
  for (size_t i = 0; i < p.location.size(); ++i) EXPECT_EQ(p.location[i].id, i + 1);
}

TEST(ProfileBuilder, OutputDecodes) {
  ProfileBuilder b;
  b.AddSampleType("samples", "count");
  uint64_t f = b.Function("g", "", "");
  b.AddSample({b.LocationForFunction(f)}, {5}, {{"n", "", 3, ""}});
  auto d = Decode(Encode(b.profile()));
  ASSERT_TRUE(d.ok()) << d.status().ToString();
  ASSERT_EQ(d->sample.size(), 1u);
  EXPECT_EQ(d->sample[0].value[0], 5);
  EXPECT_EQ(d->sample[0].label[0].num, 3);
  EXPECT_EQ(d->sample[0].label[0].str, 0);
}

}  // namespace
}  // namespace quartet::pprof

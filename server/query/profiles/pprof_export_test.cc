#include "server/query/profiles/pprof_export.h"

#include <gtest/gtest.h>

#include "server/query/profiles/test_profiles.h"

namespace quartet::profiles {
namespace {

TEST(PprofExportTest, RoundTripsThroughTheWireFormat) {
  MergedStacks m =
      ptest::Merge({{{"main;handle;scan", 300}, {"main;handle;render", 40}, {"main", 2}},
                    {{"main;handle;scan", 100}, {"main;gc;gc", 6}}});
  ProfileType type = *ParseProfileType("process_cpu:cpu:nanoseconds:cpu:nanoseconds");
  pprof::Profile p = ToPprof(m, type, 1'000'000'000'000, 3'600'000'000'000, 10'000'000);
  Result<pprof::Profile> decoded = pprof::Decode(pprof::Encode(p));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->sample_type.size(), 1u);
  EXPECT_EQ(decoded->StringAt(decoded->sample_type[0].type), "cpu");
  EXPECT_EQ(decoded->StringAt(decoded->sample_type[0].unit), "nanoseconds");
  EXPECT_EQ(decoded->StringAt(decoded->period_type.type), "cpu");
  EXPECT_EQ(decoded->period, 10'000'000);
  EXPECT_EQ(decoded->time_nanos, 1'000'000'000'000);
  EXPECT_EQ(decoded->duration_nanos, 3'600'000'000'000);
  // One function and one location per distinct name; one sample per stack.
  EXPECT_EQ(decoded->function.size(), m.names.size());
  EXPECT_EQ(decoded->location.size(), m.names.size());
  EXPECT_EQ(decoded->sample.size(), m.stacks.size());
  StackMerger again;
  EXPECT_EQ(again.Add(*decoded), m.total);
  EXPECT_EQ(ptest::Folded(again.stacks()), ptest::Folded(m));
}

TEST(PprofExportTest, EmptyIsValid) {
  ProfileType type = *ParseProfileType("memory:alloc_space:bytes:space:bytes");
  Result<pprof::Profile> decoded = pprof::Decode(pprof::Encode(ToPprof({}, type, 0, 0)));
  ASSERT_TRUE(decoded.ok());
  EXPECT_TRUE(decoded->sample.empty());
  EXPECT_EQ(decoded->StringAt(decoded->sample_type[0].unit), "bytes");
}

}  // namespace
}  // namespace quartet::profiles

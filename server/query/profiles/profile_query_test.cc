#include "server/query/profiles/profile_query.h"

#include <gtest/gtest.h>

#include "server/query/profiles/memory_profile_store.h"
#include "server/query/profiles/test_profiles.h"

namespace quartet::profiles {
namespace {

using ptest::Folded;
using ptest::MakeProfile;
using Map = std::map<std::string, int64_t>;

constexpr int64_t kS = 1'000'000'000;
constexpr char kCpu[] = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

store::StoredProfile Stored(std::string service, int64_t t_s,
                            const std::vector<ptest::TestSample>& samples,
                            std::string type = kCpu) {
  store::StoredProfile p;
  p.labels = {{"__name__", "process_cpu"}, {"service_name", std::move(service)}};
  p.profile_type = std::move(type);
  p.time_ns = t_s * kS;
  p.duration_ns = 10 * kS;
  p.profile = MakeProfile(samples, p.time_ns);
  return p;
}

TEST(ProfileTypeTest, ParseTableDriven) {
  Result<ProfileType> t = ParseProfileType(kCpu);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->name, "process_cpu");
  EXPECT_EQ(t->sample_type, "cpu");
  EXPECT_EQ(t->sample_unit, "nanoseconds");
  EXPECT_EQ(t->Id(), kCpu);
  EXPECT_EQ(t->Units(), "samples");
  EXPECT_EQ(t->SampleRate(), 1'000'000'000);
  struct Case {
    const char* id;
    const char* units;
  };
  for (Case c : {Case{"memory:alloc_space:bytes:space:bytes", "bytes"},
                 Case{"memory:inuse_objects:count:space:bytes", "objects"},
                 Case{"wall:wall:nanoseconds:wall:nanoseconds", "samples"}}) {
    Result<ProfileType> p = ParseProfileType(c.id);
    ASSERT_TRUE(p.ok()) << c.id;
    EXPECT_EQ(p->Units(), c.units);
  }
  for (const char* bad : {"", "process_cpu", "a:b:c:d", "a:b:c:d:e:f", "a::c:d:e", "a:b:c:d:"}) {
    Result<ProfileType> p = ParseProfileType(bad);
    ASSERT_FALSE(p.ok()) << bad;
    EXPECT_EQ(p.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(p.status().message().find("invalid profile type"), std::string_view::npos);
  }
}

TEST(TimelineTest, StepsAndAlignment) {
  Timeline t = Timeline::Make(1005 * kS, 1065 * kS, 0);
  EXPECT_EQ(t.step_ns, 10 * kS);
  EXPECT_EQ(t.start_ns, 1000 * kS);
  EXPECT_EQ(t.samples.size(), 7u);  // 1000..1070
  t.Add(1000 * kS, 1);
  t.Add(1009 * kS, 2);
  t.Add(1060 * kS, 5);
  t.Add(999 * kS, 100);   // before: ignored
  t.Add(1070 * kS, 100);  // after: ignored
  EXPECT_EQ(t.samples, (std::vector<int64_t>{3, 0, 0, 0, 0, 0, 5}));
  std::string json;
  AppendTimelineJson(&json, t);
  EXPECT_EQ(json, "{\"startTime\":1000,\"samples\":[3,0,0,0,0,0,5],\"durationDelta\":10}");
  // A day at most 1024 points: steps of a multiple of 10 s.
  Timeline day = Timeline::Make(0, 86400 * kS, 0);
  EXPECT_EQ(day.step_ns, 90 * kS);
  EXPECT_LE(day.samples.size(), 1024u);
  EXPECT_EQ(Timeline::Make(0, 60 * kS, 15 * kS).samples.size(), 4u);
}

TEST(MergeSelectionTest, SelectsByTypeLabelsAndTime) {
  MemoryProfileStore store;
  store.Add(Stored("checkout", 1000, {{"main;scan", 30}, {"main;render", 10}}));
  store.Add(Stored("checkout", 1010, {{"main;scan", 50}}));
  store.Add(Stored("cart", 1000, {{"main;cart", 7}}));
  store.Add(Stored("checkout", 2000, {{"main;late", 9}}));
  store.Add(Stored("checkout", 1000, {{"main;alloc", 1}}, "memory:alloc_space:bytes:space:bytes"));

  Selection sel;
  sel.type = *ParseProfileType(kCpu);
  sel.matchers = {{"service_name", store::LabelMatch::Op::kEq, "checkout"}};
  sel.range = {1000 * kS, 1100 * kS};
  Timeline timeline = Timeline::Make(sel.range.start_ns, sel.range.end_ns, 10 * kS);
  Result<MergeResult> r = MergeSelection(&store, sel, &timeline);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->profiles, 2);
  EXPECT_EQ(Folded(r->stacks), (Map{{"main;render", 10}, {"main;scan", 80}}));
  EXPECT_EQ(r->stacks.total, 90);
  EXPECT_EQ(timeline.samples[0], 40);
  EXPECT_EQ(timeline.samples[1], 50);

  // Span filter through the selection.
  store.Add(Stored("checkout", 1020, {{"main;span_work", 11, "aa"}, {"main;other", 3, "bb"}}));
  sel.filter = {"span_id", {"aa"}};
  r = MergeSelection(&store, sel, nullptr);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(Folded(r->stacks), (Map{{"main;span_work", 11}}));

  // A bad regex is the store's InvalidArgument.
  sel.matchers = {{"service_name", store::LabelMatch::Op::kRe, "("}};
  r = MergeSelection(&store, sel, nullptr);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quartet::profiles

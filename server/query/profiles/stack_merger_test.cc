#include "server/query/profiles/stack_merger.h"

#include <gtest/gtest.h>

#include "server/query/profiles/test_profiles.h"

namespace quartet::profiles {
namespace {

using ptest::Folded;
using ptest::MakeProfile;
using ptest::Merge;
using ptest::TestSample;
using Map = std::map<std::string, int64_t>;

TEST(StackMergerTest, MergesProfilesTableDriven) {
  struct Case {
    const char* name;
    std::vector<std::vector<TestSample>> profiles;
    SampleFilter filter;
    Map want;
    int64_t want_total;
  };
  const Case cases[] = {
      {"one profile",
       {{{"main;work", 10}, {"main;work;hash", 5}, {"main", 1}}},
       {},
       {{"main", 1}, {"main;work", 10}, {"main;work;hash", 5}},
       16},
      {"same stacks in two profiles are summed",
       {{{"main;work", 10}, {"main;idle", 3}}, {{"main;work", 7}}},
       {},
       {{"main;idle", 3}, {"main;work", 17}},
       20},
      {"the same stack twice in one profile", {{{"a;b", 1}, {"a;b", 2}}}, {}, {{"a;b", 3}}, 3},
      {"zero values are skipped", {{{"a;b", 0}, {"a", 4}}}, {}, {{"a", 4}}, 4},
      {"recursion keeps every frame", {{{"a;a;a", 2}}}, {}, {{"a;a;a", 2}}, 2},
      {"span filter keeps only that span's samples (case-insensitive)",
       {{{"main;scan", 40, "00f067aa0ba902b7"},
         {"main;render", 30, "1111111111111111"},
         {"main;gc", 5, ""}}},
       {"span_id", {"00F067AA0BA902B7"}},
       {{"main;scan", 40}},
       40},
      {"span filter with several spans",
       {{{"main;scan", 40, "aa"}, {"main;render", 30, "bb"}}, {{"main;scan", 2, "cc"}}},
       {"span_id", {"aa", "cc"}},
       {{"main;scan", 42}},
       42},
      {"span filter matching nothing", {{{"main", 1, "aa"}}}, {"span_id", {"zz"}}, {}, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    MergedStacks m = Merge(c.profiles, c.filter);
    EXPECT_EQ(Folded(m), c.want);
    EXPECT_EQ(m.total, c.want_total);
  }
}

TEST(StackMergerTest, AddReturnsAcceptedSum) {
  StackMerger m(SampleFilter{"span_id", {"aa"}});
  EXPECT_EQ(m.Add(MakeProfile({{"x", 3, "aa"}, {"y", 4, "bb"}})), 3);
  EXPECT_EQ(m.Add(MakeProfile({{"x", 5, "aa"}})), 5);
  EXPECT_EQ(m.stacks().total, 8);
}

TEST(StackMergerTest, ExpandsInlineFramesOutermostFirst) {
  pprof::ProfileBuilder b;
  b.AddSampleType("cpu", "nanoseconds");
  uint64_t main_fn = b.Function("main", "main", "");
  uint64_t outer = b.Function("Outer", "_Z5Outerv", "");
  uint64_t inner = b.Function("Inner", "_Z5Innerv", "");
  uint64_t main_loc = b.LocationForAddress(0x1000, 0, main_fn);
  uint64_t leaf = b.LocationForAddress(0x2000, 0, inner);
  pprof::Profile p = b.Release();
  // Inner was inlined into Outer at 0x2000: lines innermost first.
  p.location[leaf - 1].line.push_back({outer, 12, 0});
  p.sample.push_back({{leaf, main_loc}, {7}, {}});
  StackMerger m;
  m.Add(p);
  EXPECT_EQ(Folded(m.stacks()), (Map{{"main;Outer;Inner", 7}}));
}

TEST(StackMergerTest, NamesUnsymbolizedFramesByAddress) {
  pprof::ProfileBuilder b;
  b.AddSampleType("cpu", "nanoseconds");
  uint64_t main_fn = b.Function("main", "main", "");
  uint64_t anon = b.Function("", "_Zanon", "");  // no name: the system name is used
  uint64_t main_loc = b.LocationForAddress(0x1000, 0, main_fn);
  uint64_t raw = b.LocationForAddress(0x4012ab, 0, 0);
  uint64_t sys = b.LocationForAddress(0x5000, 0, anon);
  pprof::Profile p = b.Release();
  p.sample.push_back({{raw, main_loc}, {1}, {}});
  p.sample.push_back({{sys, main_loc}, {2}, {}});
  p.sample.push_back({{999, main_loc}, {4}, {}});  // a location id the profile lacks
  StackMerger m;
  m.Add(p);
  EXPECT_EQ(Folded(m.stacks()),
            (Map{{"main;0x4012ab", 1}, {"main;_Zanon", 2}, {"main;unknown", 4}}));
}

TEST(StackMergerTest, SparseIdsResolve) {
  pprof::Profile p = MakeProfile({{"main;work", 3}});
  // Renumber functions and locations with huge ids.
  for (pprof::Function& f : p.function) f.id += 1'000'000'000'000;
  for (pprof::Location& l : p.location) {
    l.id += 5'000'000'000;
    for (pprof::Line& line : l.line) line.function_id += 1'000'000'000'000;
  }
  for (pprof::Sample& s : p.sample) {
    for (uint64_t& id : s.location_id) id += 5'000'000'000;
  }
  StackMerger m;
  m.Add(p);
  EXPECT_EQ(Folded(m.stacks()), (Map{{"main;work", 3}}));
}

TEST(StackMergerTest, ManyDistinctStacksSurviveGrowth) {
  StackMerger m;
  Map want;
  for (int i = 0; i < 5000; ++i) {
    std::string a = "f" + std::to_string(i % 70), b = "g" + std::to_string(i);
    std::string_view frames[] = {"main", a, b};
    m.AddStack(frames, i + 1);
    m.AddStack(frames, 1);
    want["main;" + a + ";" + b] = i + 2;
  }
  EXPECT_EQ(Folded(m.stacks()), want);
  EXPECT_EQ(m.stacks().stacks.size(), 5000u);
}

}  // namespace
}  // namespace quartet::profiles

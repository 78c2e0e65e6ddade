#include "server/query/profiles/function_stats.h"

#include <gtest/gtest.h>

#include "server/query/profiles/test_profiles.h"

namespace quartet::profiles {
namespace {

using ptest::Merge;

TEST(TopFunctionsTest, SelfAndTotalTableDriven) {
  MergedStacks m = Merge({{{"main;work", 10},
                           {"main;work;hash", 5},
                           {"main", 1},
                           {"main;idle", 4},
                           {"main;work;work", 2}}});
  struct Case {
    TopOrder order;
    size_t limit;
    std::vector<FunctionStat> want;
  };
  const Case cases[] = {
      {TopOrder::kSelf, 0, {{"work", 12, 17}, {"hash", 5, 5}, {"idle", 4, 4}, {"main", 1, 22}}},
      {TopOrder::kTotal, 0, {{"main", 1, 22}, {"work", 12, 17}, {"hash", 5, 5}, {"idle", 4, 4}}},
      {TopOrder::kSelf, 2, {{"work", 12, 17}, {"hash", 5, 5}}},
      {TopOrder::kTotal, 1, {{"main", 1, 22}}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(TopFunctions(m, c.order, c.limit), c.want);
  }
}

TEST(TopFunctionsTest, TiesBreakByName) {
  MergedStacks m = Merge({{{"b", 3}, {"a", 3}, {"c", 3}}});
  std::vector<FunctionStat> want = {{"a", 3, 3}, {"b", 3, 3}, {"c", 3, 3}};
  EXPECT_EQ(TopFunctions(m, TopOrder::kSelf, 0), want);
}

TEST(DiffFunctionsTest, SharesAndSignedChanges) {
  MergedStacks left = Merge({{{"main;work", 10}, {"main;idle", 10}}});
  MergedStacks right = Merge({{{"main;work", 30}, {"main;scan", 10}}});
  std::vector<FunctionDiff> d = DiffFunctions(left, right, 0);
  struct Want {
    std::string name;
    int64_t ls, lt, rs, rt;
    double self_change, total_change;
  };
  const Want wants[] = {
      {"idle", 10, 10, 0, 0, -0.5, -0.5},
      {"scan", 0, 0, 10, 10, 0.25, 0.25},
      {"work", 10, 10, 30, 30, 0.25, 0.25},
      {"main", 0, 20, 0, 40, 0, 0},
  };
  ASSERT_EQ(d.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    SCOPED_TRACE(wants[i].name);
    EXPECT_EQ(d[i].name, wants[i].name);
    EXPECT_EQ(d[i].left_self, wants[i].ls);
    EXPECT_EQ(d[i].left_total, wants[i].lt);
    EXPECT_EQ(d[i].right_self, wants[i].rs);
    EXPECT_EQ(d[i].right_total, wants[i].rt);
    EXPECT_DOUBLE_EQ(d[i].self_share_change, wants[i].self_change);
    EXPECT_DOUBLE_EQ(d[i].total_share_change, wants[i].total_change);
  }
  EXPECT_DOUBLE_EQ(d[2].left_self_share, 0.5);
  EXPECT_DOUBLE_EQ(d[2].right_self_share, 0.75);
  EXPECT_EQ(DiffFunctions(left, right, 1).size(), 1u);
}

// The acceptance case: the hot function changes between windows;
// its share rises with the right sign and size.
TEST(DiffFunctionsTest, HotFunctionChange) {
  MergedStacks baseline = Merge({{{"main;handle;lookup_index", 80}, {"main;handle;render", 20}}});
  MergedStacks incident = Merge({{{"main;handle;scan_table", 360}, {"main;handle;render", 40}}});
  std::vector<FunctionDiff> d = DiffFunctions(baseline, incident, 0);
  ASSERT_GE(d.size(), 2u);
  EXPECT_EQ(d[0].name, "scan_table");
  EXPECT_DOUBLE_EQ(d[0].self_share_change, 0.9);
  EXPECT_EQ(d[1].name, "lookup_index");
  EXPECT_DOUBLE_EQ(d[1].self_share_change, -0.8);
}

TEST(DiffFunctionsTest, EmptySidesHaveZeroShares) {
  MergedStacks right = Merge({{{"a", 5}}});
  std::vector<FunctionDiff> d = DiffFunctions(MergedStacks{}, right, 0);
  ASSERT_EQ(d.size(), 1u);
  EXPECT_DOUBLE_EQ(d[0].left_self_share, 0);
  EXPECT_DOUBLE_EQ(d[0].right_self_share, 1);
  EXPECT_DOUBLE_EQ(d[0].self_share_change, 1);
}

}  // namespace
}  // namespace quartet::profiles

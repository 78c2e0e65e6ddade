#include "server/query/profiles/flame_tree.h"

#include <gtest/gtest.h>

#include "server/query/profiles/flamebearer.h"
#include "server/query/profiles/test_profiles.h"

namespace quartet::profiles {
namespace {

using ptest::Merge;
using Levels = std::vector<std::vector<int64_t>>;

const std::vector<std::vector<ptest::TestSample>> kWork = {
    {{"main;work", 10}, {"main;work;hash", 5}, {"main", 1}}, {{"main;idle", 4}}};

TEST(FlameTreeTest, SelfAndTotalPerNode) {
  FlameTree t = FlameTree::Build(Merge(kWork));
  struct Want {
    std::vector<std::string_view> path;
    int64_t self, total;
  };
  const Want wants[] = {
      {{}, 0, 20},
      {{"main"}, 1, 20},
      {{"main", "work"}, 10, 15},
      {{"main", "work", "hash"}, 5, 5},
      {{"main", "idle"}, 4, 4},
  };
  for (const Want& w : wants) {
    const FlameNode* n = t.Find(w.path);
    ASSERT_NE(n, nullptr) << w.path.size();
    EXPECT_EQ(n->self[0], w.self);
    EXPECT_EQ(n->total[0], w.total);
  }
  EXPECT_EQ(t.Find({"work"}), nullptr);
  EXPECT_EQ(t.Find({"main", "hash"}), nullptr);
  // Children in name order.
  const FlameNode* main = t.Find({"main"});
  EXPECT_EQ(t.NameOf(t.nodes()[main->first_child]), "idle");
}

TEST(FlamebearerTest, SingleLevelsAreDeltaEncoded) {
  Flamebearer fb = ToFlamebearer(FlameTree::Build(Merge(kWork)), 0);
  EXPECT_FALSE(fb.diff);
  EXPECT_EQ(fb.names, (std::vector<std::string>{"total", "main", "idle", "work", "hash"}));
  EXPECT_EQ(fb.levels,
            (Levels{{0, 20, 0, 0}, {0, 20, 1, 1}, {1, 4, 4, 2, 0, 15, 10, 3}, {15, 5, 5, 4}}));
  EXPECT_EQ(fb.num_ticks, 20);
  EXPECT_EQ(fb.max_self, 10);
  std::string json;
  AppendFlamebearerJson(&json, fb);
  EXPECT_EQ(json,
            "{\"names\":[\"total\",\"main\",\"idle\",\"work\",\"hash\"],\"levels\":[[0,20,0,0],"
            "[0,20,1,1],[1,4,4,2,0,15,10,3],[15,5,5,4]],\"numTicks\":20,\"maxSelf\":10}");
}

TEST(FlamebearerTest, MaxNodesFoldsNarrowNodesIntoOther) {
  Flamebearer fb = ToFlamebearer(FlameTree::Build(Merge(kWork)), 3);
  EXPECT_EQ(fb.names, (std::vector<std::string>{"total", "main", "work", "other"}));
  EXPECT_EQ(fb.levels,
            (Levels{{0, 20, 0, 0}, {0, 20, 1, 1}, {1, 15, 10, 2, 0, 4, 4, 3}, {11, 5, 5, 3}}));
  EXPECT_EQ(fb.num_ticks, 20);
}

TEST(FlamebearerTest, DoubleForDiff) {
  MergedStacks left = Merge({{{"main;work", 10}, {"main;idle", 10}}});
  MergedStacks right = Merge({{{"main;work", 30}, {"main;scan", 10}}});
  FlameTree t = FlameTree::BuildDiff(left, right);
  ASSERT_TRUE(t.is_diff());
  const FlameNode* work = t.Find({"main", "work"});
  ASSERT_NE(work, nullptr);
  EXPECT_EQ(work->total[0], 10);
  EXPECT_EQ(work->total[1], 30);
  Flamebearer fb = ToFlamebearer(t, 0);
  EXPECT_TRUE(fb.diff);
  EXPECT_EQ(fb.names, (std::vector<std::string>{"total", "main", "idle", "scan", "work"}));
  EXPECT_EQ(fb.levels,
            (Levels{{0, 20, 0, 0, 40, 0, 0},
                    {0, 20, 0, 0, 40, 0, 1},
                    {0, 10, 10, 0, 0, 0, 2, 0, 0, 0, 0, 10, 10, 3, 0, 10, 10, 0, 30, 30, 4}}));
  EXPECT_EQ(fb.num_ticks, 60);
  EXPECT_EQ(fb.left_ticks, 20);
  EXPECT_EQ(fb.right_ticks, 40);
  EXPECT_EQ(fb.max_self, 30);
}

TEST(FlamebearerTest, EmptySelectionIsARootOnly) {
  Flamebearer fb = ToFlamebearer(FlameTree::Build(MergedStacks{}), 1024);
  EXPECT_EQ(fb.names, (std::vector<std::string>{"total"}));
  EXPECT_EQ(fb.levels, (Levels{{0, 0, 0, 0}}));
  EXPECT_EQ(fb.num_ticks, 0);
}

// Every level's nodes, decoded, lie within their parent and do not overlap:
// the invariant the UI relies on, checked on a larger random tree.
TEST(FlamebearerTest, DecodedLevelsNest) {
  StackMerger m;
  uint64_t seed = 42;
  auto next = [&] {
    seed = seed * 6364136223846793005ull + 1442695040888963407ull;
    return seed >> 33;
  };
  for (int i = 0; i < 3000; ++i) {
    std::vector<std::string> names;
    int depth = 1 + next() % 8;
    for (int d = 0; d < depth; ++d) names.push_back("f" + std::to_string(next() % 5));
    std::vector<std::string_view> views(names.begin(), names.end());
    m.AddStack(views, 1 + next() % 100);
  }
  for (int64_t max_nodes : {0, 50}) {
    Flamebearer fb = ToFlamebearer(FlameTree::Build(m.stacks()), max_nodes);
    EXPECT_EQ(fb.num_ticks, m.stacks().total);
    std::vector<std::vector<std::pair<int64_t, int64_t>>> spans(fb.levels.size());
    for (size_t l = 0; l < fb.levels.size(); ++l) {
      int64_t end = 0;
      for (size_t i = 0; i < fb.levels[l].size(); i += 4) {
        int64_t x = end + fb.levels[l][i];
        ASSERT_GE(fb.levels[l][i], 0);
        spans[l].push_back({x, x + fb.levels[l][i + 1]});
        end = x + fb.levels[l][i + 1];
      }
    }
    for (size_t l = 1; l < spans.size(); ++l) {
      for (auto [lo, hi] : spans[l]) {
        bool inside = false;
        for (auto [plo, phi] : spans[l - 1]) inside |= (lo >= plo && hi <= phi);
        EXPECT_TRUE(inside) << "level " << l << " [" << lo << "," << hi << ")";
      }
    }
    if (max_nodes > 0) {
      size_t nodes = 0;
      for (const auto& level : fb.levels) nodes += level.size() / 4;
      EXPECT_LT(nodes, 200u);  // 50 kept plus at most one "other" per kept node
    }
  }
}

}  // namespace
}  // namespace quartet::profiles

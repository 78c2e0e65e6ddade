#include "server/incident/stats.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>

namespace quartet::incident {
namespace {

TEST(QuantileTest, InterpolatesBetweenRanks) {
  const std::vector<double> v = {1, 2, 3, 4, 5};
  struct Case {
    double q, want;
  };
  for (const Case& c : {Case{0, 1}, Case{0.5, 3}, Case{1, 5}, Case{0.25, 2}, Case{0.9, 4.6},
                        Case{-1, 1}, Case{2, 5}}) {
    EXPECT_DOUBLE_EQ(Quantile(v, c.q), c.want) << c.q;
  }
  EXPECT_EQ(Quantile({}, 0.5), 0);
  EXPECT_EQ(Quantile({7}, 0.99), 7);
}

TEST(TwoProportionZTest, SignAndMagnitude) {
  // 50/1000 against 10/1000: a real difference (z ~ 5.3).
  EXPECT_NEAR(TwoProportionZ(50, 1000, 10, 1000), 5.27, 0.05);
  EXPECT_LT(TwoProportionZ(10, 1000, 50, 1000), -5);
  // Same shares: no evidence.
  EXPECT_NEAR(TwoProportionZ(10, 1000, 20, 2000), 0, 1e-12);
  // Small counts: even a big share difference is weak evidence.
  EXPECT_LT(TwoProportionZ(2, 4, 1, 10), 2);
  // Degenerate inputs.
  EXPECT_EQ(TwoProportionZ(0, 0, 1, 10), 0);
  EXPECT_EQ(TwoProportionZ(0, 10, 0, 10), 0);
  EXPECT_EQ(TwoProportionZ(10, 10, 10, 10), 0);
}

TEST(LiftTest, SmoothedSoUnseenValuesAreFinite) {
  EXPECT_NEAR(Lift(50, 100, 10, 198), 0.5 / (11.0 / 200), 1e-9);
  EXPECT_TRUE(std::isfinite(Lift(10, 10, 0, 1000)));
  EXPECT_GT(Lift(10, 10, 0, 1000), 100);
  EXPECT_EQ(Lift(1, 0, 0, 10), 0);
}

TEST(ReservoirTest, KeepsAllUntilFullThenAUniformSample) {
  Reservoir<int> r(100, 42);
  for (int i = 0; i < 100000; ++i) {
    size_t slot;
    if (r.Admit(&slot)) r.Put(slot, i);
  }
  ASSERT_EQ(r.items().size(), 100u);
  EXPECT_EQ(r.seen(), 100000);
  // Uniform: about half the kept items come from each half of the stream.
  int late = 0;
  for (int v : r.items()) late += v >= 50000;
  EXPECT_GT(late, 30);
  EXPECT_LT(late, 70);

  Reservoir<int> small(3);
  for (int i = 0; i < 3; ++i) {
    size_t slot;
    ASSERT_TRUE(small.Admit(&slot));
    small.Put(slot, i);
  }
  EXPECT_EQ(small.items(), (std::vector<int>{0, 1, 2}));
  Reservoir<int> none(0);
  size_t slot;
  EXPECT_FALSE(none.Admit(&slot));
}

// The engine reads logs for the first items only: after Shuffle any prefix
// spans the whole stream, even when the reservoir never filled (it then
// holds the stream in order).
TEST(ReservoirTest, ShuffleMakesAPrefixUniform) {
  Reservoir<int> r(1500, 7);
  for (int i = 0; i < 1000; ++i) {
    size_t slot;
    ASSERT_TRUE(r.Admit(&slot));
    r.Put(slot, i);
  }
  r.Shuffle();
  std::vector<int> all = r.items();
  std::sort(all.begin(), all.end());
  for (int i = 0; i < 1000; ++i) ASSERT_EQ(all[static_cast<size_t>(i)], i);  // a permutation
  int late = 0;
  for (size_t i = 0; i < 100; ++i) late += r.items()[i] >= 500;
  EXPECT_GT(late, 30);
  EXPECT_LT(late, 70);
}

TEST(FindOnsetTest, FirstBucketOfASustainedRise) {
  auto series = [](std::vector<int> bad) {
    std::vector<RateBucket> out;
    for (int b : bad) out.push_back({100, b});
    return out;
  };
  struct Case {
    const char* name;
    std::vector<RateBucket> buckets;
    double baseline;
    std::optional<size_t> want;
  };
  const Case cases[] = {
      {"step", series({1, 2, 1, 1, 30, 32, 29, 31}), 0.01, 4},
      {"from the start", series({30, 32, 29, 31}), 0.01, 0},
      {"one noisy bucket before the step", series({1, 25, 1, 1, 1, 30, 31, 33, 30}), 0.01, 5},
      {"healthy", series({1, 2, 1, 1, 2, 1}), 0.015, std::nullopt},
      {"empty", {}, 0.01, std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(FindOnset(c.buckets, c.baseline, 3), c.want) << c.name;
  // Buckets below the minimum count are skipped.
  std::vector<RateBucket> sparse = {{100, 1}, {2, 2}, {100, 1}, {100, 40}, {100, 41}};
  EXPECT_EQ(FindOnset(sparse, 0.01, 3), 3u);
}

}  // namespace
}  // namespace quartet::incident

// DeltaToCumulative: running totals, order, bucket changes and the memory
// bounds (stream limit, idle eviction).
#include "server/ingest/otlp/delta_to_cumulative.h"

#include <gtest/gtest.h>

namespace quartet::ingest {
namespace {

using Verdict = DeltaToCumulative::Verdict;

TEST(DeltaToCumulativeTest, SumsAccumulateInOrderOnly) {
  DeltaToCumulative d;
  struct Step {
    uint64_t t;
    double delta;
    Verdict verdict;
    double total;
  };
  const Step steps[] = {
      {100, 5, Verdict::kOk, 5},         {200, 1, Verdict::kOk, 6},
      {200, 1, Verdict::kOutOfOrder, 0}, {150, 9, Verdict::kOutOfOrder, 0},
      {400, 0.5, Verdict::kOk, 6.5},
  };
  for (const Step& s : steps) {
    double v = s.delta;
    EXPECT_EQ(d.AddSum("a", s.t, &v, 0), s.verdict) << s.t;
    if (s.verdict == Verdict::kOk) {
      EXPECT_EQ(v, s.total) << s.t;
    }
  }
  double other = 2;
  EXPECT_EQ(d.AddSum("b", 1, &other, 0), Verdict::kOk);
  EXPECT_EQ(other, 2) << "streams are independent";
  EXPECT_EQ(d.stats().out_of_order, 2);
  d.Forget("a");
  double restart = 3;
  EXPECT_EQ(d.AddSum("a", 50, &restart, 0), Verdict::kOk);
  EXPECT_EQ(restart, 3) << "a forgotten stream starts over";
}

TEST(DeltaToCumulativeTest, HistogramsStartOverWhenBoundsChange) {
  DeltaToCumulative d;
  const std::vector<double> bounds = {1, 2};
  std::vector<uint64_t> counts = {1, 2, 3};
  uint64_t count = 6;
  double sum = 10;
  ASSERT_EQ(d.AddHistogram("h", 1, bounds, &counts, &count, &sum, 0), Verdict::kOk);
  counts = {1, 0, 0};
  count = 1;
  sum = 0.5;
  ASSERT_EQ(d.AddHistogram("h", 2, bounds, &counts, &count, &sum, 0), Verdict::kOk);
  EXPECT_EQ(counts, (std::vector<uint64_t>{2, 2, 3}));
  EXPECT_EQ(count, 7u);
  EXPECT_EQ(sum, 10.5);
  const std::vector<double> other = {1, 5};
  counts = {4, 0, 0};
  count = 4;
  sum = 1;
  ASSERT_EQ(d.AddHistogram("h", 3, other, &counts, &count, &sum, 0), Verdict::kOk);
  EXPECT_EQ(counts, (std::vector<uint64_t>{4, 0, 0}));
  EXPECT_EQ(count, 4u);
}

TEST(DeltaToCumulativeTest, BoundedStreamsAndIdleEviction) {
  DeltaToCumulative d({.max_streams = 2, .max_idle_ns = 1000});
  double v = 1;
  EXPECT_EQ(d.AddSum("a", 1, &v, 0), Verdict::kOk);
  v = 1;
  EXPECT_EQ(d.AddSum("b", 1, &v, 500), Verdict::kOk);
  v = 1;
  EXPECT_EQ(d.AddSum("c", 1, &v, 600), Verdict::kOverLimit);
  EXPECT_EQ(d.stats().over_limit, 1);
  v = 1;
  EXPECT_EQ(d.AddSum("a", 2, &v, 700), Verdict::kOk);
  EXPECT_EQ(v, 2) << "an existing stream is still served at the limit";
  // At 1600 "b" (last seen 500) is idle for 1100 > 1000: forgotten for "c".
  v = 1;
  EXPECT_EQ(d.AddSum("c", 1, &v, 1600), Verdict::kOk);
  EXPECT_EQ(d.stats().evicted, 1);
  EXPECT_EQ(d.stats().streams, 2);
}

}  // namespace
}  // namespace quartet::ingest

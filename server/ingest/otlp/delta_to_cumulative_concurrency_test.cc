// DeltaToCumulative under concurrent exports (run under TSan): threads adding
// to their own streams get exact totals, and on one shared stream the running
// total equals the sum of the deltas it accepted (none double counted, none
// lost), however the threads interleave.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server/ingest/otlp/delta_to_cumulative.h"

namespace quartet::ingest {
namespace {

TEST(DeltaToCumulativeConcurrencyTest, TotalsAreExact) {
  DeltaToCumulative d({.max_streams = 64, .max_idle_ns = 1'000'000'000});
  constexpr int kThreads = 4;
  constexpr int kAdds = 5000;
  std::atomic<uint64_t> shared_time{0};
  std::vector<double> own_total(kThreads, 0);
  std::vector<int64_t> shared_accepted(kThreads, 0);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      const std::string own = "own" + std::to_string(t);
      for (int i = 1; i <= kAdds; ++i) {
        double v = 1;
        ASSERT_EQ(d.AddSum(own, static_cast<uint64_t>(i), &v, i), DeltaToCumulative::Verdict::kOk);
        own_total[t] = v;
        double s = 1;
        const uint64_t time = shared_time.fetch_add(1) + 1;
        if (d.AddSum("shared", time, &s, i) == DeltaToCumulative::Verdict::kOk) {
          ++shared_accepted[t];
        }
        if (i % 500 == 0) (void)d.stats();
      }
    });
  }
  for (std::thread& t : threads) t.join();
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(own_total[t], kAdds) << t;
  int64_t accepted = 0;
  for (int64_t n : shared_accepted) accepted += n;
  double total = 0;  // the next delta reads the running total back
  ASSERT_EQ(d.AddSum("shared", shared_time.load() + 1, &total, kAdds),
            DeltaToCumulative::Verdict::kOk);
  EXPECT_EQ(total, static_cast<double>(accepted));
  EXPECT_EQ(d.stats().out_of_order, kThreads * int64_t{kAdds} - accepted);
}

}  // namespace
}  // namespace quartet::ingest

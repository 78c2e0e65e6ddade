#include "server/store/traces/scan_pool.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace quartet::store {
namespace {

TEST(ScanPoolTest, RunsEveryIndexExactlyOnce) {
  for (size_t workers : {0, 1, 3}) {
    ScanPool pool(workers);
    for (size_t n : {0, 1, 2, 17, 1000}) {
      std::vector<std::atomic<int>> runs(n);
      pool.ParallelFor(n, [&](size_t i) { runs[i].fetch_add(1); });
      for (size_t i = 0; i < n; ++i)
        ASSERT_EQ(runs[i].load(), 1) << workers << " " << n << " " << i;
    }
  }
}

TEST(ScanPoolConcurrencyTest, ConcurrentCallersShareTheWorkers) {
  ScanPool pool(2);
  std::vector<std::thread> callers;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    callers.emplace_back([&, t] {
      for (int round = 0; round < 50; ++round) {
        const size_t n = 10 + static_cast<size_t>((t * 13 + round) % 50);
        std::vector<size_t> out(n, 0);
        pool.ParallelFor(n, [&](size_t i) { out[i] = i * i + static_cast<size_t>(t); });
        for (size_t i = 0; i < n; ++i) wrong += out[i] != i * i + static_cast<size_t>(t);
      }
    });
  }
  for (auto& c : callers) c.join();
  EXPECT_EQ(wrong.load(), 0);
}

}  // namespace
}  // namespace quartet::store

#include "sdk/trace/bounded_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace quartet::trace_internal {
namespace {

TEST(BoundedQueueTest, FifoAndCapacityNotPowerOfTwo) {
  BoundedQueue<int> q(3);
  EXPECT_TRUE(q.TryPush(1));
  EXPECT_TRUE(q.TryPush(2));
  EXPECT_TRUE(q.TryPush(3));
  EXPECT_FALSE(q.TryPush(4));
  EXPECT_EQ(q.SizeApprox(), 3u);
  int v;
  for (int want : {1, 2, 3}) {
    ASSERT_TRUE(q.TryPop(&v));
    EXPECT_EQ(v, want);
  }
  EXPECT_FALSE(q.TryPop(&v));
  // Wrap around several laps.
  for (int i = 0; i < 10; ++i) {
    ASSERT_TRUE(q.TryPush(i));
    ASSERT_TRUE(q.TryPop(&v));
    EXPECT_EQ(v, i);
  }
}

TEST(BoundedQueueTest, ConcurrentProducersOneConsumerLoseNothing) {
  BoundedQueue<int> q(64);
  constexpr int kProducers = 4;
  constexpr int kPerProducer = 20000;
  std::atomic<int> done{0};
  std::vector<std::thread> producers;
  for (int p = 0; p < kProducers; ++p) {
    producers.emplace_back([&, p] {
      for (int i = 0; i < kPerProducer; ++i) {
        while (!q.TryPush(p * kPerProducer + i)) std::this_thread::yield();
      }
      done.fetch_add(1);
    });
  }
  std::vector<int> last(kProducers, -1);
  long long sum = 0;
  int count = 0;
  int v;
  while (count < kProducers * kPerProducer) {
    if (!q.TryPop(&v)) {
      std::this_thread::yield();
      continue;
    }
    const int p = v / kPerProducer;
    EXPECT_GT(v, last[p]);  // per-producer order is kept
    last[p] = v;
    sum += v;
    ++count;
  }
  for (auto& t : producers) t.join();
  const long long n = static_cast<long long>(kProducers) * kPerProducer;
  EXPECT_EQ(sum, n * (n - 1) / 2);
}

}  // namespace
}  // namespace quartet::trace_internal

#include "sdk/profile/sample_queue.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstring>
#include <thread>
#include <vector>

namespace quartet::profile_internal {
namespace {

RawSample MakeSample(uint32_t depth, uintptr_t base) {
  RawSample s;
  s.depth = depth;
  for (uint32_t i = 0; i < depth; ++i) s.pcs[i] = base + i;
  s.has_span = true;
  s.span_id[0] = static_cast<uint8_t>(base);
  s.span_name_len = 3;
  std::memcpy(s.span_name, "abc", 3);
  return s;
}

TEST(SampleQueue, FifoAndFullDrops) {
  SampleQueue q(3);  // rounds up to 4
  EXPECT_EQ(q.capacity(), 4u);
  for (uintptr_t i = 0; i < 4; ++i) EXPECT_TRUE(q.TryPush(MakeSample(2 + i, 100 * i)));
  EXPECT_FALSE(q.TryPush(MakeSample(1, 9)));  // full
  RawSample out;
  for (uintptr_t i = 0; i < 4; ++i) {
    ASSERT_TRUE(q.TryPop(&out));
    EXPECT_EQ(out.depth, 2 + i);
    EXPECT_EQ(out.pcs[0], 100 * i);
    EXPECT_EQ(out.pcs[out.depth - 1], 100 * i + out.depth - 1);
    EXPECT_EQ(std::string(out.span_name, out.span_name_len), "abc");
  }
  EXPECT_FALSE(q.TryPop(&out));
  // Wraps around.
  EXPECT_TRUE(q.TryPush(MakeSample(5, 7)));
  ASSERT_TRUE(q.TryPop(&out));
  EXPECT_EQ(out.depth, 5u);
}

TEST(SampleQueue, ManyProducersOneConsumerLoseNothingUnaccounted) {
  SampleQueue q(256);
  constexpr int kThreads = 4;
  constexpr int kPerThread = 20000;
  std::atomic<int> pushed{0}, dropped{0};
  std::atomic<bool> done{false};
  std::vector<std::thread> producers;
  for (int t = 0; t < kThreads; ++t) {
    producers.emplace_back([&, t] {
      for (int i = 0; i < kPerThread; ++i) {
        RawSample s = MakeSample(3, static_cast<uintptr_t>(t) << 32 | static_cast<uintptr_t>(i));
        if (q.TryPush(s)) {
          pushed.fetch_add(1);
        } else {
          dropped.fetch_add(1);
        }
      }
    });
  }
  int popped = 0;
  std::vector<int> last(kThreads, -1);
  std::thread consumer([&] {
    RawSample s;
    for (;;) {
      if (q.TryPop(&s)) {
        ++popped;
        int t = static_cast<int>(s.pcs[0] >> 32);
        int i = static_cast<int>(s.pcs[0] & 0xffffffff);
        // Per producer, order is kept and frames are intact.
        EXPECT_GT(i, last[t]);
        last[t] = i;
        EXPECT_EQ(s.pcs[2], s.pcs[0] + 2);
      } else if (done.load()) {
        if (!q.TryPop(&s)) break;
        ++popped;
      }
    }
  });
  for (auto& p : producers) p.join();
  done.store(true);
  consumer.join();
  EXPECT_EQ(pushed.load() + dropped.load(), kThreads * kPerThread);
  EXPECT_EQ(popped, pushed.load());
  EXPECT_GT(pushed.load(), 0);
}

}  // namespace
}  // namespace quartet::profile_internal

// The thread profile: N threads parked in a known function show up as N in
// that stack; a thread that blocks the signal is counted without a stack and
// does not hold the collection past its timeout; a late signal is harmless.
#include "sdk/profile/thread_sampler.h"

#include <gtest/gtest.h>
#include <signal.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "sdk/profile/profile_test_util.h"

namespace quartet::profile_internal {
namespace {

// TSan runs a background thread of its own that blocks every signal: it
// never answers, so collections there wait out their timeout (kept short).
#if defined(__SANITIZE_THREAD__)
constexpr uint32_t kSilentThreads = 1;
constexpr auto kTimeout = std::chrono::milliseconds(300);
#else
constexpr uint32_t kSilentThreads = 0;
constexpr auto kTimeout = std::chrono::milliseconds(2000);
#endif

struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> waiting{0};
};

__attribute__((noipa)) void ParkedInKnownFunction(Gate* gate) {
  std::unique_lock<std::mutex> lock(gate->mu);
  gate->waiting.fetch_add(1);
  gate->cv.wait(lock, [gate] { return gate->open; });
}

__attribute__((noipa)) void ParkedWithSignalBlocked(Gate* gate) {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGURG);
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  ParkedInKnownFunction(gate);
}

void Open(Gate* gate, std::vector<std::thread>* threads) {
  {
    std::lock_guard<std::mutex> lock(gate->mu);
    gate->open = true;
  }
  gate->cv.notify_all();
  for (auto& t : *threads) t.join();
}

TEST(ThreadSampler, CountsThreadsParkedInAKnownFunction) {
  constexpr int kThreads = 7;
  Gate gate;
  std::vector<std::thread> threads;
  for (int i = 0; i < kThreads; ++i) threads.emplace_back(ParkedInKnownFunction, &gate);
  while (gate.waiting.load() < kThreads) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  auto start = std::chrono::steady_clock::now();
  ThreadDump dump = CollectThreadStacks(kTimeout);
  auto took = std::chrono::steady_clock::now() - start;
  if (kSilentThreads == 0) {
    EXPECT_LT(took, kTimeout / 2);  // all answered, no timeout
  }
  EXPECT_EQ(dump.unanswered, kSilentThreads);
  EXPECT_GE(dump.threads.size(), static_cast<size_t>(kThreads + 1));  // + this one

  Symbolizer symbolizer;
  pprof::Profile p = BuildThreadProfile(dump, &symbolizer, UnixNanos());
  EXPECT_EQ(p.StringAt(p.sample_type[0].type), "threads");
  EXPECT_EQ(p.StringAt(p.sample_type[0].unit), "count");
  EXPECT_EQ(SumWhereStackHas(p, "ParkedInKnownFunction", "threads"), kThreads);
  // The collecting thread is in its own stack.
  EXPECT_EQ(SumWhereStackHas(p, "CountsThreadsParkedInAKnownFunction", "threads"), 1);
  int64_t total = 0;
  for (const auto& s : p.sample) total += s.value[0];
  EXPECT_EQ(total, static_cast<int64_t>(dump.threads.size()));
  Open(&gate, &threads);
}

TEST(ThreadSampler, BlockedSignalCountsWithoutStackWithinTimeout) {
  Gate gate;
  std::vector<std::thread> threads;
  threads.emplace_back(ParkedWithSignalBlocked, &gate);
  threads.emplace_back(ParkedInKnownFunction, &gate);
  while (gate.waiting.load() < 2) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  auto start = std::chrono::steady_clock::now();
  ThreadDump dump = CollectThreadStacks(std::chrono::milliseconds(100));
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, std::chrono::milliseconds(100));
  EXPECT_LT(took, std::chrono::milliseconds(1500));
  EXPECT_EQ(dump.unanswered, 1u + kSilentThreads);
  Symbolizer symbolizer;
  pprof::Profile p = BuildThreadProfile(dump, &symbolizer, UnixNanos());
  EXPECT_EQ(SumWhereStackHas(p, "[no stack", "threads"), 1 + kSilentThreads);
  EXPECT_EQ(SumWhereStackHas(p, "ParkedInKnownFunction", "threads"), 1);

  // The blocked thread takes its (stale) signal when it unblocks on exit:
  // ignored. A second collection is unaffected.
  Open(&gate, &threads);
  ThreadDump again = CollectThreadStacks(kTimeout);
  EXPECT_EQ(again.unanswered, kSilentThreads);
}

TEST(ThreadSampler, ConcurrentCollectionsSerialize) {
  std::vector<std::thread> collectors;
  std::atomic<int> ok{0};
  std::atomic<int> finished{0};
  for (int i = 0; i < 4; ++i) {
    collectors.emplace_back([&ok, &finished] {
      for (int j = 0; j < 3; ++j) {
        ThreadDump d = CollectThreadStacks(kTimeout);
        if (d.unanswered == kSilentThreads && d.threads.size() >= 1) ok.fetch_add(1);
      }
      // A thread that is exiting blocks signals and rightly counts as
      // unanswered: none may exit while another still collects.
      finished.fetch_add(1);
      while (finished.load() < 4) std::this_thread::yield();
    });
  }
  for (auto& t : collectors) t.join();
  EXPECT_EQ(ok.load(), 12);
}

}  // namespace
}  // namespace quartet::profile_internal

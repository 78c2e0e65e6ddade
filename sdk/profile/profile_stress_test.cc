// Stress: threads start and exit while allocating (every allocation path,
// sampled at a tiny interval), the profiler starts and stops over and over
// while heap and thread profiles are taken and CPU signals fly, and the
// process forks in the middle; the child allocates, takes thread stacks and
// runs its own profiler. Nothing may crash or deadlock (a hung child fails
// the test), and the heap books balance once everything is freed.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quartet/profile.h"
#include "sdk/profile/heap_sampler.h"
#include "sdk/profile/thread_sampler.h"

namespace quartet {
namespace {

using Clock = std::chrono::steady_clock;

// GCC 12's ASan and TSan runtimes do not lock their allocators around fork:
// a child forked while another thread is inside malloc can deadlock in the
// runtime itself. There the test forks only while the other threads wait at
// this gate (no profiler running); elsewhere it forks in the thick of it.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool kGateForks = true;
#else
constexpr bool kGateForks = false;
#endif
struct ForkGate {
  std::mutex mu;
  std::condition_variable cv;
  bool paused = false;
  int active = 0;

  // Stops new entries and waits for the active ones to leave.
  void Pause() {
    std::unique_lock<std::mutex> lock(mu);
    paused = true;
    cv.wait(lock, [this] { return active == 0; });
  }
  void Resume() {
    std::lock_guard<std::mutex> lock(mu);
    paused = false;
    cv.notify_all();
  }
};
ForkGate g_gate;

struct GateHold {
  GateHold() {
    if (!kGateForks) return;
    std::unique_lock<std::mutex> lock(g_gate.mu);
    g_gate.cv.wait(lock, [] { return !g_gate.paused; });
    ++g_gate.active;
  }
  ~GateHold() {
    if (!kGateForks) return;
    std::lock_guard<std::mutex> lock(g_gate.mu);
    --g_gate.active;
    g_gate.cv.notify_all();
  }
};

__attribute__((noipa)) size_t Churn(int seed) {
  size_t sum = 0;
  std::vector<std::string> strings;
  std::map<int, std::vector<int>> maps;
  for (int i = 0; i < 200; ++i) {
    strings.emplace_back(static_cast<size_t>(32 + (seed * 7 + i) % 300), 'x');
    maps[i % 17].resize(static_cast<size_t>(i % 50));
    void* p = malloc(static_cast<size_t>(16 + i * 13));
    p = realloc(p, static_cast<size_t>(64 + i * 29));
    void* q = nullptr;
    if (posix_memalign(&q, 64, 256) == 0) free(q);
    sum += strings.back().size() + reinterpret_cast<uintptr_t>(p) % 3;
    free(p);
  }
  return sum;
}

// Waits for `pid` at most 20 s; a deadlocked child is killed and reported.
int WaitChild(pid_t pid) {
  int status = 0;
  for (int waited = 0; waited < 2000; ++waited) {
    if (waitpid(pid, &status, WNOHANG) == pid) return status;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

TEST(ProfileStress, ThreadChurnForkAndRestartsNeitherCrashNorDeadlock) {
  // At least 4 s, and on until the minimum counts below are reached: under
  // TSan on a loaded machine one restart (a fresh symbolizer reading the
  // test binary's line tables) can take over a second. 60 s is a deadlock.
  const auto end = Clock::now() + std::chrono::seconds(4);
  const auto deadline = Clock::now() + std::chrono::seconds(60);
  constexpr int kMinForks = 3, kMinRestarts = 5;
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> work{0}, spawned{0};

  // Installs the thread sampler's handler before any fork (see Install()).
  (void)profile_internal::CollectThreadStacks(std::chrono::milliseconds(200));

  std::vector<std::thread> spawners;
  for (int s = 0; s < 3; ++s) {
    spawners.emplace_back([&, s] {
      while (!stop.load()) {
        GateHold hold;
        std::vector<std::thread> batch;
        for (int i = 0; i < 4; ++i) {
          batch.emplace_back([&, i] { work.fetch_add(Churn(s * 4 + i)); });
        }
        for (auto& t : batch) t.join();
        spawned.fetch_add(4);
      }
    });
  }

  std::atomic<int> restarts{0}, profiles{0};
  std::thread controller([&] {
    ProfilerOptions o;
    o.cpu_hz = 250;
    o.heap_sample_interval = 4096;  // sample a lot
    o.upload_interval = std::chrono::milliseconds(100);
    while (!stop.load()) {
      GateHold hold;
      auto profiler = Profiler::Start(o);
      if (profiler == nullptr) continue;
      if (!profiler->HeapProfile().empty()) profiles.fetch_add(1);
      if (!profiler->ThreadProfile().empty()) profiles.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(30));
      profiler->Stop();
      restarts.fetch_add(1);
    }
  });

  int forks = 0, bad_children = 0;
  while ((Clock::now() < end || forks < kMinForks || restarts.load() < kMinRestarts) &&
         Clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(400));
    if (kGateForks) g_gate.Pause();
    pid_t pid = fork();
    if (kGateForks && pid != 0) g_gate.Resume();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = Churn(99) > 0 ? 0 : 5;
      auto dump = profile_internal::CollectThreadStacks(std::chrono::milliseconds(500));
      if (dump.threads.size() != 1 || dump.unanswered != 0) code = 6;  // only this thread
#if !defined(__SANITIZE_THREAD__)
      // (TSan cannot start threads after a multi-threaded fork.)
      ProfilerOptions o;
      o.heap_sample_interval = 4096;
      auto own = Profiler::Start(o);
      if (own == nullptr) code = 7;
      if (own) {
        Churn(7);
        if (profile_internal::HeapSamplingSupported() && own->HeapProfile().empty()) code = 8;
        own->Stop();
      }
#endif
      _exit(code);
    }
    ++forks;
    int status = WaitChild(pid);
    if (status == -1 || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
      ++bad_children;
      ADD_FAILURE() << "child status " << status;
    }
  }
  stop.store(true);
  controller.join();
  for (auto& t : spawners) t.join();

  EXPECT_GE(forks, kMinForks);
  EXPECT_EQ(bad_children, 0);
  EXPECT_GE(restarts.load(), kMinRestarts);
  EXPECT_GE(spawned.load(), 20u);
  EXPECT_GT(work.load(), 0u);
  EXPECT_GE(profiles.load(), 5);

  // With the profiler stopped, a fresh session balances to zero live blocks.
  if (profile_internal::HeapSamplingSupported()) {
    ASSERT_TRUE(profile_internal::EnableHeapSampling(1));
    std::vector<std::thread> last;
    for (int i = 0; i < 4; ++i) last.emplace_back([i] { Churn(i); });
    for (auto& t : last) t.join();
    profile_internal::DisableHeapSampling();
    EXPECT_LT(profile_internal::HeapLiveSampled(), 64u);  // only the test's own blocks
  }
}

}  // namespace
}  // namespace quartet

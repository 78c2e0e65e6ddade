// quartet::Profiler end to end: uploads decode with wire/pprof and carry the
// Pyroscope name and tags; span-labelled samples name the span that was
// running; start/stop/fork/thread churn neither crash nor deadlock; nothing
// is sampled after Stop.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <thread>
#include <vector>

#include "quartet/profile.h"
#include "quartet/trace.h"
#include "sdk/profile/test_receiver.h"
#include "sdk/trace/test_util.h"
#include "wire/pprof/profile.h"

namespace quartet {
namespace {

using profile_internal::Captured;
using profile_internal::TestReceiver;

__attribute__((noipa)) uint64_t Burn(std::chrono::milliseconds cpu) {
  // Spins until this thread has used `cpu` of CPU time.
  timespec start;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &start);
  uint64_t x = 1;
  for (;;) {
    for (int i = 0; i < 10000; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
      asm volatile("" : "+r"(x));
    }
    timespec now;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now);
    int64_t used = (now.tv_sec - start.tv_sec) * 1000000000LL + (now.tv_nsec - start.tv_nsec);
    if (used >= std::chrono::nanoseconds(cpu).count()) return x;
  }
}

// Sums samples/count by span_name label ("" for none) and checks that every
// span_name comes with a span_id.
std::map<std::string, int64_t> BySpan(const pprof::Profile& p,
                                      std::map<std::string, std::string>* ids = nullptr) {
  std::map<std::string, int64_t> out;
  for (const auto& s : p.sample) {
    std::string name, id;
    for (const auto& l : s.label) {
      if (p.StringAt(l.key) == "span_name") name = p.StringAt(l.str);
      if (p.StringAt(l.key) == "span_id") id = p.StringAt(l.str);
    }
    if (!name.empty()) {
      EXPECT_EQ(id.size(), 16u) << name;
    }
    if (ids != nullptr && !name.empty()) (*ids)[name] = id;
    out[name] += s.value[0];
  }
  return out;
}

TEST(Profiler, UploadsCarryNameTagsAndSpanLabels) {
  TestReceiver receiver;
  trace_internal::TestProvider traces;
  ProfilerOptions o;
  o.service = "checkout";
  o.version = "1.4.2";
  o.environment = "test";
  o.server_address = receiver.address();
  o.cpu_hz = 200;
  o.upload_interval = std::chrono::milliseconds(300);
  std::string error;
  auto profiler = Profiler::Start(o, &error);
  ASSERT_NE(profiler, nullptr) << error;

  std::string span_id;
  {
    Span span = traces.tracer().StartSpan("checkout-request");
    span_id = span.context().span_id.ToHex();
    Scope scope(span);
    Burn(std::chrono::milliseconds(200));
  }
  Burn(std::chrono::milliseconds(100));  // outside any span
  profiler->Stop();                      // sends the last partial profile

  std::vector<Captured> got = receiver.captured();
  ASSERT_FALSE(got.empty());
  std::map<std::string, int64_t> totals;
  std::map<std::string, std::string> ids;
  for (const Captured& c : got) {
    // The heap and thread profiles ride along (profiler_heap_test.cc).
    if (c.name.starts_with("checkout.memory{") || c.name.starts_with("checkout.threads{")) continue;
    EXPECT_EQ(c.name, "checkout.cpu{env=test,service_name=checkout,service_version=1.4.2}");
    EXPECT_EQ(c.format, "pprof");
    EXPECT_EQ(c.spy, "quartet-cpp");
    EXPECT_EQ(c.sample_rate, "200");
    EXPECT_EQ(c.content_type, "application/octet-stream");
    EXPECT_LE(std::stoll(c.from), std::stoll(c.until));
    ASSERT_GE(c.body.size(), 2u);
    EXPECT_EQ(static_cast<uint8_t>(c.body[0]), 0x1f);  // gzip
    auto p = pprof::DecodeMaybeGzip(c.body);
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    EXPECT_EQ(p->StringAt(p->sample_type[1].type), "cpu");
    EXPECT_EQ(p->StringAt(p->sample_type[1].unit), "nanoseconds");
    EXPECT_EQ(p->period, 5000000);
    for (const auto& [k, v] : BySpan(*p, &ids)) totals[k] += v;
  }
  // 200 ms in the span at 200 Hz is ~40 samples; 100 ms outside ~20.
  EXPECT_GE(totals["checkout-request"], 20);
  EXPECT_GE(totals[""], 5);
  EXPECT_EQ(ids["checkout-request"], span_id);
  EXPECT_EQ(totals.size(), 2u);
  ProfilerStats st = profiler->stats();
  EXPECT_EQ(st.uploads, got.size());
  EXPECT_GE(st.samples, 25u);
  EXPECT_EQ(st.threads, 0u);  // all disarmed
}

TEST(Profiler, RejectsBadOptionsAndASecondProfiler) {
  std::string error;
  ProfilerOptions bad;
  bad.cpu_hz = 0;
  EXPECT_EQ(Profiler::Start(bad, &error), nullptr);
  EXPECT_EQ(error, "cpu_hz must be in 1..1000");
  ProfilerOptions no_service;
  no_service.server_address = "http://127.0.0.1:1";
  EXPECT_EQ(Profiler::Start(no_service, &error), nullptr);
  EXPECT_NE(error.find("service"), std::string::npos);

  auto first = Profiler::Start(ProfilerOptions{}, &error);
  ASSERT_NE(first, nullptr) << error;
  EXPECT_EQ(Profiler::Start(ProfilerOptions{}, &error), nullptr);
  EXPECT_NE(error.find("already running"), std::string::npos) << error;
  first->Stop();
  auto second = Profiler::Start(ProfilerOptions{}, &error);
  EXPECT_NE(second, nullptr) << error;
}

TEST(Profiler, StopRestoresTheHandlerAndNothingIsSampledAfter) {
  struct sigaction before;
  sigaction(SIGPROF, nullptr, &before);
  ProfilerOptions o;
  o.cpu_hz = 500;
  auto profiler = Profiler::Start(o);
  ASSERT_NE(profiler, nullptr);
  Burn(std::chrono::milliseconds(100));
  profiler->Stop();
  profiler->Stop();  // idempotent
  uint64_t samples = profiler->stats().samples;
  EXPECT_GT(samples, 0u);
  struct sigaction after;
  sigaction(SIGPROF, nullptr, &after);
  EXPECT_EQ(after.sa_handler, before.sa_handler);
  EXPECT_EQ(after.sa_flags & SA_SIGINFO, before.sa_flags & SA_SIGINFO);
  Burn(std::chrono::milliseconds(100));
  EXPECT_EQ(profiler->stats().samples, samples);
  EXPECT_TRUE(profiler->CpuProfile(std::chrono::seconds(1)).empty());
}

TEST(Profiler, CpuProfileCoversOnlyItsWindowAndStopCutsItShort) {
  auto profiler = Profiler::Start(ProfilerOptions{});
  ASSERT_NE(profiler, nullptr);
  std::string result;
  std::thread waiter([&] { result = profiler->CpuProfile(std::chrono::seconds(60)); });
  Burn(std::chrono::milliseconds(200));
  auto t0 = std::chrono::steady_clock::now();
  profiler->Stop();
  waiter.join();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(10));
  auto p = pprof::DecodeMaybeGzip(result);
  ASSERT_TRUE(p.ok()) << p.status().ToString();
  EXPECT_GT(p->duration_nanos, 0);
}

TEST(Profiler, SurvivesThreadChurnRepeatedStartStopAndSignals) {
  std::atomic<bool> stop{false};
  // Threads are born and die continuously while profilers come and go.
  std::thread spawner([&] {
    while (!stop.load()) {
      std::vector<std::thread> wave;
      for (int i = 0; i < 8; ++i) wave.emplace_back([] { Burn(std::chrono::milliseconds(3)); });
      for (auto& t : wave) t.join();
    }
  });
  uint64_t total_samples = 0;
  for (int round = 0; round < 8; ++round) {
    ProfilerOptions o;
    o.cpu_hz = 1000;
    auto profiler = Profiler::Start(o);
    ASSERT_NE(profiler, nullptr) << round;
    Burn(std::chrono::milliseconds(10));
    if (round == 3) {
      // A SIGPROF from elsewhere is counted and ignored, not taken for a sample.
      kill(getpid(), SIGPROF);
      Burn(std::chrono::milliseconds(5));
      EXPECT_GE(profiler->stats().foreign_signals, 1u);
    }
    if (round % 4 == 0) {
      std::string p = profiler->CpuProfile(std::chrono::seconds(1));
      EXPECT_TRUE(pprof::DecodeMaybeGzip(p).ok());
    }
    profiler->Stop();
    total_samples += profiler->stats().samples;
  }
  stop.store(true);
  spawner.join();
  EXPECT_GT(total_samples, 10u);
}

TEST(Profiler, ForkedChildHasNoProfilerAndCanStartItsOwn) {
  ProfilerOptions o;
  o.cpu_hz = 1000;
  auto profiler = Profiler::Start(o);
  ASSERT_NE(profiler, nullptr);
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    while (!stop.load()) Burn(std::chrono::milliseconds(5));
  });
  Burn(std::chrono::milliseconds(30));
  for (int i = 0; i < 3; ++i) {
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      // Child: only this thread exists; SIGPROF is back to its default and
      // the inherited profiler object is inert.
      struct sigaction now;
      sigaction(SIGPROF, nullptr, &now);
      int code = now.sa_handler == SIG_DFL ? 0 : 2;
      if (!profiler->CpuProfile(std::chrono::seconds(1)).empty()) code = 3;
      profiler->Stop();
#if !defined(__SANITIZE_THREAD__)
      // (TSan cannot start threads after a multi-threaded fork.)
      auto own = Profiler::Start(o);
      if (own == nullptr) code = 4;
      if (own) {
        Burn(std::chrono::milliseconds(20));
        own->Stop();
      }
#endif
      _exit(code);
    }
    int status = 0;
    for (int waited = 0; waited < 2000; ++waited) {  // 20 s: a deadlock fails, not hangs
      if (waitpid(pid, &status, WNOHANG) == pid) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      if (waited == 1999) {
        kill(pid, SIGKILL);
        waitpid(pid, &status, 0);
        FAIL() << "child deadlocked";
      }
    }
    ASSERT_TRUE(WIFEXITED(status)) << status;
    EXPECT_EQ(WEXITSTATUS(status), 0);
  }
  stop.store(true);
  busy.join();
  profiler->Stop();
  EXPECT_GT(profiler->stats().samples, 0u);
}

}  // namespace
}  // namespace quartet

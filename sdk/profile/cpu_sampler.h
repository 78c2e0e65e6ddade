// CpuSampler: the signal side of the CPU profiler. It installs a SIGPROF
// handler and gives every thread of the process its own POSIX timer on that
// thread's CPU-time clock, delivered to that thread (SIGEV_THREAD_ID), so each
// thread is sampled in proportion to the CPU it burns — unlike
// setitimer(ITIMER_PROF), whose one process-wide signal goes to whichever
// thread the kernel picks and under-counts when several threads are busy.
// Threads are found by listing /proc/self/task in SyncThreads(), which the
// owner calls periodically: a thread born since the last call is not sampled
// until the next one (every 200 ms).
//
// The handler is async-signal-safe: no allocation, no locks, errno kept. It
// unwinds with _Unwind_Backtrace (libgcc's DWARF CFI unwinder: correct
// without frame pointers; on glibc >= 2.35 it finds unwind tables through
// the lock-free _dl_find_object, so it takes no loader lock; warmed up in
// Start() so no lazy binding or one-time initialization happens in the
// handler), reads the thread's current span from sdk/context (plain
// thread-local reads) and pushes a RawSample into the SampleQueue; a full
// queue drops and counts.
//
// Only one sampler may be started at a time in a process (signal dispositions
// are process-wide). Thread-safety: Start, SyncThreads and Stop must be
// called from one thread at a time (the profiler's aggregator); counters are
// atomics readable from anywhere.
#pragma once

#include <sys/types.h>
#include <time.h>

#include <atomic>
#include <cstdint>
#include <unordered_map>

#include "base/status.h"
#include "sdk/profile/sample_queue.h"

namespace quartet::profile_internal {

struct SamplerCounters {
  std::atomic<uint64_t> samples{0};          // pushed to the queue
  std::atomic<uint64_t> queue_full{0};       // dropped: queue full
  std::atomic<uint64_t> foreign_signals{0};  // SIGPROFs not from our timers
  std::atomic<uint64_t> timer_errors{0};     // timer_create/settime failures
};

class CpuSampler {
 public:
  // `queue` and `counters` must outlive the sampler.
  CpuSampler(SampleQueue* queue, SamplerCounters* counters, int hz, bool span_labels);
  ~CpuSampler();  // Stop()
  CpuSampler(const CpuSampler&) = delete;
  CpuSampler& operator=(const CpuSampler&) = delete;

  // Installs the handler and arms timers for the threads running now.
  // FailedPrecondition when another sampler is running.
  Status Start();
  // Arms timers for new threads and deletes those of exited threads.
  void SyncThreads();
  // Deletes every timer, waits for handlers still running, then restores the
  // previous SIGPROF disposition (pending SIGPROFs are discarded first, so a
  // late one cannot reach a default handler that would kill the process).
  // After Stop returns no sample is pushed. Idempotent.
  void Stop();

  size_t armed_threads() const { return timers_.size(); }

  // pthread_atfork child hook: the child has no timers (POSIX timers are not
  // inherited) and no profiler threads; this marks the sampler stopped and
  // restores the previous handler, without touching anything the parent's
  // threads might have held.
  static void AfterForkInChild() noexcept;

 private:
  struct Timer {
    timer_t id;
  };
  bool Arm(pid_t tid, Timer* out);

  SampleQueue* queue_;
  SamplerCounters* counters_;
  long period_ns_;
  bool span_labels_;
  bool started_ = false;
  std::unordered_map<pid_t, Timer> timers_;
};

}  // namespace quartet::profile_internal

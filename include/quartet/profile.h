// Continuous CPU profiling: quartet::Profiler samples every thread of the
// process on its own CPU-time clock (default 100 Hz), folds the stacks into
// pprof profiles with demangled names (static functions and shared libraries
// included) and, when a server address is set, pushes one gzipped pprof
// every upload_interval to a Pyroscope-compatible `/ingest` as
// `<service>.cpu{service_name=..,service_version=..,env=..}`. Samples taken
// while a sampled span is current on the thread carry pprof labels `span_id`
// (16 hex digits) and `span_name`, so one span's flame graph can be cut out.
// CpuProfile() serves Go-style /debug/pprof/profile?seconds=N.
//
// It also samples allocations (malloc's family and operator new/delete, by
// bytes, mean heap_sample_interval; Go's heap profile: alloc_objects,
// alloc_space, inuse_objects, inuse_space, uploaded as `<service>.memory`
// and served by HeapProfile()) and counts the threads in each stack
// (`<service>.threads`, ThreadProfile()). While it runs, root spans record
// `pyroscope.profile.id` = their span id. Allocation sampling is compiled
// out under ASan/TSan (they own malloc): heap profiles are then empty.
//
// Every entry point is noexcept: failures are reported, never thrown. The
// profiler's work happens on two background threads (aggregation, upload);
// the application's threads only take the signal (an unwind and a lock-free
// push, a few microseconds per sample). One profiler at a time per process.
// Safe across thread exit and fork: a forked child has no profiler running
// (call Stop() or destroy the parent's object there; it releases nothing the
// parent owns), and may Start() its own.
//
// Thread-safety: all methods may be called from any thread; Stop() and the
// destructor must not race with each other.
//
//   quartet::ProfilerOptions o;
//   o.service = "checkout"; o.version = "1.4.2"; o.environment = "prod";
//   o.server_address = "http://localhost:4040";
//   std::string error;
//   auto profiler = quartet::Profiler::Start(o, &error);  // null + error on failure
//   ...
//   std::string pprof_gz = profiler->CpuProfile(std::chrono::seconds(30));
#pragma once

#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>
#include <vector>

namespace quartet {

struct ProfilerOptions {
  std::string service;      // canonical service.name: the Pyroscope app name
  std::string version;      // tag service_version
  std::string environment;  // tag env
  // Extra tags on every upload (e.g. {"region", "eu-west-1"}).
  std::map<std::string, std::string> tags;
  // Pyroscope-compatible base URL, e.g. "http://localhost:4040". Empty: no
  // upload (CpuProfile() still works).
  std::string server_address;
  // Extra request headers, e.g. {"X-Scope-OrgID", "tenant"}.
  std::vector<std::pair<std::string, std::string>> headers;

  int cpu_hz = 100;  // per-thread sampling rate, 1..1000 (the kernel tick caps it)
  std::chrono::milliseconds upload_interval{10000};
  std::chrono::milliseconds upload_timeout{5000};  // per request
  int upload_max_attempts = 3;                     // 1 = no retry
  std::chrono::milliseconds upload_initial_backoff{500};
  // How long Stop() may spend sending the last partial profile.
  std::chrono::milliseconds shutdown_timeout{2000};
  bool span_labels = true;    // label samples with span_id / span_name
  size_t max_stacks = 50000;  // distinct (stack, span) keys per profile

  bool heap = true;  // sample allocations (QUARTET_PROFILING_HEAP)
  // Mean bytes allocated between two samples, >= 1 (Go's MemProfileRate).
  int64_t heap_sample_interval = 512 * 1024;
  bool threads = true;                            // upload a thread profile every upload_interval
  std::chrono::milliseconds thread_timeout{200};  // wait for every thread's stack
  bool root_span_profile_id = true;               // root spans get pyroscope.profile.id
};

struct ProfilerStats {
  uint64_t samples = 0;          // stack samples taken
  uint64_t samples_dropped = 0;  // lost: hand-off queue full or too many distinct stacks
  uint64_t foreign_signals = 0;  // SIGPROFs not sent by the profiler (ignored)
  uint64_t threads = 0;          // threads with an armed timer now
  uint64_t timer_errors = 0;
  uint64_t uploads = 0;  // profiles accepted by the server
  uint64_t upload_retries = 0;
  uint64_t uploads_dropped = 0;    // after the last attempt, a 4xx, or a full upload queue
  bool heap_sampling = false;      // allocation sampling is running
  uint64_t heap_live_sampled = 0;  // sampled blocks not freed yet
  uint64_t heap_dropped = 0;       // sampled allocations lost to full tables
};

class Profiler {
 public:
  // Starts profiling. Returns null (and the reason in *error when given) if
  // another profiler is running, the options are invalid (cpu_hz outside
  // 1..1000; server_address set without service) or the signal/timer set-up
  // fails.
  static std::unique_ptr<Profiler> Start(const ProfilerOptions& options,
                                         std::string* error = nullptr) noexcept;

  ~Profiler();  // Stop()
  Profiler(const Profiler&) = delete;
  Profiler& operator=(const Profiler&) = delete;

  // Disarms every timer, waits for in-flight samples, restores the previous
  // SIGPROF disposition (no sample is taken after it returns), sends the last
  // partial profile within shutdown_timeout and joins the threads.
  // Idempotent.
  void Stop() noexcept;

  // Blocks the calling thread for `duration` (<= 0: 30 s, capped at 1 h; cut
  // short by Stop) and returns the gzipped pprof CPU profile of that window,
  // as Go's /debug/pprof/profile?seconds=N does. Empty if the profiler is
  // stopped or on failure.
  std::string CpuProfile(std::chrono::seconds duration) noexcept;

  // Go's /debug/pprof/heap: the gzipped pprof heap profile now (alloc_* since
  // Start, in-use now). Empty if stopped, heap sampling is off, or on failure;
  // without samples where allocation sampling is unavailable (ASan/TSan).
  std::string HeapProfile() noexcept;

  // The gzipped pprof thread profile (threads/count per stack) now, waiting
  // at most thread_timeout for the stacks. Empty if stopped or on failure.
  std::string ThreadProfile() noexcept;

  ProfilerStats stats() const noexcept;

  class Impl;

 private:
  explicit Profiler(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quartet

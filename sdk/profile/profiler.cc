// quartet::Profiler (include/quartet/profile.h): owns the sampler (signal
// side), the aggregator thread that drains samples into per-window
// aggregates and re-arms timers for new threads, and the uploader.
#include <pthread.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "base/clock.h"
#include "quartet/profile.h"
#include "sdk/profile/cpu_profile.h"
#include "sdk/profile/cpu_sampler.h"
#include "sdk/profile/heap_profile.h"
#include "sdk/profile/heap_sampler.h"
#include "sdk/profile/root_span.h"
#include "sdk/profile/sample_queue.h"
#include "sdk/profile/symbolizer.h"
#include "sdk/profile/thread_sampler.h"
#include "sdk/profile/uploader.h"
#include "wire/pprof/profile.h"

namespace quartet {

using profile_internal::BuildHeapProfile;
using profile_internal::BuildThreadProfile;
using profile_internal::CollectThreadStacks;
using profile_internal::CpuAggregate;
using profile_internal::CpuSampler;
using profile_internal::DisableHeapSampling;
using profile_internal::EnableHeapSampling;
using profile_internal::HeapLiveSampled;
using profile_internal::HeapSamplingEnabled;
using profile_internal::HeapSnapshot;
using profile_internal::RawSample;
using profile_internal::SampleQueue;
using profile_internal::SamplerCounters;
using profile_internal::SnapshotHeap;
using profile_internal::Symbolizer;
using profile_internal::ThreadDump;
using profile_internal::UploadConfig;
using profile_internal::UploadCounters;
using profile_internal::Uploader;

namespace {

// Each wake-up of the aggregator costs the application CPU and cache, so it
// wakes rarely: the queue holds 4096 samples, 100 ms of 400 busy threads at
// 100 Hz. A thread born since the last scan is sampled from the next one.
constexpr auto kDrainInterval = std::chrono::milliseconds(100);
constexpr auto kThreadScanInterval = std::chrono::milliseconds(200);
constexpr size_t kQueueCapacity = 4096;

std::atomic<Profiler::Impl*> g_running{nullptr};
std::once_flag g_atfork_once;

void ChildAfterFork();

}  // namespace

class Profiler::Impl {
 public:
  explicit Impl(const ProfilerOptions& options)
      : options_(options),
        queue_(kQueueCapacity),
        upload_agg_(options.max_stacks),
        pid_(getpid()) {}

  Status Start() {
    sampler_ = std::make_unique<CpuSampler>(&queue_, &sampler_counters_, options_.cpu_hz,
                                            options_.span_labels);
    RETURN_IF_ERROR(sampler_->Start());
    if (options_.heap) heap_enabled_ = EnableHeapSampling(options_.heap_sample_interval);
    if (options_.root_span_profile_id && options_.span_labels) {
      profile_internal::g_tag_root_spans.store(true);
    }
    if (!options_.server_address.empty()) {
      UploadConfig c;
      c.server_address = options_.server_address;
      c.app_name = options_.service;
      c.tags = options_.tags;
      c.tags["service_name"] = options_.service;
      if (!options_.version.empty()) c.tags["service_version"] = options_.version;
      if (!options_.environment.empty()) c.tags["env"] = options_.environment;
      c.headers = options_.headers;
      c.sample_rate_hz = options_.cpu_hz;
      c.timeout = options_.upload_timeout;
      c.max_attempts = std::max(1, options_.upload_max_attempts);
      c.initial_backoff = options_.upload_initial_backoff;
      c.max_queued = 12;  // four intervals of cpu, memory and threads
      uploader_ = std::make_unique<Uploader>(std::move(c), &upload_counters_);
    }
    window_start_ = UnixNanos();
    thread_ = new std::thread([this] { Run(); });
    g_running.store(this);
    return Status::Ok();
  }

  void Stop() {
    if (stop_called_.exchange(true)) return;
    if (getpid() != pid_ || forked_child_.load()) {
      // A forked child: the threads and timers were the parent's. Leak the
      // handles; touching them (or mu_, which a parent thread may have held
      // at fork time) is unsafe here.
      thread_ = nullptr;
      if (uploader_) {
        uploader_->Abandon();
        (void)uploader_.release();
      }
      (void)sampler_.release();
      return;
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    if (thread_ != nullptr) {
      thread_->join();
      delete thread_;
      thread_ = nullptr;
    } else {
      sampler_->Stop();
    }
    if (uploader_) uploader_->Shutdown(options_.shutdown_timeout);
    StopGlobals();
    Impl* self = this;
    g_running.compare_exchange_strong(self, nullptr);
  }

  std::string CpuProfile(std::chrono::seconds duration) {
    if (getpid() != pid_ || forked_child_.load() || stop_called_.load()) return {};
    if (duration <= std::chrono::seconds(0)) duration = std::chrono::seconds(30);
    duration = std::min<std::chrono::seconds>(duration, std::chrono::hours(1));
    Window w(options_.max_stacks);
    w.start = UnixNanos();
    auto deadline = std::chrono::steady_clock::now() + duration;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (stop_) return {};
      windows_.push_back(&w);
      cv_.wait_until(lock, deadline, [this] { return stop_; });
      windows_.erase(std::find(windows_.begin(), windows_.end(), &w));
    }
    pprof::Profile p = w.agg.ToProfile(&symbolizer_, options_.cpu_hz, w.start, UnixNanos());
    auto gz = pprof::EncodeGzip(p);
    return gz.ok() ? std::move(*gz) : std::string();
  }

  std::string HeapProfile() {
    if (getpid() != pid_ || forked_child_.load() || stop_called_.load() || !options_.heap) {
      return {};
    }
    HeapSnapshot snap;
    if (heap_enabled_) {
      snap = SnapshotHeap();
    } else {
      snap.mean_interval = options_.heap_sample_interval;  // a valid profile, no samples
    }
    auto gz = pprof::EncodeGzip(BuildHeapProfile(snap, &symbolizer_, UnixNanos()));
    return gz.ok() ? std::move(*gz) : std::string();
  }

  std::string ThreadProfile() {
    if (getpid() != pid_ || forked_child_.load() || stop_called_.load()) return {};
    ThreadDump dump = CollectThreadStacks(options_.thread_timeout);
    auto gz = pprof::EncodeGzip(BuildThreadProfile(dump, &symbolizer_, UnixNanos()));
    return gz.ok() ? std::move(*gz) : std::string();
  }

  ProfilerStats stats() const {
    ProfilerStats s;
    s.samples = sampler_counters_.samples.load();
    s.samples_dropped = sampler_counters_.queue_full.load() + stacks_dropped_.load();
    s.foreign_signals = sampler_counters_.foreign_signals.load();
    s.threads = armed_threads_.load();
    s.timer_errors = sampler_counters_.timer_errors.load();
    s.uploads = upload_counters_.uploaded.load();
    s.upload_retries = upload_counters_.retries.load();
    s.uploads_dropped = upload_counters_.failed.load() + upload_counters_.queue_dropped.load();
    s.heap_sampling = heap_enabled_ && HeapSamplingEnabled();
    s.heap_live_sampled = s.heap_sampling ? HeapLiveSampled() : 0;
    s.heap_dropped = heap_dropped_.load();
    return s;
  }

  void MarkForkedChild() { forked_child_.store(true); }

  // Process-wide switches this profiler turned on. Async-signal-safe (plain
  // atomic stores): also run in a forked child.
  void StopGlobals() {
    if (heap_enabled_) DisableHeapSampling();
    profile_internal::g_tag_root_spans.store(false);
  }

 private:
  struct Window {
    explicit Window(size_t max_keys) : agg(max_keys) {}
    CpuAggregate agg;
    int64_t start = 0;
  };

  void Run() {
    auto now = std::chrono::steady_clock::now();
    auto next_scan = now + kThreadScanInterval;
    auto next_upload = now + options_.upload_interval;
    std::unique_lock<std::mutex> lock(mu_);
    while (!stop_) {
      cv_.wait_for(lock, kDrainInterval, [this] { return stop_; });
      if (stop_) break;
      DrainLocked();
      lock.unlock();
      now = std::chrono::steady_clock::now();
      if (now >= next_scan) {
        sampler_->SyncThreads();
        armed_threads_.store(sampler_->armed_threads());
        next_scan = now + kThreadScanInterval;
      }
      if (now >= next_upload) {
        FlushUpload();
        next_upload = now + options_.upload_interval;
      }
      lock.lock();
    }
    lock.unlock();
    sampler_->Stop();  // no sample is pushed after this
    armed_threads_.store(0);
    lock.lock();
    DrainLocked();
    lock.unlock();
    FlushUpload();
  }

  void DrainLocked() {
    RawSample s;
    while (queue_.TryPop(&s)) {
      if (uploader_) upload_agg_.Add(s);
      for (Window* w : windows_) w->agg.Add(s);
    }
    int64_t dropped = upload_agg_.dropped();
    for (Window* w : windows_) dropped = std::max(dropped, w->agg.dropped());
    stacks_dropped_.store(static_cast<uint64_t>(std::max<int64_t>(dropped, 0)) +
                          stacks_dropped_base_);
  }

  // Sends what the upload aggregate holds as one profile. Aggregator thread.
  void FlushUpload() {
    if (!uploader_) return;
    CpuAggregate agg(options_.max_stacks);
    int64_t start, end = UnixNanos();
    {
      std::lock_guard<std::mutex> lock(mu_);
      std::swap(agg, upload_agg_);
      stacks_dropped_base_ += static_cast<uint64_t>(agg.dropped());
      start = window_start_;
      window_start_ = end;
    }
    const int64_t from = start / 1000000000, until = (end + 999999999) / 1000000000;
    if (!agg.empty()) {
      auto gz = pprof::EncodeGzip(agg.ToProfile(&symbolizer_, options_.cpu_hz, start, end));
      if (gz.ok()) uploader_->Enqueue(std::move(*gz), "cpu", from, until);
    }
    if (heap_enabled_) {
      // Go's heap profile under Pyroscope's Go name, "memory": alloc_* since
      // the last upload, in-use now.
      HeapSnapshot snap = SnapshotHeap();
      heap_dropped_.store(snap.dropped_buckets + snap.dropped_live);
      auto gz = pprof::EncodeGzip(BuildHeapProfile(snap, &symbolizer_, end, &heap_alloc_base_));
      if (gz.ok()) uploader_->Enqueue(std::move(*gz), "memory", from, until);
    }
    if (options_.threads) {
      ThreadDump dump = CollectThreadStacks(options_.thread_timeout);
      auto gz = pprof::EncodeGzip(BuildThreadProfile(dump, &symbolizer_, end));
      if (gz.ok()) uploader_->Enqueue(std::move(*gz), "threads", from, until);
    }
  }

  const ProfilerOptions options_;
  SampleQueue queue_;
  SamplerCounters sampler_counters_;
  UploadCounters upload_counters_;
  std::unique_ptr<CpuSampler> sampler_;
  Symbolizer symbolizer_;
  std::unique_ptr<Uploader> uploader_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;                 // guarded by mu_
  CpuAggregate upload_agg_;           // guarded by mu_
  int64_t window_start_ = 0;          // guarded by mu_
  std::vector<Window*> windows_;      // guarded by mu_
  uint64_t stacks_dropped_base_ = 0;  // guarded by mu_

  std::atomic<uint64_t> stacks_dropped_{0};
  std::atomic<uint64_t> armed_threads_{0};
  std::atomic<bool> stop_called_{false};
  std::atomic<bool> forked_child_{false};
  bool heap_enabled_ = false;              // set in Start()
  std::vector<uint64_t> heap_alloc_base_;  // aggregator thread: alloc counts uploaded
  std::atomic<uint64_t> heap_dropped_{0};
  std::thread* thread_ = nullptr;
  const pid_t pid_;
};

namespace {

void ChildAfterFork() {
  CpuSampler::AfterForkInChild();
  if (Profiler::Impl* p = g_running.exchange(nullptr)) {
    p->MarkForkedChild();
    p->StopGlobals();
  }
}

}  // namespace

Profiler::Profiler(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

Profiler::~Profiler() { Stop(); }

std::unique_ptr<Profiler> Profiler::Start(const ProfilerOptions& options,
                                          std::string* error) noexcept {
  auto fail = [error](std::string_view why) -> std::unique_ptr<Profiler> {
    if (error != nullptr) {
      try {
        error->assign(why);
      } catch (...) {
      }
    }
    return nullptr;
  };
  if (options.cpu_hz < 1 || options.cpu_hz > 1000) return fail("cpu_hz must be in 1..1000");
  if (!options.server_address.empty() && options.service.empty()) {
    return fail("server_address is set but service is empty");
  }
  if (options.heap && options.heap_sample_interval < 1) {
    return fail("heap_sample_interval must be at least 1 byte");
  }
  if (options.upload_interval < std::chrono::milliseconds(100)) {
    return fail("upload_interval must be at least 100ms");
  }
  try {
    std::call_once(g_atfork_once, [] { pthread_atfork(nullptr, nullptr, ChildAfterFork); });
    auto impl = std::make_unique<Impl>(options);
    Status st = impl->Start();
    if (!st.ok()) return fail(st.ToString());
    return std::unique_ptr<Profiler>(new Profiler(std::move(impl)));
  } catch (const std::exception& e) {
    return fail(e.what());
  } catch (...) {
    return fail("unknown error starting the profiler");
  }
}

void Profiler::Stop() noexcept {
  try {
    impl_->Stop();
  } catch (...) {
  }
}

std::string Profiler::CpuProfile(std::chrono::seconds duration) noexcept {
  try {
    return impl_->CpuProfile(duration);
  } catch (...) {
    return {};
  }
}

std::string Profiler::HeapProfile() noexcept {
  try {
    return impl_->HeapProfile();
  } catch (...) {
    return {};
  }
}

std::string Profiler::ThreadProfile() noexcept {
  try {
    return impl_->ThreadProfile();
  } catch (...) {
    return {};
  }
}

ProfilerStats Profiler::stats() const noexcept { return impl_->stats(); }

}  // namespace quartet

#include "sdk/profile/cpu_sampler.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include <chrono>
#include <cstdlib>
#include <cstring>
#include <thread>
#include <unordered_set>

#include "sdk/context/current.h"
#include "sdk/profile/signal_unwind.h"
#include "sdk/trace/span_record.h"

namespace quartet::profile_internal {
namespace {

// State the handler reads. Plain globals of lock-free atomics: the handler
// cannot reach an object through anything that might be torn down.
struct HandlerState {
  std::atomic<SampleQueue*> queue{nullptr};
  std::atomic<SamplerCounters*> counters{nullptr};
  std::atomic<bool> active{false};
  std::atomic<bool> span_labels{false};
  std::atomic<int> inflight{0};
  std::atomic<int> cookie{0};  // sival_int of our timers' signals
};
HandlerState g_state;
std::atomic<bool> g_installed{false};  // a sampler owns SIGPROF
struct sigaction g_previous;           // disposition to restore

// The Linux clock id of thread `tid`'s CPU time (CPUCLOCK_SCHED with the
// per-thread bit), the encoding glibc's pthread_getcpuclockid uses; it lets
// the owner thread arm a timer on another thread's clock.
clockid_t ThreadCpuClock(pid_t tid) {
  return static_cast<clockid_t>((~static_cast<unsigned>(tid)) << 3) | 6;
}

void CaptureSpan(RawSample* s) {
  const context_internal::Frame* frame = context_internal::Current();
  if (frame == nullptr || frame->span == nullptr || !frame->span->sampled()) return;
  s->has_span = true;
  std::memcpy(s->span_id, frame->span->span_id.bytes.data(), sizeof s->span_id);
  if (!g_state.span_labels.load(std::memory_order_relaxed) || frame->recording_span == nullptr) {
    return;
  }
  // The record is written only by this (interrupted) thread while its span
  // is current; the id check skips a record already ended and recycled.
  const auto* record = static_cast<const trace_internal::SpanRecord*>(frame->recording_span);
  if (!(record->context.span_id == frame->span->span_id)) return;
  size_t len = record->name.size();
  if (len > sizeof s->span_name) len = sizeof s->span_name;
  std::memcpy(s->span_name, record->name.data(), len);
  s->span_name_len = static_cast<uint32_t>(len);
}

void OnSigprof(int, siginfo_t* info, void* ucontext) {
  int saved_errno = errno;
  g_state.inflight.fetch_add(1);
  SamplerCounters* counters = g_state.counters.load(std::memory_order_acquire);
  if (info == nullptr || info->si_code != SI_TIMER ||
      info->si_value.sival_int != g_state.cookie.load(std::memory_order_relaxed)) {
    if (counters != nullptr) counters->foreign_signals.fetch_add(1, std::memory_order_relaxed);
  } else if (g_state.active.load()) {
    UnwindBuffer buf;
    _Unwind_Backtrace(CollectFrame, &buf);
    RawSample sample;
    // A thread that runs in short slices may pass several periods between
    // two timer checks; the kernel then sends one signal and counts the rest
    // as overruns. The sample stands for all of them, or busy threads on a
    // loaded machine would be under-counted.
    int overrun = info->si_overrun;
    if (overrun > 0) sample.weight = 1 + static_cast<uint32_t>(overrun < 1000 ? overrun : 1000);
    sample.depth = InterruptedFrames(buf, ucontext, sample.pcs);
    CaptureSpan(&sample);
    SampleQueue* queue = g_state.queue.load(std::memory_order_acquire);
    if (sample.depth > 0 && queue != nullptr && counters != nullptr) {
      if (queue->TryPush(sample)) {
        counters->samples.fetch_add(1, std::memory_order_relaxed);
      } else {
        counters->queue_full.fetch_add(1, std::memory_order_relaxed);
      }
    }
  }
  g_state.inflight.fetch_sub(1);
  errno = saved_errno;
}

void RestoreHandler() {
  // SIG_IGN first: setting it discards SIGPROFs still pending on any thread.
  struct sigaction ignore;
  std::memset(&ignore, 0, sizeof ignore);
  ignore.sa_handler = SIG_IGN;
  sigaction(SIGPROF, &ignore, nullptr);
  sigaction(SIGPROF, &g_previous, nullptr);
}

}  // namespace

CpuSampler::CpuSampler(SampleQueue* queue, SamplerCounters* counters, int hz, bool span_labels)
    : queue_(queue),
      counters_(counters),
      period_ns_(1000000000L / (hz < 1 ? 1 : hz)),
      span_labels_(span_labels) {}

CpuSampler::~CpuSampler() { Stop(); }

Status CpuSampler::Start() {
  if (started_) return Status::Ok();
  bool expected = false;
  if (!g_installed.compare_exchange_strong(expected, true)) {
    return Status::FailedPrecondition("a CPU profiler is already running in this process");
  }
  WarmUnwinder();

  g_state.queue.store(queue_, std::memory_order_release);
  g_state.counters.store(counters_, std::memory_order_release);
  g_state.span_labels.store(span_labels_);
  g_state.cookie.store(static_cast<int>(0x51a7 ^ getpid()));
  g_state.active.store(true);

  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = OnSigprof;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (sigaction(SIGPROF, &action, &g_previous) != 0) {
    int err = errno;
    g_state.active.store(false);
    g_installed.store(false);
    return Status::Internal(std::string("sigaction(SIGPROF): ") + std::strerror(err));
  }
  started_ = true;
  SyncThreads();
  return Status::Ok();
}

bool CpuSampler::Arm(pid_t tid, Timer* out) {
  struct sigevent sev;
  std::memset(&sev, 0, sizeof sev);
  sev.sigev_notify = SIGEV_THREAD_ID;
  sev.sigev_signo = SIGPROF;
  sev.sigev_value.sival_int = g_state.cookie.load();
  sev._sigev_un._tid = tid;
  timer_t id;
  if (timer_create(ThreadCpuClock(tid), &sev, &id) != 0) return false;  // thread gone
  struct itimerspec spec;
  spec.it_interval.tv_sec = period_ns_ / 1000000000L;
  spec.it_interval.tv_nsec = period_ns_ % 1000000000L;
  spec.it_value = spec.it_interval;
  if (timer_settime(id, 0, &spec, nullptr) != 0) {
    counters_->timer_errors.fetch_add(1, std::memory_order_relaxed);
    timer_delete(id);
    return false;
  }
  out->id = id;
  return true;
}

void CpuSampler::SyncThreads() {
  if (!started_) return;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) {
    counters_->timer_errors.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  std::unordered_set<pid_t> live;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long tid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || tid <= 0) continue;
    live.insert(static_cast<pid_t>(tid));
  }
  closedir(dir);

  for (auto it = timers_.begin(); it != timers_.end();) {
    bool gone = live.count(it->first) == 0;
    if (!gone) {
      // A timer whose thread exited reads as disarmed, even if the tid was
      // reused by a new thread since: re-arm on the new thread. (A live
      // timer reads as disarmed only between expiry and delivery; re-arming
      // it then costs at most one sample.)
      struct itimerspec cur;
      gone = timer_gettime(it->second.id, &cur) != 0 ||
             (cur.it_value.tv_sec == 0 && cur.it_value.tv_nsec == 0);
    }
    if (gone) {
      timer_delete(it->second.id);
      it = timers_.erase(it);
    } else {
      ++it;
    }
  }
  for (pid_t tid : live) {
    if (timers_.count(tid)) continue;
    Timer t;
    if (Arm(tid, &t)) timers_.emplace(tid, t);
  }
}

void CpuSampler::Stop() {
  if (!started_) return;
  started_ = false;
  g_state.active.store(false);
  for (auto& [tid, t] : timers_) timer_delete(t.id);
  timers_.clear();
  // A handler that saw active == true may still be pushing.
  while (g_state.inflight.load() != 0) std::this_thread::sleep_for(std::chrono::microseconds(100));
  RestoreHandler();
  g_state.queue.store(nullptr, std::memory_order_release);
  g_state.counters.store(nullptr, std::memory_order_release);
  g_installed.store(false);
}

void CpuSampler::AfterForkInChild() noexcept {
  // Handlers that were running on the parent's other threads at the fork
  // never finish here (those threads do not exist in the child): their count
  // would make the child's own profiler wait for them forever in Stop().
  g_state.inflight.store(0);
  if (!g_installed.load()) return;
  g_state.active.store(false);
  g_state.queue.store(nullptr);
  g_state.counters.store(nullptr);
  RestoreHandler();
  g_installed.store(false);
}

}  // namespace quartet::profile_internal

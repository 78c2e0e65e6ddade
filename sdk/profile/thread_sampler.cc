#include "sdk/profile/thread_sampler.h"

#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <ucontext.h>
#include <unistd.h>
#include <unwind.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>

#include "sdk/profile/locations.h"
#include "sdk/profile/signal_unwind.h"
#include "wire/pprof/builder.h"

namespace quartet::profile_internal {
namespace {

constexpr int kSignal = SIGURG;
constexpr uint32_t kMaxSlots = 4096;

// Slot state: generation << 2 | phase. A handler writes a slot only after
// moving it from (its generation, kRequested) to kWriting, so a stale signal
// or one that comes after the collector gave up never touches it.
enum Phase : uint64_t { kIdle = 0, kRequested = 1, kWriting = 2, kDone = 3 };

struct Slot {
  std::atomic<uint64_t> state;
  pid_t tid;
  uint32_t depth;
  uintptr_t pcs[kMaxFrames];
};

// Mapped once, never unmapped: a late handler may still read a state word.
std::atomic<Slot*> g_slots{nullptr};
std::atomic<uint64_t> g_generation{0};
struct sigaction g_previous;
std::atomic<bool> g_installed{false};
std::mutex g_install_mu;
// The pid that is collecting now (0: nobody). A pid other than ours was
// inherited through fork mid-collection and is stale.
std::atomic<pid_t> g_collector{0};

void Chain(int sig, siginfo_t* info, void* ucontext) {
  if (g_previous.sa_flags & SA_SIGINFO) {
    if (g_previous.sa_sigaction != nullptr) g_previous.sa_sigaction(sig, info, ucontext);
  } else if (g_previous.sa_handler != SIG_DFL && g_previous.sa_handler != SIG_IGN &&
             g_previous.sa_handler != nullptr) {
    g_previous.sa_handler(sig);
  }
}

void OnSignal(int sig, siginfo_t* info, void* ucontext) {
  int saved_errno = errno;
  if (info == nullptr || info->si_code != SI_QUEUE || info->si_pid != getpid()) {
    Chain(sig, info, ucontext);
    errno = saved_errno;
    return;
  }
  uint64_t cookie = reinterpret_cast<uintptr_t>(info->si_value.sival_ptr);
  uint64_t generation = cookie >> 32;
  uint32_t index = static_cast<uint32_t>(cookie);
  Slot* slots = g_slots.load(std::memory_order_acquire);
  if (slots == nullptr || index >= kMaxSlots ||
      generation != g_generation.load(std::memory_order_acquire)) {
    errno = saved_errno;
    return;  // ours but stale: the collection gave up on this thread
  }
  Slot& slot = slots[index];
  uint64_t expected = generation << 2 | kRequested;
  if (!slot.state.compare_exchange_strong(expected, generation << 2 | kWriting,
                                          std::memory_order_acq_rel)) {
    errno = saved_errno;
    return;
  }
  UnwindBuffer buf;
  _Unwind_Backtrace(CollectFrame, &buf);
  slot.depth = InterruptedFrames(buf, ucontext, slot.pcs);
  slot.state.store(generation << 2 | kDone, std::memory_order_release);
  errno = saved_errno;
}

bool Install() {
  if (g_installed.load(std::memory_order_acquire)) return true;
  std::lock_guard<std::mutex> lock(g_install_mu);
  if (g_installed.load()) return true;
  void* m = mmap(nullptr, sizeof(Slot) * kMaxSlots, PROT_READ | PROT_WRITE,
                 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (m == MAP_FAILED) return false;
  g_slots.store(static_cast<Slot*>(m), std::memory_order_release);
  WarmUnwinder();
  struct sigaction action;
  std::memset(&action, 0, sizeof action);
  action.sa_sigaction = OnSignal;
  action.sa_flags = SA_SIGINFO | SA_RESTART;
  sigemptyset(&action.sa_mask);
  if (sigaction(kSignal, &action, &g_previous) != 0) return false;
  // Installed for the life of the process: a signal may arrive long after
  // its collection ended, and must find this handler.
  g_installed.store(true, std::memory_order_release);
  return true;
}

bool SendTo(pid_t pid, pid_t tid, uint64_t cookie) {
  siginfo_t info;
  std::memset(&info, 0, sizeof info);
  info.si_signo = kSignal;
  info.si_code = SI_QUEUE;
  info.si_pid = pid;
  info.si_uid = getuid();
  info.si_value.sival_ptr = reinterpret_cast<void*>(static_cast<uintptr_t>(cookie));
  return syscall(SYS_rt_tgsigqueueinfo, pid, tid, kSignal, &info) == 0;
}

std::vector<pid_t> ListThreads() {
  std::vector<pid_t> tids;
  DIR* dir = opendir("/proc/self/task");
  if (dir == nullptr) return tids;
  while (dirent* e = readdir(dir)) {
    char* end = nullptr;
    long tid = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || tid <= 0) continue;
    tids.push_back(static_cast<pid_t>(tid));
  }
  closedir(dir);
  return tids;
}

}  // namespace

ThreadDump CollectThreadStacks(std::chrono::milliseconds timeout) {
  ThreadDump dump;
  const pid_t pid = getpid();
  // One collection at a time; the slots are shared.
  for (;;) {
    pid_t owner = g_collector.load();
    if (owner == 0 || owner != pid) {
      if (g_collector.compare_exchange_weak(owner, pid)) break;
      continue;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  std::vector<pid_t> tids = ListThreads();
  if (!Install()) {
    for (pid_t tid : tids) dump.threads.push_back(ThreadStack{tid, false, 0, {}});
    dump.unanswered = static_cast<uint32_t>(tids.size());
    g_collector.store(0);
    return dump;
  }
  Slot* slots = g_slots.load();
  const uint64_t generation = g_generation.fetch_add(1) + 1;
  // This thread unwinds itself: a signal to itself would only arrive when
  // the kernel (or TSan, which defers signals) gets round to it.
  const pid_t self = static_cast<pid_t>(syscall(SYS_gettid));
  {
    ThreadStack me;
    me.tid = self;
    me.captured = true;
    UnwindBuffer buf;
    _Unwind_Backtrace(CollectFrame, &buf);
    for (int i = 0; i < buf.n && me.depth < kMaxFrames; ++i) me.pcs[me.depth++] = buf.pcs[i];
    dump.threads.push_back(me);
  }
  uint32_t n = 0;
  for (pid_t tid : tids) {
    if (tid == self) continue;
    if (n == kMaxSlots) {
      ++dump.skipped;
      continue;
    }
    Slot& s = slots[n];
    s.tid = tid;
    s.depth = 0;
    s.state.store(generation << 2 | kRequested, std::memory_order_release);
    if (SendTo(pid, tid, generation << 32 | n)) {
      ++n;
    } else {
      s.state.store(kIdle);  // the thread exited since the listing
    }
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    uint32_t pending = 0;
    for (uint32_t i = 0; i < n; ++i) {
      if ((slots[i].state.load(std::memory_order_acquire) & 3) != kDone) ++pending;
    }
    if (pending == 0 || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::microseconds(500));
  }
  dump.threads.reserve(n + 1);
  for (uint32_t i = 0; i < n; ++i) {
    Slot& s = slots[i];
    ThreadStack t;
    t.tid = s.tid;
    uint64_t expected = generation << 2 | kRequested;
    // Give up on threads that have not started answering; wait out those
    // halfway through (a handler writes for microseconds).
    if (!s.state.compare_exchange_strong(expected, kIdle)) {
      while ((s.state.load(std::memory_order_acquire) & 3) == kWriting) {
        std::this_thread::yield();
      }
      t.captured = true;
      t.depth = s.depth;
      std::memcpy(t.pcs, s.pcs, t.depth * sizeof(uintptr_t));
      s.state.store(kIdle);
    } else {
      ++dump.unanswered;
    }
    dump.threads.push_back(t);
  }
  g_collector.store(0);
  return dump;
}

pprof::Profile BuildThreadProfile(const ThreadDump& dump, Symbolizer* symbolizer,
                                  int64_t time_nanos) {
  pprof::ProfileBuilder b;
  b.AddSampleType("threads", "count");
  b.SetPeriod("threads", "count", 1);
  b.SetTime(time_nanos, 0);
  if (dump.skipped != 0) {
    b.AddComment("quartet: " + std::to_string(dump.skipped) + " threads over the capacity");
  }
  std::map<std::vector<uintptr_t>, int64_t> stacks;
  int64_t unanswered = 0;
  for (const ThreadStack& t : dump.threads) {
    if (!t.captured) {
      ++unanswered;
      continue;
    }
    ++stacks[std::vector<uintptr_t>(t.pcs, t.pcs + t.depth)];
  }
  LocationTable locations(&b, symbolizer);
  std::vector<uint64_t> ids;
  for (const auto& [pcs, count] : stacks) {
    ids.clear();
    for (uintptr_t pc : pcs) ids.push_back(locations.Location(pc));
    int64_t value = count;
    b.AddSample(ids, std::span<const int64_t>(&value, 1));
  }
  if (unanswered > 0) {
    uint64_t fn = b.Function("[no stack: signal blocked or no answer in time]", "", "");
    uint64_t loc = b.LocationForFunction(fn);
    b.AddSample({loc}, {unanswered});
  }
  return locations.Finish();
}

}  // namespace quartet::profile_internal

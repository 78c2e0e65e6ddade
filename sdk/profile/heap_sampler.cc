#include "sdk/profile/heap_sampler.h"

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <sys/mman.h>
#include <unwind.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>

#include "sdk/profile/heap_hooks.h"

namespace quartet::profile_internal {
namespace heap_internal {

// Bucket and live tables. Both are mapped once (2.3 MiB, zero pages until
// touched) and never unmapped: a free() may probe the live table at any time.
constexpr uint32_t kBucketSlots = 8192;  // hash index over buckets, power of 2
constexpr uint32_t kMaxBuckets = 6144;
constexpr uint32_t kLiveSlots = 32768;  // power of 2
constexpr uint32_t kMaxLiveUsed = kLiveSlots / 4 * 3;
constexpr uintptr_t kTombstone = 1;

struct Tables {
  HeapBucket buckets[kMaxBuckets];
  uint64_t bucket_hash[kMaxBuckets];
  uint32_t bucket_index[kBucketSlots];  // bucket id + 1; 0 = empty
  uint32_t nbuckets;
  uint64_t dropped_buckets;
  uint64_t dropped_live;
  // Live sampled blocks: key = pointer (0 empty, 1 tombstone), value = the
  // bucket it was counted in. Linear probing. Invariant: the probe path of
  // every present key holds no empty slot, so a lock-free reader that meets
  // an empty slot knows the key is absent. Erase leaves a tombstone and
  // clears tombstones only where no path can run through them (the next
  // slot is empty). A rebuild (too many tombstones) runs inside a seqlock
  // `epoch` (odd while rebuilding) so readers that miss retry under the lock.
  std::atomic<uintptr_t> live_keys[kLiveSlots];
  uint32_t live_bucket[kLiveSlots];
  uint32_t live_used;  // keys + tombstones
  std::atomic<uint64_t> epoch;
};

std::atomic<Tables*> g_tables{nullptr};  // set once under g_lock, never unset
std::atomic<bool> g_lock{false};
std::atomic<bool> g_enabled{false};
std::atomic<int64_t> g_mean{512 * 1024};
std::atomic<uint32_t> g_session{1};
std::atomic<uint64_t> g_live_count{0};
std::atomic<uint16_t> g_live_filter[kLiveFilterSlots];
std::atomic<bool> g_atfork_registered{false};

HEAP_HOOK void Lock() {
  for (int spins = 0; g_lock.exchange(true, std::memory_order_acquire); ++spins) {
    if (spins > 64) sched_yield();
  }
}
HEAP_HOOK void Unlock() { g_lock.store(false, std::memory_order_release); }

void AtForkPrepare() { Lock(); }
void AtForkRelease() { Unlock(); }

inline void FilterAdd(uintptr_t p, int delta) {
  std::atomic<uint16_t>& c = g_live_filter[LiveFilterSlot(p)];
  c.store(static_cast<uint16_t>(c.load(std::memory_order_relaxed) + delta),
          std::memory_order_relaxed);
}

inline uint32_t LiveHome(uintptr_t p) {
  return static_cast<uint32_t>(((p >> 4) * 0x9E3779B97F4A7C15ull) >> 49) & (kLiveSlots - 1);
}

// Erases slot i (holding a key) under the lock, clearing trailing tombstones.
HEAP_HOOK void EraseSlotLocked(Tables* t, uint32_t i) {
  const uint32_t mask = kLiveSlots - 1;
  if (t->live_keys[(i + 1) & mask].load(std::memory_order_relaxed) != 0) {
    t->live_keys[i].store(kTombstone, std::memory_order_release);
    return;
  }
  // No path continues past i: i and the tombstones right before it go empty.
  t->live_keys[i].store(0, std::memory_order_release);
  --t->live_used;
  for (uint32_t j = (i - 1) & mask; t->live_keys[j].load(std::memory_order_relaxed) == kTombstone;
       j = (j - 1) & mask) {
    t->live_keys[j].store(0, std::memory_order_release);
    --t->live_used;
  }
}

// Re-inserts every key into a clean table; readers see an odd epoch.
HEAP_HOOK void RebuildLocked(Tables* t) {
  static uintptr_t keys[kLiveSlots];
  static uint32_t values[kLiveSlots];
  uint32_t n = 0;
  for (uint32_t i = 0; i < kLiveSlots; ++i) {
    uintptr_t k = t->live_keys[i].load(std::memory_order_relaxed);
    if (k > kTombstone) {
      keys[n] = k;
      values[n++] = t->live_bucket[i];
    }
  }
  t->epoch.fetch_add(1, std::memory_order_acq_rel);
  for (uint32_t i = 0; i < kLiveSlots; ++i) t->live_keys[i].store(0, std::memory_order_release);
  for (uint32_t k = 0; k < n; ++k) {
    uint32_t i = LiveHome(keys[k]);
    while (t->live_keys[i].load(std::memory_order_relaxed) != 0) i = (i + 1) & (kLiveSlots - 1);
    t->live_bucket[i] = values[k];
    t->live_keys[i].store(keys[k], std::memory_order_release);
  }
  t->live_used = n;
  t->epoch.fetch_add(1, std::memory_order_release);
}

// Finds p under the lock: its slot, or -1.
HEAP_HOOK int64_t FindLocked(Tables* t, uintptr_t p) {
  uint32_t i = LiveHome(p);
  for (uint32_t n = 0; n < kLiveSlots; ++n, i = (i + 1) & (kLiveSlots - 1)) {
    uintptr_t k = t->live_keys[i].load(std::memory_order_relaxed);
    if (k == 0) return -1;
    if (k == p) return i;
  }
  return -1;
}

// Counts one free of the block in slot i.
HEAP_HOOK void ForgetSlotLocked(Tables* t, uint32_t i) {
  uint32_t b = t->live_bucket[i];
  if (b < t->nbuckets) ++t->buckets[b].free_count;
  FilterAdd(t->live_keys[i].load(std::memory_order_relaxed), -1);
  EraseSlotLocked(t, i);
  g_live_count.fetch_sub(1, std::memory_order_relaxed);
}

// Inserts p -> bucket under the lock. False when the table is full.
HEAP_HOOK bool InsertLiveLocked(Tables* t, uintptr_t p, uint32_t bucket) {
  int64_t dup = FindLocked(t, p);
  if (dup >= 0) ForgetSlotLocked(t, static_cast<uint32_t>(dup));  // a free we never saw
  if (t->live_used >= kMaxLiveUsed) {
    if (g_live_count.load(std::memory_order_relaxed) >= kMaxLiveUsed / 2) return false;
    RebuildLocked(t);  // mostly tombstones: reclaim them
  }
  uint32_t i = LiveHome(p);
  for (;;) {
    uintptr_t k = t->live_keys[i].load(std::memory_order_relaxed);
    if (k == 0 || k == kTombstone) {
      if (k == 0) ++t->live_used;
      t->live_bucket[i] = bucket;
      FilterAdd(p, +1);  // before the key: a free that sees the key sees the count
      t->live_keys[i].store(p, std::memory_order_release);
      g_live_count.fetch_add(1, std::memory_order_relaxed);
      return true;
    }
    i = (i + 1) & (kLiveSlots - 1);
  }
}

HEAP_HOOK void ForgetSlow(void* ptr) {
  Tables* t = g_tables.load(std::memory_order_acquire);
  if (t == nullptr) return;
  const uintptr_t p = reinterpret_cast<uintptr_t>(ptr);
  uint64_t e1 = t->epoch.load(std::memory_order_acquire);
  uint32_t i = LiveHome(p);
  bool maybe = false;
  for (uint32_t n = 0; n < kLiveSlots; ++n, i = (i + 1) & (kLiveSlots - 1)) {
    uintptr_t k = t->live_keys[i].load(std::memory_order_acquire);
    if (k == 0) break;
    if (k == p) {
      maybe = true;
      break;
    }
  }
  // The keys were read with acquire and a rebuild stores them with release
  // after making the epoch odd: a reader that saw any rebuilt key sees the
  // epoch move.
  if (!maybe && (e1 & 1) == 0 && t->epoch.load(std::memory_order_acquire) == e1) return;
  Lock();
  int64_t slot = FindLocked(t, p);
  if (slot >= 0) ForgetSlotLocked(t, static_cast<uint32_t>(slot));
  Unlock();
}

// Per-thread sampling state: plain data with initial-exec TLS, so reading it
// never allocates (no __tls_get_addr slow path) and thread exit runs nothing.
__thread int64_t t_countdown __attribute__((tls_model("initial-exec")));
struct ThreadState {
  uint64_t rng;
  uint32_t session;  // g_session this countdown was drawn for
  bool busy;         // inside the sampler: allocations pass straight through
};
__thread ThreadState t_state __attribute__((tls_model("initial-exec")));

// Allocations between two checks of g_enabled while sampling is off.
constexpr int64_t kDisabledRecheck = 1 << 20;

HEAP_HOOK int64_t NextGap(ThreadState* s, int64_t mean) {
  if (s->rng == 0) {
    static std::atomic<uint64_t> seeds{0x9E3779B97F4A7C15ull};
    s->rng = seeds.fetch_add(0x9E3779B97F4A7C15ull, std::memory_order_relaxed) ^
             reinterpret_cast<uintptr_t>(s);
    if (s->rng == 0) s->rng = 1;
  }
  s->rng ^= s->rng << 13;  // xorshift64
  s->rng ^= s->rng >> 7;
  s->rng ^= s->rng << 17;
  // u in (0, 1]: -log(u) is exponential with mean 1.
  double u = (static_cast<double>(s->rng >> 11) + 1.0) * (1.0 / 9007199254740992.0);
  double gap = -std::log(u) * static_cast<double>(mean);
  if (gap < 1) return 1;
  if (gap > 4e18) return static_cast<int64_t>(4e18);
  return static_cast<int64_t>(gap);
}

struct Unwind {
  uintptr_t pcs[kHeapFrames];
  uint32_t depth = 0;
  int phase = 0;  // 0: above the hooks, 1: in the hooks, 2: the caller's frames
};

HEAP_HOOK bool InHooks(uintptr_t pc) {
  return pc >= reinterpret_cast<uintptr_t>(__start_quartet_heap_hooks) &&
         pc < reinterpret_cast<uintptr_t>(__stop_quartet_heap_hooks);
}

HEAP_HOOK _Unwind_Reason_Code CollectHeapFrame(_Unwind_Context* ctx, void* arg) {
  auto* u = static_cast<Unwind*>(arg);
  int before = 0;
  uintptr_t ip = _Unwind_GetIPInfo(ctx, &before);
  if (ip == 0) return _URC_END_OF_STACK;
  uintptr_t pc = before ? ip : ip - 1;
  // The frames of the unwinder and of this file come first: drop them.
  if (u->phase < 2) {
    bool in = InHooks(pc);
    if (u->phase == 0 && in) u->phase = 1;
    if (u->phase == 0 || in) return _URC_NO_REASON;
    u->phase = 2;
  }
  u->pcs[u->depth++] = pc;
  return u->depth < kHeapFrames ? _URC_NO_REASON : _URC_END_OF_STACK;
}

HEAP_HOOK void Record(void* ptr, size_t size) {
  Unwind u;
  _Unwind_Backtrace(CollectHeapFrame, &u);
  uint64_t h = 0xcbf29ce484222325ull ^ size;
  for (uint32_t i = 0; i < u.depth; ++i) h = (h ^ u.pcs[i]) * 0x100000001b3ull;
  h ^= h >> 29;

  Tables* t = g_tables.load(std::memory_order_acquire);
  Lock();
  uint32_t slot = static_cast<uint32_t>(h) & (kBucketSlots - 1);
  uint32_t id = UINT32_MAX;
  for (uint32_t n = 0; n < kBucketSlots; ++n, slot = (slot + 1) & (kBucketSlots - 1)) {
    uint32_t v = t->bucket_index[slot];
    if (v == 0) break;
    const HeapBucket& b = t->buckets[v - 1];
    if (t->bucket_hash[v - 1] == h && b.size == size && b.depth == u.depth &&
        std::memcmp(b.pcs, u.pcs, u.depth * sizeof(uintptr_t)) == 0) {
      id = v - 1;
      break;
    }
  }
  if (id == UINT32_MAX) {
    if (t->nbuckets >= kMaxBuckets) {
      ++t->dropped_buckets;
      Unlock();
      return;
    }
    id = t->nbuckets++;
    HeapBucket& b = t->buckets[id];
    b.alloc_count = b.free_count = 0;
    b.size = size;
    b.depth = u.depth;
    b.id = id;
    std::memcpy(b.pcs, u.pcs, u.depth * sizeof(uintptr_t));
    t->bucket_hash[id] = h;
    t->bucket_index[slot] = id + 1;
  }
  ++t->buckets[id].alloc_count;
  if (!InsertLiveLocked(t, reinterpret_cast<uintptr_t>(ptr), id)) {
    // Untracked blocks would stay in use forever: count them freed at once
    // (in-use reads low by them, reported as dropped_live).
    ++t->dropped_live;
    ++t->buckets[id].free_count;
  }
  Unlock();
}

}  // namespace heap_internal

using namespace heap_internal;

HEAP_HOOK void OnCountdownExpired(void* ptr, size_t size) {
  ThreadState* s = &t_state;
  if (!g_enabled.load(std::memory_order_relaxed)) {
    t_countdown = kDisabledRecheck;
    return;
  }
  int64_t mean = g_mean.load(std::memory_order_relaxed);
  if (s->busy) {  // the sampler's own allocation: never sampled
    t_countdown = NextGap(s, mean);
    return;
  }
  uint32_t session = g_session.load(std::memory_order_relaxed);
  s->busy = true;
  if (s->session != session) {
    // A countdown left from before Enable is not a draw from this session's
    // distribution: start a fresh one without sampling.
    s->session = session;
    t_countdown = NextGap(s, mean);
  } else {
    t_countdown = NextGap(s, mean);
    if (ptr != nullptr) Record(ptr, size);
  }
  s->busy = false;
}

HEAP_HOOK void OnSampledFree(void* ptr) { ForgetSlow(ptr); }

bool HeapSamplingSupported() noexcept { return kAllocatorHooksLinked; }

bool EnableHeapSampling(int64_t mean_interval_bytes) noexcept {
  if (!HeapSamplingSupported() || mean_interval_bytes < 1) return false;
  if (!g_atfork_registered.exchange(true)) {
    pthread_atfork(AtForkPrepare, AtForkRelease, AtForkRelease);
  }
  if (g_tables.load(std::memory_order_acquire) == nullptr) {
    void* m =
        mmap(nullptr, sizeof(Tables), PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED) return false;
    Lock();
    if (g_tables.load(std::memory_order_relaxed) == nullptr) {
      g_tables.store(static_cast<Tables*>(m), std::memory_order_release);
      m = nullptr;
    }
    Unlock();
    if (m != nullptr) munmap(m, sizeof(Tables));
  }
  Tables* t = g_tables.load(std::memory_order_acquire);
  Lock();
  t->nbuckets = 0;
  t->dropped_buckets = t->dropped_live = 0;
  std::memset(t->bucket_index, 0, sizeof t->bucket_index);
  t->epoch.fetch_add(1, std::memory_order_acq_rel);
  for (uint32_t i = 0; i < kLiveSlots; ++i) t->live_keys[i].store(0, std::memory_order_relaxed);
  for (auto& c : g_live_filter) c.store(0, std::memory_order_relaxed);
  t->live_used = 0;
  g_live_count.store(0, std::memory_order_relaxed);
  t->epoch.fetch_add(1, std::memory_order_release);
  g_mean.store(mean_interval_bytes, std::memory_order_relaxed);
  g_session.fetch_add(1, std::memory_order_relaxed);
  Unlock();
  g_enabled.store(true, std::memory_order_release);
  return true;
}

void DisableHeapSampling() noexcept { g_enabled.store(false, std::memory_order_release); }

bool HeapSamplingEnabled() noexcept { return g_enabled.load(std::memory_order_relaxed); }

uint64_t HeapLiveSampled() noexcept { return g_live_count.load(std::memory_order_relaxed); }

HeapSnapshot SnapshotHeap() {
  HeapSnapshot snap;
  Tables* t = g_tables.load(std::memory_order_acquire);
  if (t == nullptr) return snap;
  // No allocation or free may happen under the lock (free of a sampled block
  // takes it): size the copy first. The copy itself is not sampled (it would
  // show up in the very profile it feeds).
  Lock();
  uint32_t n = t->nbuckets;
  Unlock();
  bool was_busy = t_state.busy;
  t_state.busy = true;
  snap.buckets.resize(std::min<uint32_t>(n + 256, kMaxBuckets));
  t_state.busy = was_busy;
  Lock();
  n = std::min<uint32_t>(t->nbuckets, static_cast<uint32_t>(snap.buckets.size()));
  std::memcpy(static_cast<void*>(snap.buckets.data()), t->buckets, n * sizeof(HeapBucket));
  snap.dropped_buckets = t->dropped_buckets;
  snap.dropped_live = t->dropped_live;
  snap.mean_interval = g_mean.load(std::memory_order_relaxed);
  Unlock();
  snap.buckets.resize(n);
  return snap;
}

}  // namespace quartet::profile_internal

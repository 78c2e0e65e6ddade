// Heap sampler: sampled allocation profiling for the whole process. The SDK
// library defines malloc, calloc, realloc, reallocarray, free, memalign,
// posix_memalign, aligned_alloc, valloc, pvalloc and every replaceable
// operator new/delete (plain, array, sized, aligned, nothrow); each forwards
// to glibc's allocator (__libc_malloc and friends), so linking the SDK
// changes no allocation, only observes some of them.
//
// Opt-in at run time: until EnableHeapSampling(), the cost per allocation is
// one thread-local byte-countdown decrement (no atomic, no call); the
// countdown running out rechecks the flag about once per MiB allocated by a
// thread. When enabled, allocations are sampled by bytes as tcmalloc and Go
// do: the gap between two samples is drawn from an exponential distribution
// with mean `mean_interval_bytes`, so an allocation of n bytes is sampled with
// probability 1 - exp(-n / mean), and a profile scales each record back up by
// 1 / (1 - exp(-avg / mean)) (Go's unsampling). A sampled allocation's stack
// is captured with _Unwind_Backtrace under a per-thread reentrancy guard (an
// allocation made by the unwinder itself goes straight to glibc).
//
// Bookkeeping lives in bounded memory mapped once at the first enable: a
// table of (stack, size) buckets with cumulative alloc/free counts, and an
// open-addressing table of live sampled pointers, so that free() of a sampled
// block moves it from in-use to freed. A full table drops the sample and
// counts it. free() of an unsampled pointer costs one relaxed load when no
// sampled block is live, else one probe of the pointer table (lock-free;
// sampled blocks take a spin lock, rare by construction).
//
// Under AddressSanitizer or ThreadSanitizer, which replace malloc themselves,
// no allocator function is defined: HeapSamplingSupported() is false and
// Enable does nothing (the profiles come out empty).
//
// Thread-safety: every function may be called from any thread. Enable/Disable
// take effect on each thread at its next countdown expiry.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace quartet::profile_internal {

inline constexpr int kHeapFrames = 32;

// One (stack, size) bucket: cumulative since Enable.
struct HeapBucket {
  uint64_t alloc_count = 0;  // sampled allocations
  uint64_t free_count = 0;   // of which freed since
  uint64_t size = 0;         // bytes per allocation
  uint32_t depth = 0;
  uint32_t id = 0;  // stable index, for deltas between snapshots
  uintptr_t pcs[kHeapFrames] = {};
};

struct HeapSnapshot {
  std::vector<HeapBucket> buckets;
  int64_t mean_interval = 0;     // bytes; 0 when sampling was never enabled
  uint64_t dropped_buckets = 0;  // sampled allocations lost: bucket table full
  uint64_t dropped_live = 0;     // sampled allocations not tracked for free: table full
};

// False in sanitizer builds (no interposer).
bool HeapSamplingSupported() noexcept;

// Starts sampling with the given mean interval (bytes, >= 1); forgets the
// buckets and live blocks of any earlier session. False when unsupported or
// the tables cannot be mapped.
bool EnableHeapSampling(int64_t mean_interval_bytes) noexcept;
// Stops taking samples. Blocks sampled before stay tracked (their frees still
// count) until the next Enable.
void DisableHeapSampling() noexcept;
bool HeapSamplingEnabled() noexcept;

// A consistent copy of every bucket. Allocates (outside the sampler's lock).
HeapSnapshot SnapshotHeap();

// Live sampled blocks now (for tests and stats).
uint64_t HeapLiveSampled() noexcept;

}  // namespace quartet::profile_internal

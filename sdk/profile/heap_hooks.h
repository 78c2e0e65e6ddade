// Internal to the heap sampler (heap_sampler.cc, malloc_hooks.cc): the
// per-thread countdown the allocator hooks decrement, the slow paths they call
// and the section that holds every hook, so a sampled stack can drop the
// sampler's own frames whatever got inlined where.
//
// Thread-safety: t_state is per thread; the rest is documented in
// heap_sampler.h.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

// The interposer is compiled out under sanitizers that own malloc.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__) || defined(__SANITIZE_MEMORY__)
#define QUARTET_HEAP_HOOKS 0
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || \
    __has_feature(memory_sanitizer)
#define QUARTET_HEAP_HOOKS 0
#endif
#endif
#ifndef QUARTET_HEAP_HOOKS
#define QUARTET_HEAP_HOOKS 1
#endif

// Functions in this section are the sampler's own frames.
#define HEAP_HOOK __attribute__((section("quartet_heap_hooks"), noinline))

extern "C" {
// Bounds of the section, provided by the linker.
extern const char __start_quartet_heap_hooks[] __attribute__((visibility("hidden")));
extern const char __stop_quartet_heap_hooks[] __attribute__((visibility("hidden")));
}

namespace quartet::profile_internal {
namespace heap_internal {

struct ThreadState;
// Defined in malloc_hooks.cc (true when it defines the allocator). Read by
// HeapSamplingSupported(), so that linking the SDK as a static archive pulls
// the interposer in wherever the sampler is.
extern const bool kAllocatorHooksLinked;
extern std::atomic<uint64_t> g_live_count;
// Counts of live sampled blocks per hash of their address: free() reads one
// 16-bit counter of this 32 KiB array (cache-resident) and, when it is 0 as
// it is for nearly every pointer, knows the block was not sampled without
// probing the 256 KiB pointer table. Written under the sampler's lock.
inline constexpr uint32_t kLiveFilterSlots = 16384;
extern std::atomic<uint16_t> g_live_filter[kLiveFilterSlots];
inline uint32_t LiveFilterSlot(uintptr_t p) {
  return static_cast<uint32_t>(((p >> 4) * 0x9E3779B97F4A7C15ull) >> 50);
}
// Bytes this thread may still allocate before the slow path runs.
extern __thread int64_t t_countdown __attribute__((tls_model("initial-exec")));

}  // namespace heap_internal

// The countdown ran out: resets it, and samples `ptr` (`size` bytes) when
// sampling is on. `ptr` may be null (failed allocation: nothing recorded).
void OnCountdownExpired(void* ptr, size_t size);
// Free of `ptr` while sampled blocks are live: forgets it if it was sampled.
void OnSampledFree(void* ptr);

}  // namespace quartet::profile_internal

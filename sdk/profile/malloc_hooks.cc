// The allocator interposer (see heap_sampler.h): malloc's family and every
// replaceable operator new/delete, forwarding to glibc's allocator through
// its exported __libc_* entry points (never dlsym, which may allocate). glibc
// documents this set as what a malloc replacement must define; because the
// blocks come from glibc's own allocator, malloc_usable_size, malloc_trim
// and mallinfo keep working unchanged.
//
// Fast path: the real allocation, then one thread-local decrement and a
// branch; free adds one relaxed load (plus a probe while sampled blocks are
// live). Nothing here is compiled under ASan/TSan (QUARTET_HEAP_HOOKS).
#include "sdk/profile/heap_hooks.h"

#if QUARTET_HEAP_HOOKS

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>

#include <new>

extern "C" {
void* __libc_malloc(size_t size);
void* __libc_calloc(size_t n, size_t size);
void* __libc_realloc(void* p, size_t size);
void __libc_free(void* p);
void* __libc_memalign(size_t alignment, size_t size);
void* __libc_valloc(size_t size);
void* __libc_pvalloc(size_t size);
}

namespace {

using quartet::profile_internal::OnCountdownExpired;
using quartet::profile_internal::OnSampledFree;
using quartet::profile_internal::heap_internal::g_live_count;
using quartet::profile_internal::heap_internal::g_live_filter;
using quartet::profile_internal::heap_internal::LiveFilterSlot;
using quartet::profile_internal::heap_internal::t_countdown;

#define HOOK_FN __attribute__((section("quartet_heap_hooks")))

inline __attribute__((always_inline)) void* Sampled(void* p, size_t size) {
  t_countdown -= static_cast<int64_t>(size);
  if (__builtin_expect(t_countdown < 0, 0)) OnCountdownExpired(p, size);
  return p;
}

inline __attribute__((always_inline)) void BeforeFree(void* p) {
  if (__builtin_expect(g_live_count.load(std::memory_order_relaxed) != 0, 0) &&
      g_live_filter[LiveFilterSlot(reinterpret_cast<uintptr_t>(p))].load(
          std::memory_order_relaxed) != 0) {
    OnSampledFree(p);  // probably sampled: look it up
  }
}

HOOK_FN void* NewOrThrow(size_t size) {
  for (;;) {
    if (void* p = __libc_malloc(size)) return Sampled(p, size);
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

HOOK_FN void* AlignedNewOrThrow(size_t size, std::align_val_t align) {
  for (;;) {
    if (void* p = __libc_memalign(static_cast<size_t>(align), size)) return Sampled(p, size);
    std::new_handler handler = std::get_new_handler();
    if (handler == nullptr) throw std::bad_alloc();
    handler();
  }
}

HOOK_FN void* NewNothrow(size_t size) noexcept {
  try {
    return NewOrThrow(size);
  } catch (...) {
    return nullptr;
  }
}

HOOK_FN void* AlignedNewNothrow(size_t size, std::align_val_t align) noexcept {
  try {
    return AlignedNewOrThrow(size, align);
  } catch (...) {
    return nullptr;
  }
}

inline bool PowerOfTwo(size_t x) { return x != 0 && (x & (x - 1)) == 0; }

}  // namespace

extern "C" {

HOOK_FN void* malloc(size_t size) noexcept { return Sampled(__libc_malloc(size), size); }

HOOK_FN void free(void* p) noexcept {
  BeforeFree(p);
  __libc_free(p);
}

HOOK_FN void* calloc(size_t n, size_t size) noexcept {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) total = 0;  // glibc fails it
  return Sampled(__libc_calloc(n, size), total);
}

HOOK_FN void* realloc(void* p, size_t size) noexcept {
  // The old block leaves the books before glibc may hand its address to
  // another thread. A failed realloc leaves it allocated but forgotten: its
  // in-use share reads low, never high.
  BeforeFree(p);
  void* q = __libc_realloc(p, size);
  if (q == nullptr) return nullptr;
  return Sampled(q, size);
}

HOOK_FN void* reallocarray(void* p, size_t n, size_t size) noexcept {
  size_t total;
  if (__builtin_mul_overflow(n, size, &total)) {
    errno = ENOMEM;
    return nullptr;
  }
  return realloc(p, total);
}

HOOK_FN void* memalign(size_t alignment, size_t size) noexcept {
  return Sampled(__libc_memalign(alignment, size), size);
}

HOOK_FN void* aligned_alloc(size_t alignment, size_t size) noexcept {
  if (!PowerOfTwo(alignment)) {
    errno = EINVAL;
    return nullptr;
  }
  return Sampled(__libc_memalign(alignment, size), size);
}

HOOK_FN int posix_memalign(void** out, size_t alignment, size_t size) noexcept {
  if (alignment % sizeof(void*) != 0 || !PowerOfTwo(alignment / sizeof(void*))) return EINVAL;
  void* p = __libc_memalign(alignment, size);
  if (p == nullptr) return ENOMEM;
  *out = Sampled(p, size);
  return 0;
}

HOOK_FN void* valloc(size_t size) noexcept { return Sampled(__libc_valloc(size), size); }

HOOK_FN void* pvalloc(size_t size) noexcept { return Sampled(__libc_pvalloc(size), size); }

}  // extern "C"

HOOK_FN void* operator new(size_t size) { return NewOrThrow(size); }
HOOK_FN void* operator new[](size_t size) { return NewOrThrow(size); }
HOOK_FN void* operator new(size_t size, const std::nothrow_t&) noexcept { return NewNothrow(size); }
HOOK_FN void* operator new[](size_t size, const std::nothrow_t&) noexcept {
  return NewNothrow(size);
}
HOOK_FN void* operator new(size_t size, std::align_val_t align) {
  return AlignedNewOrThrow(size, align);
}
HOOK_FN void* operator new[](size_t size, std::align_val_t align) {
  return AlignedNewOrThrow(size, align);
}
HOOK_FN void* operator new(size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AlignedNewNothrow(size, align);
}
HOOK_FN void* operator new[](size_t size, std::align_val_t align, const std::nothrow_t&) noexcept {
  return AlignedNewNothrow(size, align);
}

HOOK_FN void operator delete(void* p) noexcept { free(p); }
HOOK_FN void operator delete[](void* p) noexcept { free(p); }
HOOK_FN void operator delete(void* p, const std::nothrow_t&) noexcept { free(p); }
HOOK_FN void operator delete[](void* p, const std::nothrow_t&) noexcept { free(p); }
HOOK_FN void operator delete(void* p, size_t) noexcept { free(p); }
HOOK_FN void operator delete[](void* p, size_t) noexcept { free(p); }
HOOK_FN void operator delete(void* p, std::align_val_t) noexcept { free(p); }
HOOK_FN void operator delete[](void* p, std::align_val_t) noexcept { free(p); }
HOOK_FN void operator delete(void* p, size_t, std::align_val_t) noexcept { free(p); }
HOOK_FN void operator delete[](void* p, size_t, std::align_val_t) noexcept { free(p); }
HOOK_FN void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { free(p); }
HOOK_FN void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept {
  free(p);
}

namespace quartet::profile_internal::heap_internal {
extern const bool kAllocatorHooksLinked = true;
}

#else  // !QUARTET_HEAP_HOOKS

namespace quartet::profile_internal::heap_internal {
extern const bool kAllocatorHooksLinked = false;
}

#endif  // QUARTET_HEAP_HOOKS

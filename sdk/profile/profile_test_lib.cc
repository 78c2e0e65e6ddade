// A shared library with one hot function, loaded by the profiler's tests to
// check that frames inside a .so other than libc get their names.
#include <cstdint>

namespace hotlib {

// SpinInLibrary's lines, for the file:line check of `pprof -lines`.
__attribute__((visibility("default"))) extern const int kSpinFirstLine = __LINE__ + 1;
__attribute__((visibility("default"), noinline)) uint64_t SpinInLibrary(uint64_t n) {
  uint64_t x = 88172645463325252ull ^ n;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));
  }
  return x;
}
__attribute__((visibility("default"))) extern const int kSpinLastLine = __LINE__ - 1;

}  // namespace hotlib

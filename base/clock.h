// Wall-clock and monotonic time in nanoseconds, as the signals carry them.
// Thread-safe; each call is one vDSO clock_gettime.
#pragma once

#include <cstdint>
#include <ctime>

namespace quartet {

inline int64_t UnixNanos() {
  timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

inline int64_t MonotonicNanos() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec;
}

}  // namespace quartet

// SeriesSource: how the PromQL engine reads stored samples. The store
// implements it (the integrator adapts the TSDB); MemorySeriesSource
// (memory_series_source.h) is the in-memory implementation for tests and
// benchmarks. Implementations must be safe to call from several queries at
// once.
//
// Contract of Select:
//   - return every series whose labels match ALL `matchers` (an absent label
//     matches as "") and that has at least one sample with
//     min_t_ms <= t <= max_t_ms; only those samples are returned;
//   - labels sorted by name (labels.h), samples in ascending time order with
//     distinct timestamps; values are raw float64 bit patterns, including
//     Prometheus's StaleNaN marker (kStaleNaNBits), which the engine treats
//     as the end of a series;
//   - series in any order (the engine sorts);
//   - an I/O or corruption error is returned as a non-OK Status and ends the
//     query with it.
#pragma once

#include <cstdint>
#include <cstring>
#include <vector>

#include "base/status.h"
#include "server/query/promql/labels.h"

namespace quartet::promql {

struct Point {
  int64_t t;  // milliseconds since the Unix epoch
  double v;
  friend bool operator==(const Point&, const Point&) = default;
};

struct Series {
  Labels labels;
  std::vector<Point> points;
};

// Prometheus's staleness marker: a NaN with this exact bit pattern.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ULL;
inline double StaleNaN() {
  double d;
  std::memcpy(&d, &kStaleNaNBits, sizeof d);
  return d;
}
inline bool IsStaleNaN(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaNBits;
}

class SeriesSource {
 public:
  virtual ~SeriesSource() = default;
  virtual Result<std::vector<Series>> Select(const std::vector<Matcher>& matchers, int64_t min_t_ms,
                                             int64_t max_t_ms) = 0;
};

}  // namespace quartet::promql

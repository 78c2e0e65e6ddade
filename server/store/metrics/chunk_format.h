// The constants of the metric chunk format (docs/formats/metrics.md,
// "Chunks") shared by its encoder (chunk.cc) and decoders (chunk_decode.cc).
// Internal to server/store/metrics. Constants and pure functions only.
#pragma once

#include <cstdint>

#include "server/store/metrics/chunk.h"

namespace quartet::store::chunk_format {

// Signed values in buckets: prefix '0' = 0, then '10', '110', '1110',
// '11110', '111110' + that many bits of two's complement, '111111' + 64 bits.
struct Buckets {
  int widths[5];
};
inline constexpr int kBuckets = 5;
// Jittered scrape intervals need a few ms; integer deltas of counters and
// gauges mostly fit 4-14 bits (tuned on the mix of metric_table_benchmark).
inline constexpr Buckets kTimeBuckets{{7, 14, 20, 32, 48}};
inline constexpr Buckets kIntBuckets{{4, 7, 10, 14, 24}};

inline constexpr int64_t kMaxExactInt64 = int64_t{1} << 53;

// Integral doubles whose int64 round trip gives back the same bits.
inline bool IsIntegral(double x) { return IsExactInteger(x); }

// Compact value coding (EncodeCompactValues): the mode byte, the Rice
// parameter limit, the "every residual is 0" parameter and the escape: a
// quotient of kRiceEscape or more is written as kRiceEscape ones + 64 bits.
inline constexpr uint8_t kCompactStream = 0;
inline constexpr uint8_t kCompactBase = 1;
inline constexpr uint8_t kCompactDelta = 2;
inline constexpr uint8_t kCompactBits = 3;
inline constexpr uint8_t kMaxRiceK = 62;
inline constexpr uint8_t kAllZero = 0xff;
inline constexpr uint64_t kRiceEscape = 24;

}  // namespace quartet::store::chunk_format

// Two columns of a log page in the byte-plane layouts of docs/formats/logs.md
// (`pN.time`, `pN.nums`): the rows' timestamps, and the line codec's number
// columns. Both store each value at a fixed width, byte k of every value
// together (one "plane" per byte), because what these columns hold is mostly
// random low bits over a narrow range: per-plane entropy tables spend about
// the bits the values have, where varints spend a continuation bit per byte
// and mix all byte positions into one table. Fixed width also makes entry k
// of a number column a direct read (a filter checking one field of every
// row reads that field's column alone, without walking varints).
//
// Thread-safety: pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/logs/log_line_codec.h"

namespace quartet::store {

// `pN.time`: the timestamps as deltas in byte planes of the narrowest width
// that suits most of them; the rest (a page's stream changes, long gaps,
// time going back) listed as exceptions.
std::string EncodePageTimes(std::span<const int64_t> timestamps);
// InvalidArgument when malformed or not exactly `rows` values.
Result<std::vector<int64_t>> DecodePageTimes(std::string_view in, size_t rows);

// `pN.nums` (stored as is: its parts are zstd frames of their own, so a
// reader decompresses only the columns it reads). `numbers` is the varint
// number stream EncodeLogLine appended for the page's lines, `counts` the
// numbers of each line; columns are keyed by (count, ordinal) as in `pN.num`.
std::string EncodeNumberColumns(std::string_view numbers, std::span<const uint32_t> counts,
                                int level);

// One column of a parsed `pN.nums`: its compressed frame and layout.
struct PackedNumberColumn {
  std::string_view frame;
  uint8_t width = 1;       // bytes per value, 1..8
  bool has_zeros = false;  // a plane of leading-zero counts follows the value planes
};
// The counts per row (exactly `rows`) and the columns (as many as the
// distinct counts' sum, in (count, ordinal) order); InvalidArgument when
// malformed. Views point into `section`.
Status ParseNumberColumns(std::string_view section, size_t rows, std::vector<uint32_t>* counts,
                          std::vector<PackedNumberColumn>* columns);
// The distinct non-zero counts, ascending (each owns as many columns).
std::vector<uint32_t> DistinctNumberCounts(std::span<const uint32_t> counts);
// InvalidArgument unless the column's frame says it holds `entries` values
// (its header alone: cheap, so a page checks every column when it is read).
Status CheckNumberColumn(const PackedNumberColumn& column, uint32_t entries);
// The column's planes for `entries` values; InvalidArgument unless the frame
// holds exactly that many.
Status UnpackNumberColumn(const PackedNumberColumn& column, uint32_t entries, std::string* out);

// Entry k of an unpacked column of `entries` values. Range-checked as
// ReadLineNumber: false when out of range (more than 18 digits in all).
inline bool PackedNumberAt(std::string_view planes, uint8_t width, bool has_zeros, uint32_t entries,
                           uint32_t k, LineNumber* out) {
  const auto* p = reinterpret_cast<const uint8_t*>(planes.data()) + k;
  uint64_t v = 0;
  for (uint32_t b = 0; b < width; ++b) v |= uint64_t{p[size_t{b} * entries]} << (8 * b);
  out->value = v;
  out->zeros = has_zeros ? p[size_t{width} * entries] : 0;
  return LineNumberInRange(*out);
}

}  // namespace quartet::store

// ScanSegment: decodes the records of one WAL segment held in memory, with
// corruption detection and resynchronisation (docs/formats/wal.md). The Wal
// uses it for Replay; the fuzz target calls it directly on arbitrary bytes.
// Pure function over its input: thread-safe.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::store {

struct WalPosition {
  uint64_t segment = 0;
  uint64_t offset = 0;  // byte offset of the record's first fragment header
  friend bool operator==(const WalPosition&, const WalPosition&) = default;
};

// One damaged stretch of a segment that replay skipped.
struct WalCorruption {
  uint64_t segment = 0;
  uint64_t offset = 0;         // first byte skipped
  uint64_t bytes_skipped = 0;  // replay resumed at offset + bytes_skipped
  bool tail = false;           // no intact record follows in this segment
  std::string reason;          // e.g. "checksum mismatch"
};

struct WalReplayReport {
  uint64_t segments = 0;
  uint64_t records = 0;
  uint64_t record_bytes = 0;  // payload bytes delivered
  std::vector<WalCorruption> corruptions;
  // Bytes cut from the end of the last segment (a torn or corrupt tail).
  uint64_t truncated_bytes = 0;
  bool ok() const { return corruptions.empty(); }
};

using WalRecordFn = std::function<Status(std::string_view record, WalPosition pos)>;

struct SegmentScan {
  // Length of the segment's intact prefix: everything from here on is a
  // damaged tail (== data.size() when the tail is clean).
  uint64_t intact_end = 0;
};

// Calls fn for every intact record of `data` (segment number `segment`) in
// order, appending skipped stretches to report->corruptions. Returns the first
// non-OK status of fn (scanning stops there); otherwise the scan summary.
Result<SegmentScan> ScanSegment(std::string_view data, uint64_t segment, const WalRecordFn& fn,
                                WalReplayReport* report);

}  // namespace quartet::store

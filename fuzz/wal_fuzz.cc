// Fuzzes WAL replay: arbitrary bytes as a segment file. Replay must never
// crash or read out of bounds, every delivered record must lie inside the
// input, and the intact prefix must end within it.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "server/store/wal/segment_reader.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quartet::store;
  std::string_view segment(reinterpret_cast<const char*>(data), size);
  WalReplayReport report;
  uint64_t delivered_bytes = 0;
  auto scan = ScanSegment(
      segment, 1,
      [&](std::string_view record, WalPosition pos) {
        if (pos.offset >= size && !(size == 0)) std::abort();
        delivered_bytes += record.size();
        return quartet::Status::Ok();
      },
      &report);
  if (!scan.ok() || scan->intact_end > size || delivered_bytes > size) std::abort();
  uint64_t skipped = 0;
  for (const WalCorruption& c : report.corruptions) {
    if (c.offset + c.bytes_skipped > size) std::abort();
    skipped += c.bytes_skipped;
  }
  if (skipped > size) std::abort();
  return 0;
}

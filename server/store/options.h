// Settings shared by every table of the storage engine (traces, logs, and
// later metrics and profiles), as quartetd's config file and flags set them.
// docs/formats/ describes the files; docs/architecture.md the data path.
// Plain values; thread-safe as values are.
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>

#include "server/store/wal/wal.h"

namespace quartet::store {

struct TableOptions {
  // The table's directory (e.g. <data-dir>/traces): wal/ and blocks/ inside.
  std::string dir;
  // When an acknowledged write is durable. kAlways (default): fsync'd before
  // the append returns, so nothing acknowledged is lost even on power loss.
  SyncPolicy sync = SyncPolicy::kAlways;
  // The in-memory head is written to a block when it holds this much ...
  size_t head_flush_bytes = 256u << 20;
  // ... or its oldest data is this old.
  std::chrono::seconds head_flush_age{15 * 60};
  // Appends are refused (429/503 with Retry-After) while the head holds more
  // than this: the bound on memory when ingest outruns the disk.
  size_t memory_limit_bytes = 1u << 30;
  // Log streams (distinct label sets) the in-memory head may hold, Loki's
  // "active streams" limit: a label with unbounded values (a request id as a
  // label) is refused instead of exhausting memory. A request with more new
  // streams than this is bad input (400); one that would pass it while the
  // head is full is pushed back (429) until the head is written to disk.
  size_t max_streams = 100000;
  // Retention: blocks whose newest data is older than this, and the oldest
  // blocks beyond this many bytes, are deleted. 0 = no limit.
  std::chrono::seconds retention_age{7 * 24 * 3600};
  uint64_t retention_bytes = 0;
};

// The head size at which a table writes it to a block: head_flush_bytes, but
// never more than half the memory limit, so that a head over the limit is
// always on its way to disk (a limit below the flush size must not refuse
// appends until the age trigger).
inline size_t FlushThresholdBytes(const TableOptions& options) {
  return std::min(options.head_flush_bytes, options.memory_limit_bytes / 2);
}

}  // namespace quartet::store

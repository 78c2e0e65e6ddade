// Per-thread cells behind counters and histograms: slot allocation, the slow
// path of a thread's first touch, the fold of an exiting thread's cells into
// the retired totals, and the reader that sums a slot across threads.
//
// Each series owns consecutive slots (never straddling a chunk); every thread
// writes its own cell per slot with a relaxed load+store (metrics.h inline
// code), so increments never contend. A reader holds the store's mutex and
// sums retired + every live thread's cell; a thread's exit folds its cells
// and unlinks itself under the same mutex, so no scrape sees a value twice or
// loses one, and each sum only grows.
//
// Thread-safety: all functions are thread-safe. Slots are never freed.
#pragma once

#include <cstdint>
#include <mutex>
#include <span>

#include "quartet/metrics.h"

namespace quartet::metrics_internal {

enum class CellKind : uint8_t { kU64, kF64 };

// Reserves kinds.size() consecutive slots inside one chunk; kNoSlot when the
// store is full or the request is larger than a chunk.
uint32_t AllocateSlots(std::span<const CellKind> kinds) noexcept;

// The calling thread's cell for `slot`, creating its cell block or chunk on
// first use; null when that is impossible (the thread is exiting, or out of
// memory): then add with AddRetired instead.
Cell* TouchCell(uint32_t slot) noexcept;
void AddRetired(uint32_t slot, uint64_t n) noexcept;
void AddRetired(uint32_t slot, double v) noexcept;

// Sums slots across threads while it lives; holds the store's mutex, so keep
// its lifetime to one scrape and take no other lock the writers' slow paths
// need (registry and family locks are fine: writers never hold them here).
class CellReader {
 public:
  CellReader();
  uint64_t U64(uint32_t slot) const;
  double F64(uint32_t slot) const;

 private:
  std::unique_lock<std::mutex> lock_;
};

// Live threads with a cell block (for tests).
size_t LiveCellThreads() noexcept;

}  // namespace quartet::metrics_internal

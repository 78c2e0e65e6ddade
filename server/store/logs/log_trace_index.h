// LogTraceIndex: the head's map from a trace id to the entries that carry
// it, so the logs of a trace need no scan. Built for ingest, where nearly
// every line brings a trace id and most ids are new: one open-addressing
// table of fixed-size slots (id, newest entry, count) and, per entry, the
// previous entry of the same trace. An insert touches one slot (no node or
// vector to allocate, as std::unordered_map<TraceId, std::vector> needed).
//
// Thread-safety: none; the owner (LogHead) serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "quartet/context.h"

namespace quartet::store {

class LogTraceIndex {
 public:
  // Records that entry `index` carries `trace_id` (valid). Entries are added
  // once each, in increasing index order.
  void Add(const TraceId& trace_id, uint32_t index);
  // Starts loading the slot of `trace_id` into the cache: a batch insert
  // calls this a few entries ahead, so that the table's one cache miss per
  // new id overlaps other work.
  void Prefetch(const TraceId& trace_id) const;
  // The entries carrying `trace_id`, in the order they were added.
  std::vector<uint32_t> Entries(const TraceId& trace_id) const;
  int64_t Count(const TraceId& trace_id) const;
  // Memory held (the slot table and the per-entry chain).
  size_t bytes() const;

 private:
  static constexpr uint32_t kNone = UINT32_MAX;
  struct Slot {
    TraceId id;
    uint32_t newest = kNone;
    uint32_t count = 0;  // 0: the slot is empty
  };
  const Slot* Find(const TraceId& trace_id) const;
  void Grow();

  std::vector<Slot> slots_;  // size 0 or a power of two, at most 3/4 used
  size_t used_ = 0;
  std::vector<uint32_t> previous_;  // by entry index: the trace's entry before it
};

}  // namespace quartet::store

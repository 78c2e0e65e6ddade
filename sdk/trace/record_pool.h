// SpanRecordPool: ended span records go back to the threads that start spans
// instead of to free(). A record allocated on a request thread and freed on
// the export thread costs a trip through malloc's cross-thread path on both
// sides; recycled records also keep the capacity of their vectors and name.
// Bounded: records beyond the capacity are freed. Thread-safe.
#pragma once

#include <new>

#include "sdk/trace/bounded_queue.h"
#include "sdk/trace/span_record.h"

namespace quartet::trace_internal {

class SpanRecordPool {
 public:
  explicit SpanRecordPool(size_t capacity) : free_(capacity) {}
  ~SpanRecordPool() {
    SpanRecord* r;
    while (free_.TryPop(&r)) delete r;
  }
  SpanRecordPool(const SpanRecordPool&) = delete;
  SpanRecordPool& operator=(const SpanRecordPool&) = delete;

  // A clean record (recycled when one is free), or null when out of memory.
  SpanRecord* Acquire() noexcept {
    SpanRecord* r;
    if (free_.TryPop(&r)) return r;
    return new (std::nothrow) SpanRecord;
  }
  // Takes the record back; called on the export thread.
  void Release(SpanRecord* r) noexcept {
    r->Reset();
    if (!free_.TryPush(r)) delete r;
  }

 private:
  BoundedQueue<SpanRecord*> free_;
};

}  // namespace quartet::trace_internal

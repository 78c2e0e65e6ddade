// Small tests on the sources of the trace table (the head, the frozen head,
// the blocks) shared by its query paths. Pure functions; thread-safe on
// const sources.
#pragma once

#include <algorithm>

#include "server/store/interface.h"
#include "server/store/traces/trace_block.h"
#include "server/store/traces/trace_head.h"

namespace quartet::store {

inline bool SpanInRange(const otlp::Span& span, const TimeRange& range) {
  return range.Overlaps(static_cast<int64_t>(span.start_time_unix_nano),
                        static_cast<int64_t>(span.end_time_unix_nano));
}

// Whether the head's part of `trace` holds its root span (no parent).
inline bool HeadHasRoot(const TraceHead& head, const TraceHead::Trace& trace) {
  return std::any_of(trace.spans.begin(), trace.spans.end(),
                     [&](uint32_t i) { return !head.spans()[i].span.parent_span_id.valid(); });
}

inline bool HeadOverlaps(const TraceHead& head, const TimeRange& range) {
  return head.trace_count() > 0 && range.Overlaps(head.min_time_ns(), head.max_time_ns());
}

inline bool BlockOverlaps(const TraceBlockIndex& block, const TimeRange& range) {
  return range.Overlaps(block.meta().min_time_ns, block.meta().max_time_ns);
}

}  // namespace quartet::store

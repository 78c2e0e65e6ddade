// Finds the trace a log line belongs to, so the correlation index can list
// a trace's log lines: from structured metadata (`trace_id` / `span_id`,
// also the spellings traceID, traceId and spanID, spanId) or, when none is
// given, from the line itself — a JSON line's "trace_id":"<32 hex>" member
// (what the quartet SDK writes) or a logfmt trace_id=<32 hex> pair. Invalid
// ids (wrong length, not hex, all zero) are ignored, never an error.
// Pure functions; thread-safe.
#pragma once

#include <string_view>
#include <utility>
#include <vector>

#include "quartet/context.h"
#include "server/store/interface.h"

namespace quartet::ingest {

struct TraceLink {
  TraceId trace_id;
  SpanId span_id;
};

TraceLink FindTraceLink(std::string_view line, const store::Labels& structured_metadata);

}  // namespace quartet::ingest

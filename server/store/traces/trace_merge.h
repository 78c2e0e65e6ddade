// Merging the parts of one trace that live in different places (the head,
// the frozen head being flushed, one or more blocks): spans arrive late, so a
// trace can be split across all of them, and every query answers with the
// whole trace. Pure functions; thread-safe.
#pragma once

#include "server/store/interface.h"
#include "wire/otlp/model.h"

namespace quartet::store {

// Folds the summary of one part into `merged`: earliest start, latest end,
// span counts summed, error OR, services union, and the root facts of the
// part that holds the root span (`part_has_root`). `merged_has_root` tracks
// whether a root was seen; both start out zero/false for an empty merge.
void MergeSummary(const TraceSummary& part, bool part_has_root, TraceSummary* merged,
                  bool* merged_has_root);

// Moves the spans of `part` into `merged`, joining spans of equal (resource,
// scope) pairs under one ResourceSpans/ScopeSpans, as the head groups them.
void MergeSpans(otlp::ExportTraceServiceRequest part, otlp::ExportTraceServiceRequest* merged);

// True when the trace has a span without a parent.
bool HasRootSpan(const otlp::ExportTraceServiceRequest& spans);

}  // namespace quartet::store

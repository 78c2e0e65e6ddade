// TraceHead: the in-memory part of the trace table — every span not yet
// written to a block, grouped by trace id, with each trace's correlation
// summary kept current as spans arrive (in any order, from any service).
// Resources and scopes are stored once per distinct value, spans refer to
// them, so a batch of 512 spans from one service costs one resource copy.
//
// Thread-safety: none; TraceTable serialises writers and readers.
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "server/store/interface.h"
#include "server/store/traces/trace_block.h"
#include "server/store/traces/trace_id_index.h"
#include "wire/otlp/model.h"

namespace quartet::store {

class TraceHead {
 public:
  struct Group {  // one distinct (resource, scope) pair
    otlp::Resource resource;
    otlp::InstrumentationScope scope;
    std::string resource_schema_url;
    std::string scope_schema_url;
  };
  struct StoredSpan {
    uint32_t group;
    otlp::Span span;
  };
  struct Trace {
    TraceSummary summary;
    std::vector<uint32_t> spans;       // indexes into spans()
    int64_t start_bucket = INT64_MIN;  // where the start-time index holds it
  };

  // Adds every span with a valid trace id and span id, moving them out of
  // `request`; returns how many were added (the caller rejects the others
  // before, this is a backstop).
  int64_t Add(otlp::ExportTraceServiceRequest request);

  const Trace* Find(const TraceId& id) const;
  // The spans of `trace` grouped by resource and scope, in arrival order.
  otlp::ExportTraceServiceRequest Materialize(const Trace& trace) const;
  // The spans of `trace` as the block builder takes them, grouped as
  // Materialize groups them, borrowed from this head (which must not change
  // until the builder is finished); `spans` holds the groups' span lists.
  void Groups(const Trace& trace, std::vector<TraceBlockBuilder::SpanGroup>* groups,
              std::vector<const otlp::Span*>* spans) const;
  // Calls fn for every trace (unordered) until it returns false.
  void ForEachTrace(const std::function<bool(const Trace&)>& fn) const;
  // Calls fn, until it returns false, for every trace that may overlap
  // `range` (a superset of those that do: the caller checks), visiting only
  // the traces that start near it. An incident report asks a dozen slices
  // of one window; a head holding hours of many services' traces is not
  // walked whole for each.
  void ForEachTraceIn(const TimeRange& range, const std::function<bool(const Trace&)>& fn) const;

  const std::vector<StoredSpan>& spans() const { return spans_; }
  const Group& group(uint32_t i) const { return groups_[i]; }
  size_t trace_count() const { return traces_.size(); }
  int64_t min_time_ns() const { return min_time_ns_; }
  int64_t max_time_ns() const { return max_time_ns_; }
  // Approximate memory held, for the flush policy and the memory bound.
  size_t bytes() const { return bytes_; }

 private:
  uint32_t InternGroup(const otlp::ResourceSpans& rs, const otlp::ScopeSpans& ss);

  std::vector<Group> groups_;
  std::map<std::string, uint32_t> group_index_;  // encoded (resource, scope) -> groups_ index
  std::vector<StoredSpan> spans_;
  std::deque<Trace> traces_;  // Trace* stay valid as it grows and when the head moves
  TraceIdIndex trace_index_;  // trace id -> traces_ index
  // Start-time index: traces by summary.start_ns >> kBucketShift (~17 s).
  // A trace whose start moves earlier (a span that began before the others
  // arrives late) is appended to its new bucket; the entry in the old one is
  // skipped because start_bucket no longer names it.
  static constexpr int kBucketShift = 34;
  std::map<int64_t, std::vector<const Trace*>> by_start_;
  int64_t longest_ns_ = 0;  // the longest trace's end - start
  int64_t min_time_ns_ = INT64_MAX;
  int64_t max_time_ns_ = INT64_MIN;
  size_t bytes_ = 0;
};

// Approximate bytes a span holds in memory (strings, attributes, events).
size_t ApproximateBytes(const otlp::Span& span);

}  // namespace quartet::store

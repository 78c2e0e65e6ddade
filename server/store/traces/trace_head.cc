#include "server/store/traces/trace_head.h"

#include <algorithm>

#include "server/store/traces/trace_filter.h"
#include "wire/otlp/encode_model.h"

namespace quartet::store {
namespace {

size_t AttributeBytes(const std::vector<otlp::KeyValue>& attributes);

size_t ValueBytes(const otlp::AnyValue& value) {
  size_t n = sizeof(otlp::AnyValue) + value.string_value.size();
  for (const otlp::AnyValue& v : value.array_value) n += ValueBytes(v);
  n += AttributeBytes(value.kvlist_value);
  return n;
}

size_t AttributeBytes(const std::vector<otlp::KeyValue>& attributes) {
  size_t n = 0;
  for (const otlp::KeyValue& kv : attributes) n += kv.key.size() + ValueBytes(kv.value);
  return n;
}

}  // namespace

size_t ApproximateBytes(const otlp::Span& span) {
  size_t n = sizeof(otlp::Span) + span.name.size() + span.trace_state.size() +
             span.status.message.size() + AttributeBytes(span.attributes);
  for (const otlp::SpanEvent& e : span.events) {
    n += sizeof(e) + e.name.size() + AttributeBytes(e.attributes);
  }
  for (const otlp::SpanLink& l : span.links) {
    n += sizeof(l) + l.trace_state.size() + AttributeBytes(l.attributes);
  }
  return n;
}

uint32_t TraceHead::InternGroup(const otlp::ResourceSpans& rs, const otlp::ScopeSpans& ss) {
  otlp::ExportTraceServiceRequest key_request;
  otlp::ResourceSpans& key_rs = key_request.resource_spans.emplace_back();
  key_rs.resource = rs.resource;
  key_rs.schema_url = rs.schema_url;
  otlp::ScopeSpans& key_ss = key_rs.scope_spans.emplace_back();
  key_ss.scope = ss.scope;
  key_ss.schema_url = ss.schema_url;
  std::string key = otlp::EncodeTraces(key_request);
  auto [it, inserted] = group_index_.try_emplace(std::move(key), groups_.size());
  if (inserted) {
    groups_.push_back(Group{.resource = rs.resource,
                            .scope = ss.scope,
                            .resource_schema_url = rs.schema_url,
                            .scope_schema_url = ss.schema_url});
    bytes_ += it->first.size() * 2 + sizeof(Group);
  }
  return it->second;
}

int64_t TraceHead::Add(otlp::ExportTraceServiceRequest request) {
  int64_t added = 0;
  for (otlp::ResourceSpans& rs : request.resource_spans) {
    for (otlp::ScopeSpans& ss : rs.scope_spans) {
      if (ss.spans.empty()) continue;
      const uint32_t group = InternGroup(rs, ss);
      for (otlp::Span& moved : ss.spans) {
        if (!moved.trace_id.valid() || !moved.span_id.valid()) continue;
        const auto index = static_cast<uint32_t>(spans_.size());
        const otlp::Span& span = spans_.emplace_back(StoredSpan{group, std::move(moved)}).span;
        const auto [at, inserted] =
            trace_index_.Insert(span.trace_id, static_cast<uint32_t>(traces_.size()));
        if (inserted) {
          traces_.emplace_back();
          bytes_ += sizeof(Trace) + 64;  // with its index slots
        }
        Trace& trace = traces_[at];
        trace.spans.push_back(index);
        AddSpanToSummary(groups_[group].resource, span, &trace.summary);
        const int64_t bucket = trace.summary.start_ns >> kBucketShift;
        if (bucket != trace.start_bucket) {
          by_start_[bucket].push_back(&trace);
          trace.start_bucket = bucket;
          bytes_ += sizeof(const Trace*);
        }
        longest_ns_ = std::max(longest_ns_, trace.summary.end_ns - trace.summary.start_ns);
        min_time_ns_ = std::min(min_time_ns_, static_cast<int64_t>(span.start_time_unix_nano));
        max_time_ns_ = std::max(max_time_ns_, static_cast<int64_t>(span.end_time_unix_nano));
        bytes_ += ApproximateBytes(span) + sizeof(uint32_t);
        ++added;
      }
    }
  }
  return added;
}

const TraceHead::Trace* TraceHead::Find(const TraceId& id) const {
  const uint32_t at = trace_index_.Find(id);
  return at == TraceIdIndex::kAbsent ? nullptr : &traces_[at];
}

otlp::ExportTraceServiceRequest TraceHead::Materialize(const Trace& trace) const {
  otlp::ExportTraceServiceRequest out;
  // Group spans by their (resource, scope) group, keeping arrival order
  // within each group and first-appearance order across groups.
  std::vector<uint32_t> order;
  std::map<uint32_t, std::vector<uint32_t>> by_group;
  for (uint32_t index : trace.spans) {
    auto [it, inserted] = by_group.try_emplace(spans_[index].group);
    if (inserted) order.push_back(spans_[index].group);
    it->second.push_back(index);
  }
  for (uint32_t g : order) {
    const Group& group = groups_[g];
    otlp::ResourceSpans& rs = out.resource_spans.emplace_back();
    rs.resource = group.resource;
    rs.schema_url = group.resource_schema_url;
    otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
    ss.scope = group.scope;
    ss.schema_url = group.scope_schema_url;
    for (uint32_t index : by_group[g]) ss.spans.push_back(spans_[index].span);
  }
  return out;
}

void TraceHead::Groups(const Trace& trace, std::vector<TraceBlockBuilder::SpanGroup>* groups,
                       std::vector<const otlp::Span*>* spans) const {
  groups->clear();
  spans->clear();
  spans->reserve(trace.spans.size());  // no reallocation: groups point into it
  uint32_t groups_seen[8];
  size_t ngroups = 0;
  std::vector<uint32_t> more;  // a trace across more than 8 groups
  for (uint32_t index : trace.spans) {
    const uint32_t g = spans_[index].group;
    if (std::find(groups_seen, groups_seen + ngroups, g) != groups_seen + ngroups ||
        std::find(more.begin(), more.end(), g) != more.end()) {
      continue;
    }
    if (ngroups < std::size(groups_seen)) {
      groups_seen[ngroups++] = g;
    } else {
      more.push_back(g);
    }
  }
  auto add = [&](uint32_t g) {
    const size_t begin = spans->size();
    for (uint32_t index : trace.spans) {
      if (spans_[index].group == g) spans->push_back(&spans_[index].span);
    }
    const Group& group = groups_[g];
    groups->push_back(TraceBlockBuilder::SpanGroup{
        .resource = &group.resource,
        .resource_schema_url = &group.resource_schema_url,
        .scope = &group.scope,
        .scope_schema_url = &group.scope_schema_url,
        .spans = std::span<const otlp::Span* const>(spans->data() + begin, spans->size() - begin),
        .shared_key = g});
  };
  for (size_t i = 0; i < ngroups; ++i) add(groups_seen[i]);
  for (uint32_t g : more) add(g);
}

void TraceHead::ForEachTrace(const std::function<bool(const Trace&)>& fn) const {
  for (const Trace& trace : traces_) {
    if (!fn(trace)) return;
  }
}

void TraceHead::ForEachTraceIn(const TimeRange& range,
                               const std::function<bool(const Trace&)>& fn) const {
  if (range.end_ns == INT64_MIN) return;  // nothing starts before it
  // A trace overlaps when it starts before the range ends and ends at or
  // after its start; it cannot have started more than longest_ns_ before.
  const int64_t earliest =
      range.start_ns < INT64_MIN + longest_ns_ ? INT64_MIN : range.start_ns - longest_ns_;
  const int64_t last_bucket = (range.end_ns - 1) >> kBucketShift;
  for (auto it = by_start_.lower_bound(earliest >> kBucketShift);
       it != by_start_.end() && it->first <= last_bucket; ++it) {
    for (const Trace* trace : it->second) {
      if (trace->start_bucket != it->first) continue;
      if (!fn(*trace)) return;
    }
  }
}

}  // namespace quartet::store

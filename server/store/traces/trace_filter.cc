#include "server/store/traces/trace_filter.h"

#include <algorithm>
#include <string>

#include "wire/otlp/encode_json.h"

namespace quartet::store {
namespace {

std::string_view StringAttribute(const std::vector<otlp::KeyValue>& attributes,
                                 std::string_view key) {
  const otlp::AnyValue* value = otlp::FindAttribute(attributes, key);
  if (value == nullptr || value->type != otlp::AnyValue::Type::kString) return {};
  return value->string_value;
}

// Attribute values compare as text, as TraceQL's string comparison does for
// the index hints: ints and bools in their decimal / literal spelling.
bool AttributeEquals(const otlp::AnyValue* value, std::string_view want) {
  if (value == nullptr) return false;
  switch (value->type) {
    case otlp::AnyValue::Type::kString:
      return value->string_value == want;
    case otlp::AnyValue::Type::kInt:
      return std::to_string(value->int_value) == want;
    case otlp::AnyValue::Type::kBool:
      return (value->bool_value ? "true" : "false") == want;
    default:
      return false;
  }
}

}  // namespace

std::string TagValueText(const otlp::AnyValue& value) {
  switch (value.type) {
    case otlp::AnyValue::Type::kString:
    case otlp::AnyValue::Type::kInt:
    case otlp::AnyValue::Type::kBool:
    case otlp::AnyValue::Type::kDouble:
      return otlp::AnyValueText(value);
    default:
      return "";
  }
}

std::string_view ServiceName(const otlp::Resource& resource) {
  return StringAttribute(resource.attributes, "service.name");
}

bool SummaryMatches(const TraceFilter& filter, const TraceSummary& summary) {
  if (!filter.range.Overlaps(summary.start_ns, summary.end_ns)) return false;
  const int64_t duration = summary.duration_ns();
  if (filter.min_trace_duration_ns && duration < *filter.min_trace_duration_ns) return false;
  if (filter.max_trace_duration_ns && duration > *filter.max_trace_duration_ns) return false;
  if (filter.root_route && summary.root_route != *filter.root_route) return false;
  if (filter.root_name && summary.root_name != *filter.root_name) return false;
  if (filter.root_service && summary.root_service != *filter.root_service) return false;
  if (filter.service &&
      !std::binary_search(summary.services.begin(), summary.services.end(), *filter.service)) {
    return false;
  }
  return true;
}

bool NumberSatisfies(const otlp::AnyValue* value, const NumericAttributeCondition& c) {
  if (value == nullptr) return false;
  if (value->type == otlp::AnyValue::Type::kInt)
    return c.Holds(static_cast<double>(value->int_value));
  if (value->type == otlp::AnyValue::Type::kDouble) return c.Holds(value->double_value);
  return false;
}

bool HasSpanConditions(const TraceFilter& filter) { return filter.HasSpanConditions(); }

bool SpanMatches(const TraceFilter& filter, const otlp::Resource& resource,
                 const otlp::Span& span) {
  if (filter.service && ServiceName(resource) != *filter.service) return false;
  if (filter.span_name && span.name != *filter.span_name) return false;
  const int64_t duration = static_cast<int64_t>(span.end_time_unix_nano) -
                           static_cast<int64_t>(span.start_time_unix_nano);
  if (filter.min_span_duration_ns && duration < *filter.min_span_duration_ns) return false;
  if (filter.max_span_duration_ns && duration > *filter.max_span_duration_ns) return false;
  if (filter.span_has_error && span.status.code != otlp::SpanStatusCode::kError) return false;
  for (const auto& [key, want] : filter.string_attributes) {
    if (!AttributeEquals(otlp::FindAttribute(span.attributes, key), want) &&
        !AttributeEquals(otlp::FindAttribute(resource.attributes, key), want)) {
      return false;
    }
  }
  for (const NumericAttributeCondition& c : filter.numeric_attributes) {
    if (!NumberSatisfies(otlp::FindAttribute(span.attributes, c.key), c) &&
        !NumberSatisfies(otlp::FindAttribute(resource.attributes, c.key), c)) {
      return false;
    }
  }
  return true;
}

void AddSpanToSummary(const otlp::Resource& resource, const otlp::Span& span,
                      TraceSummary* summary) {
  const auto start = static_cast<int64_t>(span.start_time_unix_nano);
  const auto end = std::max(start, static_cast<int64_t>(span.end_time_unix_nano));
  if (summary->span_count == 0) {
    summary->trace_id = span.trace_id;
    summary->start_ns = start;
    summary->end_ns = end;
  } else {
    summary->start_ns = std::min(summary->start_ns, start);
    summary->end_ns = std::max(summary->end_ns, end);
  }
  ++summary->span_count;
  if (span.status.code == otlp::SpanStatusCode::kError) summary->has_error = true;
  const std::string_view service = ServiceName(resource);
  auto at = std::lower_bound(summary->services.begin(), summary->services.end(), service);
  if (!service.empty() && (at == summary->services.end() || *at != service)) {
    summary->services.insert(at, std::string(service));
  }
  if (!span.parent_span_id.valid()) {
    summary->root_service = std::string(service);
    summary->root_name = span.name;
    summary->root_route = std::string(StringAttribute(span.attributes, "http.route"));
  }
}

}  // namespace quartet::store

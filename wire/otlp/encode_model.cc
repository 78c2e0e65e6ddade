#include "wire/otlp/encode_model.h"

#include "wire/otlp/encode_internal.h"

namespace quartet::otlp {
namespace internal {
namespace {

void WriteResourceMessage(Writer& w, const Resource& r) {
  auto m = w.BeginMessage(1);
  WriteResource(w, r.attributes, r.dropped_attributes_count);
  w.EndMessage(m);
}

void WriteScopeMessage(Writer& w, const InstrumentationScope& s) {
  auto m = w.BeginMessage(1);
  WriteScope(w, s.name, s.version, s.attributes, s.dropped_attributes_count);
  w.EndMessage(m);
}

void WriteBuckets(Writer& w, uint32_t field, const ExponentialBuckets& b) {
  if (b.offset == 0 && b.bucket_counts.empty()) return;
  auto m = w.BeginMessage(field);
  if (b.offset) w.Sint32(1, b.offset);
  w.PackedVarint(2, b.bucket_counts);
  w.EndMessage(m);
}

void WriteExponentialPoint(Writer& w, const ExponentialHistogramDataPoint& p) {
  WriteKeyValues(w, 1, p.attributes);
  if (p.start_time_unix_nano) w.Fixed64(2, p.start_time_unix_nano);
  if (p.time_unix_nano) w.Fixed64(3, p.time_unix_nano);
  if (p.count) w.Fixed64(4, p.count);
  if (p.sum) w.Double(5, *p.sum);
  if (p.scale) w.Sint32(6, p.scale);
  if (p.zero_count) w.Fixed64(7, p.zero_count);
  WriteBuckets(w, 8, p.positive);
  WriteBuckets(w, 9, p.negative);
  if (p.flags) w.Uint32(10, p.flags);
  WriteExemplars(w, 11, p.exemplars);
  if (p.min) w.Double(12, *p.min);
  if (p.max) w.Double(13, *p.max);
  if (NonZero(p.zero_threshold)) w.Double(14, p.zero_threshold);
}

void WriteSummaryPoint(Writer& w, const SummaryDataPoint& p) {
  if (p.start_time_unix_nano) w.Fixed64(2, p.start_time_unix_nano);
  if (p.time_unix_nano) w.Fixed64(3, p.time_unix_nano);
  if (p.count) w.Fixed64(4, p.count);
  if (NonZero(p.sum)) w.Double(5, p.sum);
  for (const ValueAtQuantile& q : p.quantile_values) {
    auto m = w.BeginMessage(6);
    if (NonZero(q.quantile)) w.Double(1, q.quantile);
    if (NonZero(q.value)) w.Double(2, q.value);
    w.EndMessage(m);
  }
  WriteKeyValues(w, 7, p.attributes);
  if (p.flags) w.Uint32(8, p.flags);
}

template <typename Points, typename WritePoint>
void WriteData(Writer& w, const Metric& m, uint32_t field, const Points& points,
               WritePoint write_point, bool has_temporality) {
  auto d = w.BeginMessage(field);
  for (const auto& p : points) {
    auto pm = w.BeginMessage(1);
    write_point(w, p);
    w.EndMessage(pm);
  }
  if (has_temporality && m.temporality != AggregationTemporality::kUnspecified) {
    w.Enum(2, static_cast<int32_t>(m.temporality));
  }
  if (m.type == Metric::Type::kSum && m.is_monotonic) w.Bool(3, true);
  w.EndMessage(d);
}

void WriteMetric(Writer& w, const Metric& m) {
  if (!m.name.empty()) w.String(1, m.name);
  if (!m.description.empty()) w.String(2, m.description);
  if (!m.unit.empty()) w.String(3, m.unit);
  switch (m.type) {
    case Metric::Type::kNone:
      break;
    case Metric::Type::kGauge:
      WriteData(w, m, 5, m.number_points, WriteNumberPoint<NumberDataPoint>, false);
      break;
    case Metric::Type::kSum:
      WriteData(w, m, 7, m.number_points, WriteNumberPoint<NumberDataPoint>, true);
      break;
    case Metric::Type::kHistogram:
      WriteData(w, m, 9, m.histogram_points, WriteHistogramPoint<HistogramDataPoint>, true);
      break;
    case Metric::Type::kExponentialHistogram:
      WriteData(w, m, 10, m.exponential_histogram_points, WriteExponentialPoint, true);
      break;
    case Metric::Type::kSummary:
      WriteData(w, m, 11, m.summary_points, WriteSummaryPoint, false);
      break;
  }
  WriteKeyValues(w, 12, m.metadata);
}

// request{1: ResourceX{1: resource, 2: ScopeX{1: scope, 2: items}, 3: schema_url}}
template <typename Resources, typename ScopesOf, typename ItemsOf, typename WriteItem>
std::string WriteRequest(const Resources& resources, ScopesOf scopes_of, ItemsOf items_of,
                         WriteItem write_item) {
  Writer w(1024);
  for (const auto& rx : resources) {
    auto rm = w.BeginMessage(1);
    WriteResourceMessage(w, rx.resource);
    for (const auto& sx : scopes_of(rx)) {
      auto sm = w.BeginMessage(2);
      WriteScopeMessage(w, sx.scope);
      for (const auto& item : items_of(sx)) {
        auto im = w.BeginMessage(2);
        write_item(w, item);
        w.EndMessage(im);
      }
      if (!sx.schema_url.empty()) w.String(3, sx.schema_url);
      w.EndMessage(sm);
    }
    if (!rx.schema_url.empty()) w.String(3, rx.schema_url);
    w.EndMessage(rm);
  }
  return w.Release();
}

}  // namespace
}  // namespace internal

std::string EncodeTraces(const ExportTraceServiceRequest& request) {
  return internal::WriteRequest(
      request.resource_spans, [](const ResourceSpans& r) -> auto& { return r.scope_spans; },
      [](const ScopeSpans& s) -> auto& { return s.spans; }, internal::WriteSpan<Span>);
}

std::string EncodeLogs(const ExportLogsServiceRequest& request) {
  return internal::WriteRequest(
      request.resource_logs, [](const ResourceLogs& r) -> auto& { return r.scope_logs; },
      [](const ScopeLogs& s) -> auto& { return s.log_records; },
      internal::WriteLogRecord<LogRecord>);
}

std::string EncodeMetrics(const ExportMetricsServiceRequest& request) {
  return internal::WriteRequest(
      request.resource_metrics, [](const ResourceMetrics& r) -> auto& { return r.scope_metrics; },
      [](const ScopeMetrics& s) -> auto& { return s.metrics; }, internal::WriteMetric);
}

}  // namespace quartet::otlp

#include "wire/otlp/encode.h"

#include "wire/otlp/encode_internal.h"

namespace quartet::otlp {
namespace internal {

BatchEnvelope::BatchEnvelope(Attributes resource_attributes, std::string_view scope_name,
                             std::string_view scope_version, std::string_view schema_url)
    : schema_url_(schema_url) {
  Writer r;
  WriteResource(r, resource_attributes, 0);
  resource_ = r.Release();
  Writer s;
  WriteScope(s, scope_name, scope_version, Attributes{}, 0);
  scope_ = s.Release();
  Open();
}

void BatchEnvelope::Open() {
  // Field numbers are the same for the three signals: Export*Request.resource_X
  // = 1; ResourceX.resource = 1, .scope_X = 2; ScopeX.scope = 1, items = 2.
  resource_mark_ = w_.BeginMessage(1);
  w_.Message(1, resource_);
  scope_mark_ = w_.BeginMessage(2);
  w_.Message(1, scope_);
}

std::string BatchEnvelope::Finish() {
  w_.EndMessage(scope_mark_);
  if (!schema_url_.empty()) w_.String(3, schema_url_);
  w_.EndMessage(resource_mark_);
  std::string out = w_.Release();
  // Keep a buffer of the same size for the next batch, which is likely to
  // be as big, so steady-state batches do not regrow.
  w_ = Writer(out.size());
  Open();
  return out;
}

}  // namespace internal

TraceRequestBuilder::TraceRequestBuilder(Attributes resource_attributes,
                                         std::string_view scope_name,
                                         std::string_view scope_version,
                                         std::string_view schema_url)
    : envelope_(resource_attributes, scope_name, scope_version, schema_url) {}

void TraceRequestBuilder::AddSpan(const SpanView& span) {
  protobuf::Writer& w = envelope_.writer();
  auto m = w.BeginMessage(2);
  internal::WriteSpan(w, span);
  w.EndMessage(m);
  ++count_;
}

std::string TraceRequestBuilder::Finish() {
  count_ = 0;
  return envelope_.Finish();
}

LogRequestBuilder::LogRequestBuilder(Attributes resource_attributes, std::string_view scope_name,
                                     std::string_view scope_version, std::string_view schema_url)
    : envelope_(resource_attributes, scope_name, scope_version, schema_url) {}

void LogRequestBuilder::AddLogRecord(const LogRecordView& record) {
  protobuf::Writer& w = envelope_.writer();
  auto m = w.BeginMessage(2);
  internal::WriteLogRecord(w, record);
  w.EndMessage(m);
  ++count_;
}

std::string LogRequestBuilder::Finish() {
  count_ = 0;
  return envelope_.Finish();
}

MetricRequestBuilder::MetricRequestBuilder(Attributes resource_attributes,
                                           std::string_view scope_name,
                                           std::string_view scope_version,
                                           std::string_view schema_url)
    : envelope_(resource_attributes, scope_name, scope_version, schema_url) {}

bool MetricRequestBuilder::BeginMetric(const MetricView& metric) {
  if (open_) EndMetric();
  uint32_t data_field;
  switch (metric.type) {
    case Metric::Type::kGauge:
      data_field = 5;
      break;
    case Metric::Type::kSum:
      data_field = 7;
      break;
    case Metric::Type::kHistogram:
      data_field = 9;
      break;
    default:
      return false;
  }
  protobuf::Writer& w = envelope_.writer();
  metric_mark_ = w.BeginMessage(2);
  if (!metric.name.empty()) w.String(1, metric.name);
  if (!metric.description.empty()) w.String(2, metric.description);
  if (!metric.unit.empty()) w.String(3, metric.unit);
  data_mark_ = w.BeginMessage(data_field);
  current_ = metric;
  open_ = true;
  ++metrics_;
  return true;
}

bool MetricRequestBuilder::AddNumberPoint(const NumberPointView& point) {
  if (!open_ || current_.type == Metric::Type::kHistogram) return false;
  protobuf::Writer& w = envelope_.writer();
  auto m = w.BeginMessage(1);
  internal::WriteNumberPoint(w, point);
  w.EndMessage(m);
  ++points_;
  return true;
}

bool MetricRequestBuilder::AddHistogramPoint(const HistogramPointView& point) {
  if (!open_ || current_.type != Metric::Type::kHistogram) return false;
  protobuf::Writer& w = envelope_.writer();
  auto m = w.BeginMessage(1);
  internal::WriteHistogramPoint(w, point);
  w.EndMessage(m);
  ++points_;
  return true;
}

void MetricRequestBuilder::EndMetric() {
  if (!open_) return;
  protobuf::Writer& w = envelope_.writer();
  // aggregation_temporality (2) and is_monotonic (3) follow data_points (1).
  if (current_.type != Metric::Type::kGauge &&
      current_.temporality != AggregationTemporality::kUnspecified) {
    w.Enum(2, static_cast<int32_t>(current_.temporality));
  }
  if (current_.type == Metric::Type::kSum && current_.is_monotonic) w.Bool(3, true);
  w.EndMessage(data_mark_);
  w.EndMessage(metric_mark_);
  open_ = false;
}

std::string MetricRequestBuilder::Finish() {
  EndMetric();
  metrics_ = 0;
  points_ = 0;
  return envelope_.Finish();
}

std::vector<KeyValueView> ScalarViews(const std::vector<KeyValue>& attributes) {
  std::vector<KeyValueView> out;
  out.reserve(attributes.size());
  for (const KeyValue& kv : attributes) {
    const AnyValue& v = kv.value;
    AnyValueView view;
    switch (v.type) {
      case AnyValue::Type::kString:
        view = AnyValueView::String(v.string_value);
        break;
      case AnyValue::Type::kBytes:
        view = AnyValueView::Bytes(v.string_value);
        break;
      case AnyValue::Type::kBool:
        view = AnyValueView::Bool(v.bool_value);
        break;
      case AnyValue::Type::kInt:
        view = AnyValueView::Int(v.int_value);
        break;
      case AnyValue::Type::kDouble:
        view = AnyValueView::Double(v.double_value);
        break;
      default:
        break;  // nested values: not viewed here
    }
    out.push_back({kv.key, view});
  }
  return out;
}

}  // namespace quartet::otlp

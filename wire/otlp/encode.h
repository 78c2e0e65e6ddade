// Streaming OTLP/protobuf encoders for the SDK's batch exporters: encode N
// records into one Export{Trace,Logs,Metrics}ServiceRequest with one
// resource and one instrumentation scope, straight from borrowed views,
// without building the owning model of model.h. Each Add* appends to one
// growing buffer (nested lengths are backpatched, see protobuf/writer.h); the
// only allocations are that buffer's growth, and Finish() hands it over.
//
// Views borrow: every string_view and span must stay valid until the Add*
// call returns (nothing is kept afterwards). Member names mirror model.h,
// so a view can be filled the same way as the owning struct. Zero/empty
// fields are omitted, as protobuf serializers do; ids that are all-zero
// (parent_span_id, a log's trace_id/span_id) are omitted too.
//
// Builders are not thread-safe: one per exporter thread. No method throws
// (allocation failure aside) and none blocks.
//
//   KeyValueView resource[] = {{"service.name", AnyValueView::String("checkout")}};
//   TraceRequestBuilder b(resource, "quartet", "0.1.0");
//   for (const auto& s : batch) {
//     KeyValueView attrs[] = {{"http.route", AnyValueView::String(s.route)}};
//     SpanView v;
//     v.trace_id = s.trace_id; v.span_id = s.span_id; v.name = s.name;
//     v.kind = SpanKind::kServer; v.start_time_unix_nano = s.start; ...
//     v.attributes = attrs;
//     b.AddSpan(v);
//   }
//   std::string body = b.Finish();  // POST to /v1/traces; b is ready for the next batch
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>

#include "quartet/context.h"
#include "wire/otlp/model.h"
#include "wire/protobuf/writer.h"

namespace quartet::otlp {

struct KeyValueView;

struct AnyValueView {
  using Type = AnyValue::Type;
  Type type = Type::kEmpty;
  std::string_view string_value;  // kString and kBytes
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::span<const AnyValueView> array_value;
  std::span<const KeyValueView> kvlist_value;

  static AnyValueView String(std::string_view v) {
    AnyValueView a;
    a.type = Type::kString;
    a.string_value = v;
    return a;
  }
  static AnyValueView Bytes(std::string_view v) {
    AnyValueView a;
    a.type = Type::kBytes;
    a.string_value = v;
    return a;
  }
  static AnyValueView Bool(bool v) {
    AnyValueView a;
    a.type = Type::kBool;
    a.bool_value = v;
    return a;
  }
  static AnyValueView Int(int64_t v) {
    AnyValueView a;
    a.type = Type::kInt;
    a.int_value = v;
    return a;
  }
  static AnyValueView Double(double v) {
    AnyValueView a;
    a.type = Type::kDouble;
    a.double_value = v;
    return a;
  }
  static AnyValueView Array(std::span<const AnyValueView> v) {
    AnyValueView a;
    a.type = Type::kArray;
    a.array_value = v;
    return a;
  }
  static AnyValueView KvList(std::span<const KeyValueView> v) {
    AnyValueView a;
    a.type = Type::kKvList;
    a.kvlist_value = v;
    return a;
  }
};

struct KeyValueView {
  std::string_view key;
  AnyValueView value;
};

using Attributes = std::span<const KeyValueView>;

struct SpanEventView {
  uint64_t time_unix_nano = 0;
  std::string_view name;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
};

struct SpanLinkView {
  TraceId trace_id;
  SpanId span_id;
  std::string_view trace_state;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
};

struct SpanStatusView {
  std::string_view message;
  SpanStatusCode code = SpanStatusCode::kUnset;
};

struct SpanView {
  TraceId trace_id;
  SpanId span_id;
  std::string_view trace_state;
  SpanId parent_span_id;  // all-zero for a root span
  uint32_t flags = 0;     // W3C flags | kSpanFlagsContextHasIsRemote [| kSpanFlagsContextIsRemote]
  std::string_view name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  std::span<const SpanEventView> events;
  uint32_t dropped_events_count = 0;
  std::span<const SpanLinkView> links;
  uint32_t dropped_links_count = 0;
  SpanStatusView status;
};

struct LogRecordView {
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  int32_t severity_number = 0;
  std::string_view severity_text;
  AnyValueView body;
  Attributes attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
  TraceId trace_id;  // all-zero: not in a trace (omitted)
  SpanId span_id;
  std::string_view event_name;
};

struct ExemplarView {
  Attributes filtered_attributes;
  uint64_t time_unix_nano = 0;
  NumberKind kind = NumberKind::kDouble;
  double as_double = 0;
  int64_t as_int = 0;
  SpanId span_id;
  TraceId trace_id;
};

struct NumberPointView {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  NumberKind kind = NumberKind::kDouble;
  double as_double = 0;
  int64_t as_int = 0;
  std::span<const ExemplarView> exemplars;
  uint32_t flags = 0;
};

struct HistogramPointView {
  Attributes attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  std::span<const uint64_t> bucket_counts;  // explicit_bounds.size() + 1 entries
  std::span<const double> explicit_bounds;
  std::span<const ExemplarView> exemplars;
  uint32_t flags = 0;
  std::optional<double> min;
  std::optional<double> max;
};

// Metric identity for MetricRequestBuilder::BeginMetric. type must be
// kGauge, kSum or kHistogram.
struct MetricView {
  std::string_view name;
  std::string_view description;
  std::string_view unit;
  Metric::Type type = Metric::Type::kGauge;
  AggregationTemporality temporality = AggregationTemporality::kCumulative;  // sum, histogram
  bool is_monotonic = false;                                                 // sum only
};

namespace internal {
// The resource/scope envelope shared by the three builders: writes
// request{resource_X[1]{resource, scope_X[2]{scope, items...}}} and reopens
// it after each Finish().
class BatchEnvelope {
 public:
  BatchEnvelope(Attributes resource_attributes, std::string_view scope_name,
                std::string_view scope_version, std::string_view schema_url);
  protobuf::Writer& writer() { return w_; }
  std::string Finish();
  size_t size_bytes() const { return w_.size(); }

 private:
  void Open();

  std::string resource_;  // encoded Resource message
  std::string scope_;     // encoded InstrumentationScope message
  std::string schema_url_;
  protobuf::Writer w_;
  protobuf::Writer::Bookmark resource_mark_{};
  protobuf::Writer::Bookmark scope_mark_{};
};
}  // namespace internal

// Builds one ExportTraceServiceRequest.
class TraceRequestBuilder {
 public:
  // Copies what it needs from the arguments; they need not outlive it.
  TraceRequestBuilder(Attributes resource_attributes, std::string_view scope_name,
                      std::string_view scope_version = {}, std::string_view schema_url = {});

  void AddSpan(const SpanView& span);
  size_t span_count() const { return count_; }
  // Bytes encoded so far (the request is slightly larger once finished):
  // lets an exporter cap request sizes.
  size_t size_bytes() const { return envelope_.size_bytes(); }
  // Returns the encoded request and starts a new, empty one.
  std::string Finish();

 private:
  internal::BatchEnvelope envelope_;
  size_t count_ = 0;
};

// Builds one ExportLogsServiceRequest.
class LogRequestBuilder {
 public:
  LogRequestBuilder(Attributes resource_attributes, std::string_view scope_name,
                    std::string_view scope_version = {}, std::string_view schema_url = {});

  void AddLogRecord(const LogRecordView& record);
  size_t record_count() const { return count_; }
  size_t size_bytes() const { return envelope_.size_bytes(); }
  std::string Finish();

 private:
  internal::BatchEnvelope envelope_;
  size_t count_ = 0;
};

// Builds one ExportMetricsServiceRequest: BeginMetric, its points, EndMetric,
// repeated. Points of the wrong kind for the open metric, or points outside
// BeginMetric/EndMetric, are refused (return false) and not encoded.
class MetricRequestBuilder {
 public:
  MetricRequestBuilder(Attributes resource_attributes, std::string_view scope_name,
                       std::string_view scope_version = {}, std::string_view schema_url = {});

  // Closes an open metric first, if any. False for an unsupported type.
  bool BeginMetric(const MetricView& metric);
  bool AddNumberPoint(const NumberPointView& point);        // gauge and sum
  bool AddHistogramPoint(const HistogramPointView& point);  // histogram
  void EndMetric();
  size_t metric_count() const { return metrics_; }
  size_t point_count() const { return points_; }
  size_t size_bytes() const { return envelope_.size_bytes(); }
  // Closes an open metric, returns the request and starts a new one.
  std::string Finish();

 private:
  internal::BatchEnvelope envelope_;
  bool open_ = false;
  MetricView current_;
  protobuf::Writer::Bookmark metric_mark_{};
  protobuf::Writer::Bookmark data_mark_{};
  size_t metrics_ = 0;
  size_t points_ = 0;
};

// Views of owning attributes (model.h) with scalar values — string, bytes,
// bool, int, double — as a resource usually has. Arrays and kvlists become
// empty values, which the builders skip. The views point into `attributes`.
std::vector<KeyValueView> ScalarViews(const std::vector<KeyValue>& attributes);

}  // namespace quartet::otlp

// The owning OTLP data model: plain structs mirroring the opentelemetry-proto
// messages (common, resource, trace, logs, metrics and the collector
// Export*ServiceRequest wrappers) that DecodeTraces/Logs/Metrics produce and
// EncodeTraces/Logs/Metrics write back. Field names follow the .proto files
// (opentelemetry-proto v1, see /work/shared/PROTOCOLS.md); ids are TraceId /
// SpanId (all-zero = absent), enums keep unknown numeric values.
// Plain values: no internal synchronization, copy or move freely.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "quartet/context.h"

namespace quartet::otlp {

struct KeyValue;

// opentelemetry.proto.common.v1.AnyValue. `type` names the member in use;
// string_value holds both kString and kBytes payloads.
struct AnyValue {
  enum class Type : uint8_t { kEmpty, kString, kBool, kInt, kDouble, kArray, kKvList, kBytes };

  Type type = Type::kEmpty;
  std::string string_value;
  bool bool_value = false;
  int64_t int_value = 0;
  double double_value = 0;
  std::vector<AnyValue> array_value;
  std::vector<KeyValue> kvlist_value;

  static AnyValue String(std::string v);
  static AnyValue Bytes(std::string v);
  static AnyValue Bool(bool v);
  static AnyValue Int(int64_t v);
  static AnyValue Double(double v);
  static AnyValue Array(std::vector<AnyValue> v);
  static AnyValue KvList(std::vector<KeyValue> v);

  // Compares the active member only.
  friend bool operator==(const AnyValue& a, const AnyValue& b);
};

struct KeyValue {
  std::string key;
  AnyValue value;
  friend bool operator==(const KeyValue&, const KeyValue&) = default;
};

// Returns the attribute named `key`, or null. Linear: attribute lists are short.
const AnyValue* FindAttribute(const std::vector<KeyValue>& attributes, std::string_view key);

struct Resource {
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  friend bool operator==(const Resource&, const Resource&) = default;
};

struct InstrumentationScope {
  std::string name;
  std::string version;
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  friend bool operator==(const InstrumentationScope&, const InstrumentationScope&) = default;
};

// ---- traces (opentelemetry/proto/trace/v1/trace.proto) ----

enum class SpanKind : int32_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5,
};

enum class SpanStatusCode : int32_t { kUnset = 0, kOk = 1, kError = 2 };

// Span.flags bits beyond the W3C trace flags in the low byte.
inline constexpr uint32_t kSpanFlagsContextHasIsRemote = 0x100;
inline constexpr uint32_t kSpanFlagsContextIsRemote = 0x200;

struct SpanStatus {
  std::string message;
  SpanStatusCode code = SpanStatusCode::kUnset;
  friend bool operator==(const SpanStatus&, const SpanStatus&) = default;
};

struct SpanEvent {
  uint64_t time_unix_nano = 0;
  std::string name;
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  friend bool operator==(const SpanEvent&, const SpanEvent&) = default;
};

struct SpanLink {
  TraceId trace_id;
  SpanId span_id;
  std::string trace_state;
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;
  friend bool operator==(const SpanLink&, const SpanLink&) = default;
};

struct Span {
  TraceId trace_id;
  SpanId span_id;
  std::string trace_state;
  SpanId parent_span_id;  // all-zero for a root span
  uint32_t flags = 0;
  std::string name;
  SpanKind kind = SpanKind::kUnspecified;
  uint64_t start_time_unix_nano = 0;
  uint64_t end_time_unix_nano = 0;
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  std::vector<SpanEvent> events;
  uint32_t dropped_events_count = 0;
  std::vector<SpanLink> links;
  uint32_t dropped_links_count = 0;
  SpanStatus status;
  friend bool operator==(const Span&, const Span&) = default;
};

struct ScopeSpans {
  InstrumentationScope scope;
  std::vector<Span> spans;
  std::string schema_url;
  friend bool operator==(const ScopeSpans&, const ScopeSpans&) = default;
};

struct ResourceSpans {
  Resource resource;
  std::vector<ScopeSpans> scope_spans;
  std::string schema_url;
  friend bool operator==(const ResourceSpans&, const ResourceSpans&) = default;
};

struct ExportTraceServiceRequest {
  std::vector<ResourceSpans> resource_spans;
  friend bool operator==(const ExportTraceServiceRequest&,
                         const ExportTraceServiceRequest&) = default;
};

// ---- logs (opentelemetry/proto/logs/v1/logs.proto) ----

// SeverityNumber ranges: TRACE 1-4, DEBUG 5-8, INFO 9-12, WARN 13-16,
// ERROR 17-20, FATAL 21-24; 0 is unspecified.
inline constexpr int32_t kSeverityTrace = 1;
inline constexpr int32_t kSeverityDebug = 5;
inline constexpr int32_t kSeverityInfo = 9;
inline constexpr int32_t kSeverityWarn = 13;
inline constexpr int32_t kSeverityError = 17;
inline constexpr int32_t kSeverityFatal = 21;

struct LogRecord {
  uint64_t time_unix_nano = 0;
  uint64_t observed_time_unix_nano = 0;
  int32_t severity_number = 0;
  std::string severity_text;
  AnyValue body;
  std::vector<KeyValue> attributes;
  uint32_t dropped_attributes_count = 0;
  uint32_t flags = 0;  // low byte: W3C trace flags
  TraceId trace_id;    // all-zero when the record is not in a trace
  SpanId span_id;
  std::string event_name;
  friend bool operator==(const LogRecord&, const LogRecord&) = default;
};

struct ScopeLogs {
  InstrumentationScope scope;
  std::vector<LogRecord> log_records;
  std::string schema_url;
  friend bool operator==(const ScopeLogs&, const ScopeLogs&) = default;
};

struct ResourceLogs {
  Resource resource;
  std::vector<ScopeLogs> scope_logs;
  std::string schema_url;
  friend bool operator==(const ResourceLogs&, const ResourceLogs&) = default;
};

struct ExportLogsServiceRequest {
  std::vector<ResourceLogs> resource_logs;
  friend bool operator==(const ExportLogsServiceRequest&,
                         const ExportLogsServiceRequest&) = default;
};

// ---- metrics (opentelemetry/proto/metrics/v1/metrics.proto) ----

enum class AggregationTemporality : int32_t { kUnspecified = 0, kDelta = 1, kCumulative = 2 };

// Which member of a NumberDataPoint / Exemplar "value" oneof is set.
enum class NumberKind : uint8_t { kNone, kDouble, kInt };

struct Exemplar {
  std::vector<KeyValue> filtered_attributes;
  uint64_t time_unix_nano = 0;
  NumberKind kind = NumberKind::kNone;
  double as_double = 0;
  int64_t as_int = 0;
  SpanId span_id;
  TraceId trace_id;
  friend bool operator==(const Exemplar&, const Exemplar&) = default;
};

struct NumberDataPoint {
  std::vector<KeyValue> attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  NumberKind kind = NumberKind::kNone;
  double as_double = 0;
  int64_t as_int = 0;
  std::vector<Exemplar> exemplars;
  uint32_t flags = 0;
  friend bool operator==(const NumberDataPoint&, const NumberDataPoint&) = default;
};

struct HistogramDataPoint {
  std::vector<KeyValue> attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  std::vector<uint64_t> bucket_counts;  // explicit_bounds.size() + 1 when set
  std::vector<double> explicit_bounds;
  std::vector<Exemplar> exemplars;
  uint32_t flags = 0;
  std::optional<double> min;
  std::optional<double> max;
  friend bool operator==(const HistogramDataPoint&, const HistogramDataPoint&) = default;
};

struct ExponentialBuckets {
  int32_t offset = 0;
  std::vector<uint64_t> bucket_counts;
  friend bool operator==(const ExponentialBuckets&, const ExponentialBuckets&) = default;
};

struct ExponentialHistogramDataPoint {
  std::vector<KeyValue> attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  std::optional<double> sum;
  int32_t scale = 0;
  uint64_t zero_count = 0;
  ExponentialBuckets positive;
  ExponentialBuckets negative;
  uint32_t flags = 0;
  std::vector<Exemplar> exemplars;
  std::optional<double> min;
  std::optional<double> max;
  double zero_threshold = 0;
  friend bool operator==(const ExponentialHistogramDataPoint&,
                         const ExponentialHistogramDataPoint&) = default;
};

struct ValueAtQuantile {
  double quantile = 0;
  double value = 0;
  friend bool operator==(const ValueAtQuantile&, const ValueAtQuantile&) = default;
};

struct SummaryDataPoint {
  std::vector<KeyValue> attributes;
  uint64_t start_time_unix_nano = 0;
  uint64_t time_unix_nano = 0;
  uint64_t count = 0;
  double sum = 0;
  std::vector<ValueAtQuantile> quantile_values;
  uint32_t flags = 0;
  friend bool operator==(const SummaryDataPoint&, const SummaryDataPoint&) = default;
};

// One Metric. The proto's "data" oneof is flattened: `type` says which of
// Gauge/Sum/Histogram/ExponentialHistogram/Summary it is, and only the
// matching *_points vector is used (number_points for gauge and sum).
struct Metric {
  enum class Type : uint8_t { kNone, kGauge, kSum, kHistogram, kExponentialHistogram, kSummary };

  std::string name;
  std::string description;
  std::string unit;
  Type type = Type::kNone;
  AggregationTemporality temporality = AggregationTemporality::kUnspecified;  // sum, histograms
  bool is_monotonic = false;                                                  // sum only
  std::vector<NumberDataPoint> number_points;
  std::vector<HistogramDataPoint> histogram_points;
  std::vector<ExponentialHistogramDataPoint> exponential_histogram_points;
  std::vector<SummaryDataPoint> summary_points;
  std::vector<KeyValue> metadata;
  friend bool operator==(const Metric&, const Metric&) = default;
};

struct ScopeMetrics {
  InstrumentationScope scope;
  std::vector<Metric> metrics;
  std::string schema_url;
  friend bool operator==(const ScopeMetrics&, const ScopeMetrics&) = default;
};

struct ResourceMetrics {
  Resource resource;
  std::vector<ScopeMetrics> scope_metrics;
  std::string schema_url;
  friend bool operator==(const ResourceMetrics&, const ResourceMetrics&) = default;
};

struct ExportMetricsServiceRequest {
  std::vector<ResourceMetrics> resource_metrics;
  friend bool operator==(const ExportMetricsServiceRequest&,
                         const ExportMetricsServiceRequest&) = default;
};

}  // namespace quartet::otlp

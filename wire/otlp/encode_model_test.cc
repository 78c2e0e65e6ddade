// model -> EncodeX -> DecodeX == model, over requests that set every field.
#include "wire/otlp/encode_model.h"

#include <gtest/gtest.h>

#include <limits>

#include "wire/otlp/decode.h"

namespace quartet::otlp {
namespace {

TraceId Tid(uint8_t b) {
  TraceId t;
  t.bytes.fill(b);
  return t;
}
SpanId Sid(uint8_t b) {
  SpanId s;
  s.bytes.fill(b);
  return s;
}

std::vector<KeyValue> AllValueKinds() {
  return {
      {"s", AnyValue::String("text")},
      {"empty_s", AnyValue::String("")},
      {"b", AnyValue::Bool(false)},
      {"i", AnyValue::Int(std::numeric_limits<int64_t>::min())},
      {"zero", AnyValue::Int(0)},
      {"d", AnyValue::Double(-0.5)},
      {"bytes", AnyValue::Bytes(std::string("\0\xff", 2))},
      {"arr",
       AnyValue::Array({AnyValue::Int(1), AnyValue::Array({AnyValue::String("x")}), AnyValue()})},
      {"kv", AnyValue::KvList({{"inner", AnyValue::Double(2)}, {"", AnyValue()}})},
      {"unset", AnyValue()},
  };
}

TEST(EncodeModelTest, TracesRoundTrip) {
  ExportTraceServiceRequest req;
  for (int r = 0; r < 2; ++r) {
    ResourceSpans rs;
    rs.resource.attributes = AllValueKinds();
    rs.resource.dropped_attributes_count = 3;
    rs.schema_url = "https://opentelemetry.io/schemas/1.21.0";
    ScopeSpans ss;
    ss.scope = {"lib", "1.0", {{"scope.attr", AnyValue::Int(1)}}, 2};
    ss.schema_url = "s";
    Span s;
    s.trace_id = Tid(0xab);
    s.span_id = Sid(0xcd);
    s.trace_state = "vendor=x";
    s.parent_span_id = Sid(0x01);
    s.flags = 0x301;
    s.name = "GET /checkout";
    s.kind = SpanKind::kConsumer;
    s.start_time_unix_nano = 1;
    s.end_time_unix_nano = ~0ull;
    s.attributes = AllValueKinds();
    s.dropped_attributes_count = 4;
    s.events = {{5, "exception", {{"exception.type", AnyValue::String("E")}}, 1}, {}};
    s.dropped_events_count = 6;
    s.links = {{Tid(2), Sid(3), "a=b", {{"l", AnyValue::Bool(true)}}, 7, 1}};
    s.dropped_links_count = 8;
    s.status = {"boom", SpanStatusCode::kError};
    ss.spans.push_back(s);
    Span root;  // ids only: everything else default
    root.trace_id = Tid(9);
    root.span_id = Sid(9);
    root.kind = static_cast<SpanKind>(99);  // unknown enum values survive
    ss.spans.push_back(root);
    rs.scope_spans.push_back(ss);
    rs.scope_spans.push_back(ScopeSpans{});
    req.resource_spans.push_back(rs);
  }
  auto back = DecodeTraces(EncodeTraces(req));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, req);
}

TEST(EncodeModelTest, LogsRoundTrip) {
  ExportLogsServiceRequest req;
  ResourceLogs rl;
  rl.resource.attributes = {{"service.name", AnyValue::String("checkout")}};
  ScopeLogs sl;
  sl.scope.name = "quartet";
  LogRecord l;
  l.time_unix_nano = 10;
  l.observed_time_unix_nano = 11;
  l.severity_number = kSeverityWarn + 2;
  l.severity_text = "WARN3";
  l.body = AnyValue::KvList({{"msg", AnyValue::String("low stock")}});
  l.attributes = AllValueKinds();
  l.dropped_attributes_count = 1;
  l.flags = 1;
  l.trace_id = Tid(7);
  l.span_id = Sid(8);
  l.event_name = "stock.low";
  sl.log_records = {l, LogRecord{}};
  rl.scope_logs.push_back(sl);
  req.resource_logs.push_back(rl);
  auto back = DecodeLogs(EncodeLogs(req));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, req);
}

TEST(EncodeModelTest, MetricsRoundTripEveryType) {
  Exemplar ex;
  ex.filtered_attributes = {{"user", AnyValue::String("u1")}};
  ex.time_unix_nano = 3;
  ex.kind = NumberKind::kDouble;
  ex.as_double = 0;  // zero inside the oneof must survive
  ex.span_id = Sid(1);
  ex.trace_id = Tid(2);
  Exemplar ex_int = ex;
  ex_int.kind = NumberKind::kInt;
  ex_int.as_double = 0;
  ex_int.as_int = -5;

  Metric gauge;
  gauge.name = "temp";
  gauge.type = Metric::Type::kGauge;
  NumberDataPoint np;
  np.attributes = {{"room", AnyValue::String("x")}};
  np.start_time_unix_nano = 1;
  np.time_unix_nano = 2;
  np.kind = NumberKind::kDouble;
  np.as_double = 0;
  np.exemplars = {ex, ex_int};
  np.flags = 1;
  gauge.number_points = {np};

  Metric sum;
  sum.name = "requests_total";
  sum.description = "reqs";
  sum.unit = "1";
  sum.type = Metric::Type::kSum;
  sum.temporality = AggregationTemporality::kDelta;
  sum.is_monotonic = true;
  NumberDataPoint ip;
  ip.kind = NumberKind::kInt;
  ip.as_int = 0;
  sum.number_points = {ip, np};

  Metric hist;
  hist.name = "latency";
  hist.type = Metric::Type::kHistogram;
  hist.temporality = AggregationTemporality::kCumulative;
  HistogramDataPoint hp;
  hp.count = 3;
  hp.sum = 0.0;
  hp.bucket_counts = {0, 2, 1};
  hp.explicit_bounds = {0.1, 1};
  hp.exemplars = {ex};
  hp.min = -1;
  hp.max = 0;
  hist.histogram_points = {hp, HistogramDataPoint{}};

  Metric exp;
  exp.name = "exp";
  exp.type = Metric::Type::kExponentialHistogram;
  exp.temporality = AggregationTemporality::kDelta;
  ExponentialHistogramDataPoint ep;
  ep.attributes = {{"a", AnyValue::Int(1)}};
  ep.count = 10;
  ep.sum = 5;
  ep.scale = -3;
  ep.zero_count = 2;
  ep.positive = {-2, {1, 0, 300}};
  ep.negative = {4, {}};
  ep.flags = 1;
  ep.exemplars = {ex_int};
  ep.min = 0.5;
  ep.zero_threshold = 1e-9;
  exp.exponential_histogram_points = {ep};

  Metric summary;
  summary.name = "rpc_duration";
  summary.type = Metric::Type::kSummary;
  SummaryDataPoint sp;
  sp.count = 4;
  sp.sum = 8;
  sp.quantile_values = {{0, 1}, {0.99, 7}};
  summary.summary_points = {sp};
  summary.metadata = {{"prometheus.type", AnyValue::String("summary")}};

  Metric none;
  none.name = "no-data";

  ExportMetricsServiceRequest req;
  ResourceMetrics rm;
  rm.resource.attributes = {{"service.name", AnyValue::String("checkout")}};
  ScopeMetrics sm;
  sm.scope.name = "quartet";
  sm.metrics = {gauge, sum, hist, exp, summary, none};
  rm.scope_metrics.push_back(sm);
  req.resource_metrics.push_back(rm);
  auto back = DecodeMetrics(EncodeMetrics(req));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, req);
}

TEST(EncodeModelTest, EmptyRequestsEncodeToNothing) {
  EXPECT_EQ(EncodeTraces({}), "");
  EXPECT_EQ(EncodeLogs({}), "");
  EXPECT_EQ(EncodeMetrics({}), "");
}

}  // namespace
}  // namespace quartet::otlp

// Streaming builders: what they encode decodes (with DecodeX) to exactly the
// values of the views, and a builder is reusable after Finish().
#include "wire/otlp/encode.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "wire/otlp/decode.h"
#include "wire/otlp/encode_model.h"

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

const KeyValueView kResource[] = {
    {"service.name", AnyValueView::String("checkout")},
    {"service.version", AnyValueView::String("1.4.2")},
};

TEST(TraceRequestBuilderTest, SpansDecodeToTheViewsValues) {
  TraceRequestBuilder b(kResource, "quartet", "0.1.0");
  const AnyValueView arr[] = {AnyValueView::Int(1), AnyValueView::String("two")};
  const KeyValueView nested[] = {{"n", AnyValueView::Double(2.5)}};
  const KeyValueView attrs[] = {
      {"http.route", AnyValueView::String("/checkout")},
      {"http.status_code", AnyValueView::Int(200)},
      {"retry", AnyValueView::Bool(false)},
      {"arr", AnyValueView::Array(arr)},
      {"obj", AnyValueView::KvList(nested)},
      {"raw", AnyValueView::Bytes(std::string_view("\0\1", 2))},
  };
  const KeyValueView event_attrs[] = {{"exception.message", AnyValueView::String("boom")}};
  const SpanEventView events[] = {{123, "exception", event_attrs, 0}};
  const SpanLinkView links[] = {{Tid(4), Sid(5), "k=v", {}, 0, 1}};

  std::string names[300];
  for (int i = 0; i < 300; ++i) {
    names[i] = "span-" + std::to_string(i);
    SpanView v;
    v.trace_id = Tid(0xaa);
    v.span_id = Sid(static_cast<uint8_t>(i + 1));
    v.parent_span_id = i == 0 ? SpanId{} : Sid(1);
    v.name = names[i];
    v.kind = SpanKind::kServer;
    v.start_time_unix_nano = 1700000000000000000ull + i;
    v.end_time_unix_nano = v.start_time_unix_nano + 1000;
    v.attributes = attrs;
    v.events = events;
    v.links = links;
    v.flags = 0x101;
    if (i % 2) v.status = {"bad", SpanStatusCode::kError};
    b.AddSpan(v);
  }
  EXPECT_EQ(b.span_count(), 300u);
  size_t pending = b.size_bytes();
  std::string bytes = b.Finish();
  EXPECT_GE(bytes.size(), pending);

  auto req = DecodeTraces(bytes);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->resource_spans.size(), 1u);
  const ResourceSpans& rs = req->resource_spans[0];
  EXPECT_EQ(rs.resource.attributes[0].value, AnyValue::String("checkout"));
  EXPECT_EQ(rs.resource.attributes[1].key, "service.version");
  ASSERT_EQ(rs.scope_spans.size(), 1u);
  EXPECT_EQ(rs.scope_spans[0].scope.name, "quartet");
  EXPECT_EQ(rs.scope_spans[0].scope.version, "0.1.0");
  ASSERT_EQ(rs.scope_spans[0].spans.size(), 300u);
  for (int i = 0; i < 300; ++i) {
    const Span& s = rs.scope_spans[0].spans[i];
    EXPECT_EQ(s.trace_id, Tid(0xaa));
    EXPECT_EQ(s.span_id, Sid(static_cast<uint8_t>(i + 1)));
    EXPECT_EQ(s.parent_span_id, i == 0 ? SpanId{} : Sid(1));
    EXPECT_EQ(s.name, names[i]);
    EXPECT_EQ(s.kind, SpanKind::kServer);
    EXPECT_EQ(s.start_time_unix_nano, 1700000000000000000ull + i);
    EXPECT_EQ(s.end_time_unix_nano, s.start_time_unix_nano + 1000);
    EXPECT_EQ(s.flags, 0x101u);
    EXPECT_EQ(s.status.code, i % 2 ? SpanStatusCode::kError : SpanStatusCode::kUnset);
    EXPECT_EQ(s.status.message, i % 2 ? "bad" : "");
  }
  const Span& s = rs.scope_spans[0].spans[7];
  ASSERT_EQ(s.attributes.size(), 6u);
  EXPECT_EQ(s.attributes[0].value, AnyValue::String("/checkout"));
  EXPECT_EQ(s.attributes[1].value, AnyValue::Int(200));
  EXPECT_EQ(s.attributes[2].value, AnyValue::Bool(false));
  EXPECT_EQ(s.attributes[3].value, AnyValue::Array({AnyValue::Int(1), AnyValue::String("two")}));
  EXPECT_EQ(s.attributes[4].value, AnyValue::KvList({{"n", AnyValue::Double(2.5)}}));
  EXPECT_EQ(s.attributes[5].value, AnyValue::Bytes(std::string("\0\1", 2)));
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].time_unix_nano, 123u);
  EXPECT_EQ(s.events[0].attributes[0].value, AnyValue::String("boom"));
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].trace_id, Tid(4));
  EXPECT_EQ(s.links[0].span_id, Sid(5));
  EXPECT_EQ(s.links[0].trace_state, "k=v");
  EXPECT_EQ(s.links[0].flags, 1u);

  // Reusable: the next batch is a complete request of its own.
  EXPECT_EQ(b.span_count(), 0u);
  SpanView v;
  v.trace_id = Tid(1);
  v.span_id = Sid(2);
  v.name = "next";
  b.AddSpan(v);
  auto next = DecodeTraces(b.Finish());
  ASSERT_TRUE(next.ok());
  ASSERT_EQ(next->resource_spans[0].scope_spans[0].spans.size(), 1u);
  EXPECT_EQ(next->resource_spans[0].scope_spans[0].spans[0].name, "next");
  EXPECT_EQ(next->resource_spans[0].resource.attributes.size(), 2u);
}

// The streaming builder and the model encoder share their message writers:
// for the same content they must produce the same bytes.
TEST(TraceRequestBuilderTest, BytesMatchTheModelEncoder) {
  const KeyValueView attrs[] = {{"k", AnyValueView::String("v")}, {"n", AnyValueView::Int(-1)}};
  SpanView v;
  v.trace_id = Tid(1);
  v.span_id = Sid(2);
  v.name = "a-name-long-enough-to-matter";
  v.kind = SpanKind::kClient;
  v.start_time_unix_nano = 10;
  v.end_time_unix_nano = 20;
  v.attributes = attrs;
  v.status = {"m", SpanStatusCode::kOk};
  TraceRequestBuilder b(kResource, "scope", "1");
  b.AddSpan(v);
  b.AddSpan(v);

  ExportTraceServiceRequest req;
  ResourceSpans& rs = req.resource_spans.emplace_back();
  rs.resource.attributes = {{"service.name", AnyValue::String("checkout")},
                            {"service.version", AnyValue::String("1.4.2")}};
  ScopeSpans& ss = rs.scope_spans.emplace_back();
  ss.scope.name = "scope";
  ss.scope.version = "1";
  Span s;
  s.trace_id = Tid(1);
  s.span_id = Sid(2);
  s.name = "a-name-long-enough-to-matter";
  s.kind = SpanKind::kClient;
  s.start_time_unix_nano = 10;
  s.end_time_unix_nano = 20;
  s.attributes = {{"k", AnyValue::String("v")}, {"n", AnyValue::Int(-1)}};
  s.status = {"m", SpanStatusCode::kOk};
  ss.spans = {s, s};
  EXPECT_EQ(b.Finish(), EncodeTraces(req));
}

TEST(TraceRequestBuilderTest, EmptyBatchIsAValidRequest) {
  TraceRequestBuilder b({}, "", "", "https://schema");
  auto req = DecodeTraces(b.Finish());
  ASSERT_TRUE(req.ok());
  ASSERT_EQ(req->resource_spans.size(), 1u);
  EXPECT_EQ(req->resource_spans[0].schema_url, "https://schema");
  EXPECT_TRUE(req->resource_spans[0].scope_spans.at(0).spans.empty());
}

TEST(LogRequestBuilderTest, RecordsDecodeToTheViewsValues) {
  LogRequestBuilder b(kResource, "quartet.log");
  const KeyValueView attrs[] = {{"request_id", AnyValueView::String("r-1")},
                                {"sampled", AnyValueView::Bool(true)}};
  LogRecordView in_span;
  in_span.time_unix_nano = 100;
  in_span.observed_time_unix_nano = 101;
  in_span.severity_number = kSeverityError;
  in_span.severity_text = "ERROR";
  in_span.body = AnyValueView::String("payment failed");
  in_span.attributes = attrs;
  in_span.flags = 1;
  in_span.trace_id = Tid(3);
  in_span.span_id = Sid(4);
  in_span.event_name = "payment.failed";
  b.AddLogRecord(in_span);
  LogRecordView plain;
  plain.time_unix_nano = 200;
  plain.severity_number = kSeverityInfo;
  plain.body = AnyValueView::String("started");
  b.AddLogRecord(plain);
  EXPECT_EQ(b.record_count(), 2u);

  auto req = DecodeLogs(b.Finish());
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  const ScopeLogs& sl = req->resource_logs.at(0).scope_logs.at(0);
  EXPECT_EQ(sl.scope.name, "quartet.log");
  ASSERT_EQ(sl.log_records.size(), 2u);
  const LogRecord& a = sl.log_records[0];
  EXPECT_EQ(a.time_unix_nano, 100u);
  EXPECT_EQ(a.observed_time_unix_nano, 101u);
  EXPECT_EQ(a.severity_number, kSeverityError);
  EXPECT_EQ(a.severity_text, "ERROR");
  EXPECT_EQ(a.body, AnyValue::String("payment failed"));
  EXPECT_EQ(a.attributes[0].value, AnyValue::String("r-1"));
  EXPECT_EQ(a.attributes[1].value, AnyValue::Bool(true));
  EXPECT_EQ(a.flags, 1u);
  EXPECT_EQ(a.trace_id, Tid(3));
  EXPECT_EQ(a.span_id, Sid(4));
  EXPECT_EQ(a.event_name, "payment.failed");
  const LogRecord& p = sl.log_records[1];
  EXPECT_EQ(p.time_unix_nano, 200u);
  EXPECT_FALSE(p.trace_id.valid());
  EXPECT_TRUE(p.severity_text.empty());
}

TEST(MetricRequestBuilderTest, GaugeSumHistogramWithExemplars) {
  MetricRequestBuilder b(kResource, "quartet.metrics", "0.1.0");
  const KeyValueView route[] = {{"route", AnyValueView::String("/checkout")}};
  const ExemplarView exemplars[] = {
      {{}, 55, NumberKind::kDouble, 0.42, 0, Sid(7), Tid(8)},
  };

  ASSERT_TRUE(b.BeginMetric({"temp", "", "Cel", Metric::Type::kGauge, {}, false}));
  NumberPointView g;
  g.time_unix_nano = 9;
  g.as_double = 21.5;
  EXPECT_TRUE(b.AddNumberPoint(g));
  EXPECT_FALSE(b.AddHistogramPoint({}));  // wrong kind: refused
  b.EndMetric();

  ASSERT_TRUE(b.BeginMetric({"requests_total", "reqs", "1", Metric::Type::kSum,
                             AggregationTemporality::kCumulative, true}));
  NumberPointView s;
  s.attributes = route;
  s.start_time_unix_nano = 1;
  s.time_unix_nano = 9;
  s.kind = NumberKind::kInt;
  s.as_int = 0;  // zero int is still written: the oneof says "int"
  EXPECT_TRUE(b.AddNumberPoint(s));

  // BeginMetric closes the open sum.
  ASSERT_TRUE(b.BeginMetric(
      {"latency", "", "s", Metric::Type::kHistogram, AggregationTemporality::kDelta, false}));
  const uint64_t counts[] = {1, 0, 2};
  const double bounds[] = {0.1, 1};
  HistogramPointView h;
  h.attributes = route;
  h.time_unix_nano = 9;
  h.count = 3;
  h.sum = 2.5;
  h.bucket_counts = counts;
  h.explicit_bounds = bounds;
  h.exemplars = exemplars;
  h.min = 0.05;
  h.max = 1.5;
  EXPECT_TRUE(b.AddHistogramPoint(h));
  EXPECT_FALSE(b.AddNumberPoint(g));
  EXPECT_FALSE(b.BeginMetric({"bad", "", "", Metric::Type::kSummary, {}, false}));
  EXPECT_EQ(b.metric_count(), 3u);
  EXPECT_EQ(b.point_count(), 3u);

  auto req = DecodeMetrics(b.Finish());  // Finish closes the open metric
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  const ScopeMetrics& sm = req->resource_metrics.at(0).scope_metrics.at(0);
  EXPECT_EQ(sm.scope.version, "0.1.0");
  ASSERT_EQ(sm.metrics.size(), 3u);

  const Metric& temp = sm.metrics[0];
  EXPECT_EQ(temp.name, "temp");
  EXPECT_EQ(temp.unit, "Cel");
  EXPECT_EQ(temp.type, Metric::Type::kGauge);
  ASSERT_EQ(temp.number_points.size(), 1u);
  EXPECT_EQ(temp.number_points[0].kind, NumberKind::kDouble);
  EXPECT_EQ(temp.number_points[0].as_double, 21.5);

  const Metric& req_total = sm.metrics[1];
  EXPECT_EQ(req_total.type, Metric::Type::kSum);
  EXPECT_EQ(req_total.description, "reqs");
  EXPECT_EQ(req_total.temporality, AggregationTemporality::kCumulative);
  EXPECT_TRUE(req_total.is_monotonic);
  ASSERT_EQ(req_total.number_points.size(), 1u);
  EXPECT_EQ(req_total.number_points[0].kind, NumberKind::kInt);
  EXPECT_EQ(req_total.number_points[0].as_int, 0);
  EXPECT_EQ(req_total.number_points[0].start_time_unix_nano, 1u);
  EXPECT_EQ(req_total.number_points[0].attributes[0].value, AnyValue::String("/checkout"));

  const Metric& latency = sm.metrics[2];
  EXPECT_EQ(latency.type, Metric::Type::kHistogram);
  EXPECT_EQ(latency.temporality, AggregationTemporality::kDelta);
  ASSERT_EQ(latency.histogram_points.size(), 1u);
  const HistogramDataPoint& hp = latency.histogram_points[0];
  EXPECT_EQ(hp.count, 3u);
  EXPECT_EQ(hp.sum, 2.5);
  EXPECT_EQ(hp.bucket_counts, (std::vector<uint64_t>{1, 0, 2}));
  EXPECT_EQ(hp.explicit_bounds, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(hp.min, 0.05);
  EXPECT_EQ(hp.max, 1.5);
  ASSERT_EQ(hp.exemplars.size(), 1u);
  EXPECT_EQ(hp.exemplars[0].time_unix_nano, 55u);
  EXPECT_EQ(hp.exemplars[0].as_double, 0.42);
  EXPECT_EQ(hp.exemplars[0].span_id, Sid(7));
  EXPECT_EQ(hp.exemplars[0].trace_id, Tid(8));

  EXPECT_EQ(b.metric_count(), 0u);
  EXPECT_FALSE(b.AddNumberPoint(g));  // nothing open after Finish
}

TEST(ScalarViewsTest, ViewsScalarsAndEmptiesNestedValues) {
  const std::vector<KeyValue> attrs = {{"service.name", AnyValue::String("checkout")},
                                       {"process.pid", AnyValue::Int(42)},
                                       {"ratio", AnyValue::Double(0.5)},
                                       {"on", AnyValue::Bool(true)},
                                       {"nested", AnyValue::Array({AnyValue::Int(1)})}};
  const std::vector<KeyValueView> views = ScalarViews(attrs);
  ASSERT_EQ(views.size(), 5u);
  EXPECT_EQ(views[0].key, "service.name");
  EXPECT_EQ(views[0].value.string_value, "checkout");
  EXPECT_EQ(views[1].value.int_value, 42);
  EXPECT_EQ(views[2].value.double_value, 0.5);
  EXPECT_TRUE(views[3].value.bool_value);
  EXPECT_EQ(views[4].value.type, AnyValue::Type::kEmpty);
}

}  // namespace
}  // namespace quartet::otlp

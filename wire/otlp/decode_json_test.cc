// OTLP/JSON decoding: the JS exporter's JSON captures decode to the same
// model as its protobuf captures of the same spans, plus the JSON-specific
// rules (hex ids, int64 as string or number, base64 bytes) and error paths.
#include "wire/otlp/decode_json.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "wire/otlp/decode.h"

namespace quartet::otlp {
namespace {

std::string ReadFixture(const std::string& name) {
  const char* src = std::getenv("QUARTET_SOURCE_DIR");
  std::string path = std::string(src ? src : ".") + "/../shared/fixtures/real-clients/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(DecodeJsonTest, JsonCapturesMatchTheirProtobufTwins) {
  // otel/0001.json is parent-op (protobuf twin 0004), 0002 is child-op (0003).
  for (auto [json_file, pb_file] :
       {std::pair{"otel/0001.bin", "otel/0004.bin"}, std::pair{"otel/0002.bin", "otel/0003.bin"}}) {
    auto from_json = DecodeTracesJson(ReadFixture(json_file));
    ASSERT_TRUE(from_json.ok()) << json_file << ": " << from_json.status().ToString();
    auto from_pb = DecodeTraces(ReadFixture(pb_file));
    ASSERT_TRUE(from_pb.ok());
    EXPECT_EQ(*from_json, *from_pb) << json_file;
  }
  auto child = DecodeTracesJson(ReadFixture("otel/0002.bin"));
  ASSERT_TRUE(child.ok());
  const Span& s = child->resource_spans.at(0).scope_spans.at(0).spans.at(0);
  EXPECT_EQ(s.name, "child-op");
  EXPECT_EQ(s.parent_span_id.bytes[0], 0xc9);
  EXPECT_EQ(s.end_time_unix_nano, 1795479849352216291u);
  EXPECT_EQ(s.status.message, "boom");
}

TEST(DecodeJsonTest, ScalarEncodings) {
  auto r = DecodeTracesJson(R"({"resourceSpans":[{"scopeSpans":[{"spans":[{
      "traceId":"0102030405060708090A0B0C0D0E0F10","spanId":"0102030405060708",
      "parentSpanId":"","startTimeUnixNano":18446744073709551615,"endTimeUnixNano":"5",
      "kind":3,"flags":257,"unknownKey":{"x":[1]},"status":null,
      "attributes":[
        {"key":"i_str","value":{"intValue":"-9223372036854775808"}},
        {"key":"i_num","value":{"intValue":42}},
        {"key":"d_nan","value":{"doubleValue":"NaN"}},
        {"key":"d_num","value":{"doubleValue":2}},
        {"key":"b64","value":{"bytesValue":"AP8="}},
        {"key":"kv","value":{"kvlistValue":{"values":[{"key":"a","value":{"boolValue":true}}]}}},
        {"key":"none","value":{}}]}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Span& s = r->resource_spans[0].scope_spans[0].spans[0];
  EXPECT_EQ(s.trace_id.bytes[9], 0x0a);
  EXPECT_FALSE(s.parent_span_id.valid());
  EXPECT_EQ(s.start_time_unix_nano, 18446744073709551615u);
  EXPECT_EQ(s.end_time_unix_nano, 5u);
  EXPECT_EQ(s.kind, SpanKind::kClient);
  EXPECT_EQ(s.flags, 257u);
  EXPECT_EQ(s.attributes[0].value, AnyValue::Int(INT64_MIN));
  EXPECT_EQ(s.attributes[1].value, AnyValue::Int(42));
  EXPECT_TRUE(std::isnan(s.attributes[2].value.double_value));
  EXPECT_EQ(s.attributes[3].value, AnyValue::Double(2));
  EXPECT_EQ(s.attributes[4].value, AnyValue::Bytes(std::string("\0\xff", 2)));
  EXPECT_EQ(s.attributes[5].value, AnyValue::KvList({{"a", AnyValue::Bool(true)}}));
  EXPECT_EQ(s.attributes[6].value.type, AnyValue::Type::kEmpty);
}

TEST(DecodeJsonTest, ErrorsNameTheJsonPath) {
  struct Case {
    const char* json;
    const char* message;
  };
  const Case cases[] = {
      {R"({"resourceSpans":[{"scopeSpans":[{},{"spans":[{"traceId":"abc","spanId":"0102030405060708"}]}]}]})",
       "resourceSpans[0].scopeSpans[1].spans[0].traceId: must be 32 hex digits, got 3 chars"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f1g","spanId":"0102030405060708"}]}]}]})",
       "resourceSpans[0].scopeSpans[0].spans[0].traceId: must be hex digits"},
      {R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","startTimeUnixNano":"12x"}]}]}]})",
       "resourceSpans[0].scopeSpans[0].spans[0].startTimeUnixNano: must be an integer, got "
       "\"12x\""},
      {R"({"resourceSpans":[{"resource":{"attributes":[{"key":"k","value":{"intValue":1.5}}]}}]})",
       "resourceSpans[0].resource.attributes[0].value.intValue: must be an integer, got \"1.5\""},
      {R"({"resourceSpans":{}})", "resourceSpans: must be an array"},
      {R"({"resourceSpans":[3]})", "resourceSpans[0]: must be an object"},
      {R"([])", "request must be a JSON object"},
  };
  for (const Case& c : cases) {
    auto r = DecodeTracesJson(c.json);
    ASSERT_FALSE(r.ok()) << c.json;
    EXPECT_EQ(r.status().message(), c.message);
  }
  auto bad_json = DecodeTracesJson("{");
  ASSERT_FALSE(bad_json.ok());
  EXPECT_NE(bad_json.status().message().find("offset"), std::string_view::npos);
}

TEST(DecodeJsonTest, Logs) {
  auto r = DecodeLogsJson(R"({"resourceLogs":[{"resource":{"attributes":[
      {"key":"service.name","value":{"stringValue":"checkout"}}]},
      "scopeLogs":[{"scope":{"name":"s"},"logRecords":[{
        "timeUnixNano":"1","observedTimeUnixNano":2,"severityNumber":17,"severityText":"ERROR",
        "body":{"stringValue":"failed"},"traceId":"0102030405060708090a0b0c0d0e0f10",
        "spanId":"","flags":1,"eventName":"e"}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const LogRecord& l = r->resource_logs[0].scope_logs[0].log_records[0];
  EXPECT_EQ(l.time_unix_nano, 1u);
  EXPECT_EQ(l.observed_time_unix_nano, 2u);
  EXPECT_EQ(l.severity_number, kSeverityError);
  EXPECT_EQ(l.body, AnyValue::String("failed"));
  EXPECT_EQ(l.trace_id.bytes[15], 0x10);
  EXPECT_FALSE(l.span_id.valid());
  EXPECT_EQ(l.event_name, "e");
}

TEST(DecodeJsonTest, Metrics) {
  auto r = DecodeMetricsJson(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
      {"name":"req","sum":{"dataPoints":[{"asInt":"7","timeUnixNano":"9",
        "exemplars":[{"asDouble":0.5,"spanId":"0102030405060708"}]}],
        "aggregationTemporality":2,"isMonotonic":true}},
      {"name":"lat","histogram":{"dataPoints":[{"count":"3","sum":1.5,"bucketCounts":["1",2,0],
        "explicitBounds":[1,"Infinity"],"min":0.1}],"aggregationTemporality":1}},
      {"name":"exp","exponentialHistogram":{"dataPoints":[{"scale":-2,"zeroCount":"1",
        "positive":{"offset":-1,"bucketCounts":["4"]}}]}},
      {"name":"q","summary":{"dataPoints":[{"count":2,"sum":3,
        "quantileValues":[{"quantile":0.5,"value":1}]}]}}]}]}]})");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& metrics = r->resource_metrics[0].scope_metrics[0].metrics;
  ASSERT_EQ(metrics.size(), 4u);
  EXPECT_EQ(metrics[0].type, Metric::Type::kSum);
  EXPECT_TRUE(metrics[0].is_monotonic);
  EXPECT_EQ(metrics[0].temporality, AggregationTemporality::kCumulative);
  EXPECT_EQ(metrics[0].number_points[0].kind, NumberKind::kInt);
  EXPECT_EQ(metrics[0].number_points[0].as_int, 7);
  EXPECT_EQ(metrics[0].number_points[0].exemplars[0].as_double, 0.5);
  EXPECT_EQ(metrics[0].number_points[0].exemplars[0].span_id.bytes[7], 8);
  const HistogramDataPoint& h = metrics[1].histogram_points[0];
  EXPECT_EQ(h.count, 3u);
  EXPECT_EQ(h.sum, 1.5);
  EXPECT_EQ(h.bucket_counts, (std::vector<uint64_t>{1, 2, 0}));
  EXPECT_TRUE(std::isinf(h.explicit_bounds[1]));
  EXPECT_EQ(h.min, 0.1);
  EXPECT_FALSE(h.max.has_value());
  const ExponentialHistogramDataPoint& e = metrics[2].exponential_histogram_points[0];
  EXPECT_EQ(e.scale, -2);
  EXPECT_EQ(e.zero_count, 1u);
  EXPECT_EQ(e.positive.offset, -1);
  EXPECT_EQ(e.positive.bucket_counts, (std::vector<uint64_t>{4}));
  EXPECT_EQ(metrics[3].summary_points[0].quantile_values[0], (ValueAtQuantile{0.5, 1}));

  auto bad = DecodeMetricsJson(R"({"resourceMetrics":[{"scopeMetrics":[{"metrics":[
      {"name":"lat","histogram":{"dataPoints":[{"bucketCounts":[1,"x"]}]}}]}]}]})");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(),
            "resourceMetrics[0].scopeMetrics[0].metrics[0].histogram.dataPoints[0]."
            "bucketCounts[1]: must be an integer, got \"x\"");
}

}  // namespace
}  // namespace quartet::otlp

// Decodes the real-client captures in fixtures/real-clients/ (OpenTelemetry
// JS 0.223: HTTP/protobuf, gRPC bodies, gzip-compressed env-configured SDK)
// and checks them field by field against the reference decodings (.txt files
// where the capture has one; protoc --decode_raw-equivalent reading of the
// bytes otherwise). A missing fixture fails the test.
#include <gtest/gtest.h>
#include <zlib.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "base/hex.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/encode_model.h"

namespace quartet::otlp {
namespace {

std::string FixturePath(const std::string& name) {
  const char* src = std::getenv("QUARTET_SOURCE_DIR");
  std::string root = src ? src : ".";
  return root + "/../shared/fixtures/real-clients/" + name;
}

std::string ReadFixture(const std::string& name) {
  std::ifstream in(FixturePath(name), std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << FixturePath(name);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

std::string Gunzip(const std::string& in) {
  z_stream zs{};
  EXPECT_EQ(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  zs.avail_in = static_cast<uInt>(in.size());
  std::string out;
  char buf[4096];
  int ret;
  do {
    zs.next_out = reinterpret_cast<Bytef*>(buf);
    zs.avail_out = sizeof(buf);
    ret = inflate(&zs, Z_NO_FLUSH);
    out.append(buf, sizeof(buf) - zs.avail_out);
  } while (ret == Z_OK);
  inflateEnd(&zs);
  EXPECT_EQ(ret, Z_STREAM_END) << "bad gzip";
  return out;
}

std::string Str(const AnyValue* v) {
  if (v == nullptr || v->type != AnyValue::Type::kString) return "<not a string>";
  return v->string_value;
}

std::string Hex(const TraceId& id) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(id.bytes.data()), 16));
}
std::string Hex(const SpanId& id) {
  return HexEncode(std::string_view(reinterpret_cast<const char*>(id.bytes.data()), 8));
}

void ExpectPeerTestResource(const Resource& r) {
  ASSERT_EQ(r.attributes.size(), 2u);
  EXPECT_EQ(r.attributes[0].key, "service.name");
  EXPECT_EQ(Str(&r.attributes[0].value), "peer-test");
  EXPECT_EQ(r.attributes[1].key, "deployment.environment");
  EXPECT_EQ(Str(&r.attributes[1].value), "lab");
}

TEST(FixtureTest, Otel0003ChildSpanWithEventAndErrorStatus) {
  auto req = DecodeTraces(ReadFixture("otel/0003.bin"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->resource_spans.size(), 1u);
  const ResourceSpans& rs = req->resource_spans[0];
  ExpectPeerTestResource(rs.resource);
  ASSERT_EQ(rs.scope_spans.size(), 1u);
  EXPECT_EQ(rs.scope_spans[0].scope.name, "lab-tracer");
  EXPECT_EQ(rs.scope_spans[0].scope.version, "1.2.3");
  ASSERT_EQ(rs.scope_spans[0].spans.size(), 1u);
  const Span& s = rs.scope_spans[0].spans[0];
  // 0003.txt: trace_id "\230\327H\246}\234!\317\200U\230\312\266\2538\226"
  EXPECT_EQ(Hex(s.trace_id), "98d748a67d9c21cf805598cab6ab3896");
  EXPECT_EQ(Hex(s.span_id), "de4f23d154e4ec78");         // "\336O#\321T\344\354x"
  EXPECT_EQ(Hex(s.parent_span_id), "c93afad602ad1b64");  // "\311:\372\326\002\255\033d"
  EXPECT_EQ(s.name, "child-op");
  EXPECT_EQ(s.kind, SpanKind::kClient);
  EXPECT_EQ(s.start_time_unix_nano, 1795479849352000000u);
  EXPECT_EQ(s.end_time_unix_nano, 1795479849352216291u);
  EXPECT_TRUE(s.attributes.empty());
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].time_unix_nano, 1795479849352117844u);
  EXPECT_EQ(s.events[0].name, "evt");
  ASSERT_EQ(s.events[0].attributes.size(), 1u);
  EXPECT_EQ(s.events[0].attributes[0].key, "k");
  EXPECT_EQ(Str(&s.events[0].attributes[0].value), "v");
  EXPECT_EQ(s.status.message, "boom");
  EXPECT_EQ(s.status.code, SpanStatusCode::kError);
  EXPECT_EQ(s.flags, 257u);
  EXPECT_TRUE(s.links.empty());
}

TEST(FixtureTest, Otel0004ParentSpanWithTypedAttributes) {
  auto req = DecodeTraces(ReadFixture("otel/0004.bin"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->resource_spans.size(), 1u);
  ExpectPeerTestResource(req->resource_spans[0].resource);
  const Span& s = req->resource_spans[0].scope_spans.at(0).spans.at(0);
  // Same trace as 0003; this is the parent of 0003's span.
  EXPECT_EQ(Hex(s.trace_id), "98d748a67d9c21cf805598cab6ab3896");
  EXPECT_EQ(Hex(s.span_id), "c93afad602ad1b64");
  EXPECT_FALSE(s.parent_span_id.valid());
  EXPECT_EQ(s.name, "parent-op");
  EXPECT_EQ(s.kind, SpanKind::kServer);
  EXPECT_EQ(s.start_time_unix_nano, 1795479849352000000u);
  EXPECT_EQ(s.end_time_unix_nano, 1795479849356729268u);
  ASSERT_EQ(s.attributes.size(), 5u);
  EXPECT_EQ(Str(FindAttribute(s.attributes, "http.method")), "GET");
  EXPECT_EQ(*FindAttribute(s.attributes, "n.int"), AnyValue::Int(42));
  EXPECT_EQ(*FindAttribute(s.attributes, "n.dbl"), AnyValue::Double(1.5));
  EXPECT_EQ(*FindAttribute(s.attributes, "flag"), AnyValue::Bool(true));
  EXPECT_EQ(*FindAttribute(s.attributes, "arr"),
            AnyValue::Array({AnyValue::String("a"), AnyValue::String("b")}));
  // The JS exporter writes zero values (status.code 0, dropped counts 0).
  EXPECT_EQ(s.status.code, SpanStatusCode::kUnset);
  EXPECT_EQ(s.dropped_attributes_count, 0u);
  EXPECT_EQ(s.flags, 257u);
}

TEST(FixtureTest, Otel0005LogRecord) {
  auto req = DecodeLogs(ReadFixture("otel/0005.bin"));
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->resource_logs.size(), 1u);
  ExpectPeerTestResource(req->resource_logs[0].resource);
  const ScopeLogs& sl = req->resource_logs[0].scope_logs.at(0);
  EXPECT_EQ(sl.scope.name, "lab-logger");
  ASSERT_EQ(sl.log_records.size(), 1u);
  const LogRecord& l = sl.log_records[0];
  EXPECT_EQ(l.time_unix_nano, 1795479849385000000u);
  EXPECT_EQ(l.observed_time_unix_nano, 1795479849385000000u);
  EXPECT_EQ(l.severity_number, kSeverityError);
  EXPECT_EQ(l.severity_text, "ERROR");
  EXPECT_EQ(l.body, AnyValue::String("hello log"));
  ASSERT_EQ(l.attributes.size(), 1u);
  EXPECT_EQ(l.attributes[0].key, "user.id");
  EXPECT_EQ(l.attributes[0].value, AnyValue::Int(7));
  EXPECT_FALSE(l.trace_id.valid());
  EXPECT_FALSE(l.span_id.valid());
}

void ExpectLabMeter(const ExportMetricsServiceRequest& req, uint64_t time) {
  ASSERT_EQ(req.resource_metrics.size(), 1u);
  ExpectPeerTestResource(req.resource_metrics[0].resource);
  const ScopeMetrics& sm = req.resource_metrics[0].scope_metrics.at(0);
  EXPECT_EQ(sm.scope.name, "lab-meter");
  ASSERT_EQ(sm.metrics.size(), 4u);

  const Metric& req_total = sm.metrics[0];
  EXPECT_EQ(req_total.name, "req_total");
  EXPECT_EQ(req_total.description, "reqs");
  EXPECT_EQ(req_total.unit, "1");
  EXPECT_EQ(req_total.type, Metric::Type::kSum);
  EXPECT_EQ(req_total.temporality, AggregationTemporality::kCumulative);
  EXPECT_TRUE(req_total.is_monotonic);
  ASSERT_EQ(req_total.number_points.size(), 1u);
  EXPECT_EQ(req_total.number_points[0].start_time_unix_nano, 1795479849397000000u);
  EXPECT_EQ(req_total.number_points[0].time_unix_nano, time);
  EXPECT_EQ(req_total.number_points[0].kind, NumberKind::kDouble);
  EXPECT_EQ(req_total.number_points[0].as_double, 3);
  EXPECT_EQ(Str(FindAttribute(req_total.number_points[0].attributes, "route")), "/a");

  const Metric& latency = sm.metrics[1];
  EXPECT_EQ(latency.name, "latency");
  EXPECT_EQ(latency.unit, "ms");
  EXPECT_EQ(latency.type, Metric::Type::kHistogram);
  EXPECT_EQ(latency.temporality, AggregationTemporality::kCumulative);
  ASSERT_EQ(latency.histogram_points.size(), 1u);
  const HistogramDataPoint& h = latency.histogram_points[0];
  EXPECT_EQ(h.start_time_unix_nano, 1795479849398000000u);
  EXPECT_EQ(h.time_unix_nano, time);
  EXPECT_EQ(h.count, 1u);
  EXPECT_EQ(h.sum, 12.5);
  std::vector<uint64_t> buckets(16, 0);
  buckets[3] = 1;
  EXPECT_EQ(h.bucket_counts, buckets);
  EXPECT_EQ(h.explicit_bounds, (std::vector<double>{0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000,
                                                    2500, 5000, 7500, 10000}));
  EXPECT_EQ(h.min, 12.5);
  EXPECT_EQ(h.max, 12.5);
  EXPECT_EQ(Str(FindAttribute(h.attributes, "route")), "/a");

  const Metric& inflight = sm.metrics[2];
  EXPECT_EQ(inflight.name, "inflight");
  EXPECT_EQ(inflight.type, Metric::Type::kSum);
  EXPECT_FALSE(inflight.is_monotonic);
  ASSERT_EQ(inflight.number_points.size(), 1u);
  EXPECT_EQ(inflight.number_points[0].as_double, -2);
  EXPECT_TRUE(inflight.number_points[0].attributes.empty());

  const Metric& temp = sm.metrics[3];
  EXPECT_EQ(temp.name, "temp");
  EXPECT_EQ(temp.type, Metric::Type::kGauge);
  ASSERT_EQ(temp.number_points.size(), 1u);
  EXPECT_EQ(temp.number_points[0].as_double, 21.5);
  EXPECT_EQ(Str(FindAttribute(temp.number_points[0].attributes, "room")), "x");
}

TEST(FixtureTest, Otel0006And0007Metrics) {
  auto m6 = DecodeMetrics(ReadFixture("otel/0006.bin"));
  ASSERT_TRUE(m6.ok()) << m6.status().ToString();
  ExpectLabMeter(*m6, 1795479849398000000u);
  // 0007 is the next collection cycle: same series, later time_unix_nano.
  auto m7 = DecodeMetrics(ReadFixture("otel/0007.bin"));
  ASSERT_TRUE(m7.ok()) << m7.status().ToString();
  ExpectLabMeter(*m7, 1795479849405000000u);
}

TEST(FixtureTest, GrpcBodies) {
  struct Case {
    const char* file;
    const char* trace_id;
    const char* span_id;
    uint64_t start, end;
  };
  const Case cases[] = {
      {"grpc/1.bin", "7a8a1ac79022ada0f8f03e243e6452ad", "238ded793a8a6d16", 1795479877464000000u,
       1795479877464194590u},
      {"grpc/2.bin", "1e3fa823618fd36d33671c9990bee784", "c6c4beeac90d4943", 1795479877894000000u,
       1795479877894179993u},
  };
  for (const Case& c : cases) {
    auto req = DecodeTraces(ReadFixture(c.file));
    ASSERT_TRUE(req.ok()) << c.file << ": " << req.status().ToString();
    ASSERT_EQ(req->resource_spans.size(), 1u) << c.file;
    const ResourceSpans& rs = req->resource_spans[0];
    EXPECT_EQ(Str(FindAttribute(rs.resource.attributes, "service.name")), "grpc-peer");
    EXPECT_EQ(rs.scope_spans.at(0).scope.name, "t");
    const Span& s = rs.scope_spans.at(0).spans.at(0);
    EXPECT_EQ(Hex(s.trace_id), c.trace_id) << c.file;
    EXPECT_EQ(Hex(s.span_id), c.span_id) << c.file;
    EXPECT_EQ(s.name, "grpc-span");
    EXPECT_EQ(s.kind, SpanKind::kInternal);
    EXPECT_EQ(s.start_time_unix_nano, c.start);
    EXPECT_EQ(s.end_time_unix_nano, c.end);
    EXPECT_EQ(s.flags, 257u);
  }
}

TEST(FixtureTest, EnvConfiguredSdkGzipBodies) {
  auto traces = DecodeTraces(Gunzip(ReadFixture("env/0001.bin")));
  ASSERT_TRUE(traces.ok()) << traces.status().ToString();
  const ResourceSpans& rs = traces->resource_spans.at(0);
  EXPECT_EQ(rs.resource.attributes.size(), 16u);
  EXPECT_EQ(Str(FindAttribute(rs.resource.attributes, "service.name")), "env-svc");
  EXPECT_EQ(*FindAttribute(rs.resource.attributes, "process.pid"), AnyValue::Int(9062));
  EXPECT_EQ(*FindAttribute(rs.resource.attributes, "process.command_args"),
            AnyValue::Array({AnyValue::String("/usr/bin/node"),
                             AnyValue::String("/tmp/peerlab/otel/nodesdk.js")}));
  EXPECT_EQ(rs.scope_spans.at(0).scope.name, "env-tracer");
  const Span& s = rs.scope_spans.at(0).spans.at(0);
  EXPECT_EQ(Hex(s.trace_id), "4d7fb17d6de34fe29fd4657e3c83499d");
  EXPECT_EQ(Hex(s.span_id), "220a6880d1a505e8");
  EXPECT_EQ(s.name, "env-span");
  EXPECT_EQ(s.kind, SpanKind::kInternal);
  EXPECT_EQ(s.start_time_unix_nano, 1795480131422000000u);
  EXPECT_EQ(s.end_time_unix_nano, 1795480131422182667u);

  auto logs = DecodeLogs(Gunzip(ReadFixture("env/0002.bin")));
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  const ResourceLogs& rl = logs->resource_logs.at(0);
  EXPECT_EQ(Str(FindAttribute(rl.resource.attributes, "service.name")), "env-svc");
  EXPECT_EQ(rl.scope_logs.at(0).scope.name, "env-logger");
  const LogRecord& l = rl.scope_logs.at(0).log_records.at(0);
  EXPECT_EQ(l.time_unix_nano, 1795480131422000000u);
  EXPECT_EQ(l.observed_time_unix_nano, 1795480131422000000u);
  EXPECT_EQ(l.severity_number, kSeverityInfo);
  EXPECT_EQ(l.body, AnyValue::String("env log"));

  auto metrics = DecodeMetrics(Gunzip(ReadFixture("env/0003.bin")));
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  const Metric& m = metrics->resource_metrics.at(0).scope_metrics.at(0).metrics.at(0);
  EXPECT_EQ(metrics->resource_metrics[0].scope_metrics[0].scope.name, "env-meter");
  EXPECT_EQ(m.name, "env_counter");
  EXPECT_EQ(m.type, Metric::Type::kSum);
  EXPECT_EQ(m.temporality, AggregationTemporality::kCumulative);
  EXPECT_TRUE(m.is_monotonic);
  ASSERT_EQ(m.number_points.size(), 1u);
  EXPECT_EQ(m.number_points[0].start_time_unix_nano, 1795480131424000000u);
  EXPECT_EQ(m.number_points[0].time_unix_nano, 1795480131926000000u);
  EXPECT_EQ(m.number_points[0].as_double, 1.0);
}

// Re-encoding a decoded capture and decoding again gives the same model
// (our encoder omits the zero values the JS client wrote; nothing is lost).
TEST(FixtureTest, CapturesSurviveReencoding) {
  for (const char* file : {"otel/0003.bin", "otel/0004.bin", "grpc/1.bin"}) {
    auto a = DecodeTraces(ReadFixture(file));
    ASSERT_TRUE(a.ok()) << file;
    auto b = DecodeTraces(EncodeTraces(*a));
    ASSERT_TRUE(b.ok()) << file;
    EXPECT_EQ(*a, *b) << file;
  }
  auto logs = DecodeLogs(ReadFixture("otel/0005.bin"));
  ASSERT_TRUE(logs.ok());
  EXPECT_EQ(*DecodeLogs(EncodeLogs(*logs)), *logs);
  auto metrics = DecodeMetrics(ReadFixture("otel/0006.bin"));
  ASSERT_TRUE(metrics.ok());
  EXPECT_EQ(*DecodeMetrics(EncodeMetrics(*metrics)), *metrics);
}

}  // namespace
}  // namespace quartet::otlp

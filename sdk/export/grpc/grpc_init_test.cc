// quartet::Init with otlp_protocol kGrpc (QUARTET_WITH_GRPC): traces, logs and
// metrics reach an OTLP/gRPC peer on their three Export methods, under one
// resource, with headers as metadata; a hung collector does not hold
// Shutdown past its deadline.
#include <gtest/gtest.h>

#include <chrono>
#include <cstdlib>

#include "quartet/quartet.h"
#include "sdk/export/grpc/grpc_test_server.h"
#include "wire/otlp/decode.h"

namespace quartet {
namespace {

using namespace std::chrono_literals;
using exporter::testing::RecordedCall;
using exporter::testing::ScriptedGrpcServer;

std::string ResourceAttr(const otlp::Resource& resource, std::string_view key) {
  const otlp::AnyValue* v = otlp::FindAttribute(resource.attributes, key);
  return v != nullptr ? v->string_value : "<absent>";
}

std::vector<RecordedCall> CallsTo(const ScriptedGrpcServer& server, std::string_view service) {
  std::vector<RecordedCall> out;
  for (RecordedCall& c : server.calls()) {
    if (c.method == "/opentelemetry.proto.collector." + std::string(service) + "/Export")
      out.push_back(std::move(c));
  }
  return out;
}

TEST(GrpcInitTest, EverySignalOverGrpcWithOneResource) {
  ScriptedGrpcServer server;
  Config config;
  config.service_name = "grpc-app";
  config.otlp_protocol = OtlpProtocol::kGrpc;
  config.otlp_endpoint = server.url();
  config.otlp_headers = {{"Authorization", "Bearer t0k"}};
  config.otlp_gzip = true;
  config.schedule_delay = 20ms;
  config.log_output = "stderr";
  config.admin_listen = "";
  config.logs_exporter = "otlp";
  config.metrics_exporter = "otlp";
  Telemetry telemetry = Init(config);

  std::string trace_id, span_id;
  {
    Span span = Tracer().StartSpan("GET /grpc", {.kind = SpanKind::kServer});
    trace_id = span.context().trace_id.ToHex();
    span_id = span.context().span_id.ToHex();
    Scope scope(Context::Current().WithSpan(span));
    Log().Info("inside the span", {{"rows", 7}});
  }
  ASSERT_TRUE(telemetry.Shutdown(5s));

  std::vector<RecordedCall> traces = CallsTo(server, "trace.v1.TraceService");
  ASSERT_FALSE(traces.empty());
  auto auth = traces[0].metadata.find("authorization");
  ASSERT_NE(auth, traces[0].metadata.end());
  EXPECT_EQ(auth->second, "Bearer t0k");
  auto decoded = otlp::DecodeTraces(traces[0].body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(ResourceAttr(decoded->resource_spans.at(0).resource, "service.name"), "grpc-app");
  const otlp::Span& span = decoded->resource_spans[0].scope_spans.at(0).spans.at(0);
  EXPECT_EQ(span.trace_id.ToHex(), trace_id);
  EXPECT_EQ(span.name, "GET /grpc");

  std::vector<RecordedCall> logs = CallsTo(server, "logs.v1.LogsService");
  ASSERT_FALSE(logs.empty());
  auto log_request = otlp::DecodeLogs(logs[0].body);
  ASSERT_TRUE(log_request.ok()) << log_request.status().ToString();
  EXPECT_EQ(ResourceAttr(log_request->resource_logs.at(0).resource, "service.name"), "grpc-app");
  bool found = false;
  for (const otlp::LogRecord& r : log_request->resource_logs[0].scope_logs.at(0).log_records) {
    if (r.body.string_value != "inside the span") continue;
    found = true;
    EXPECT_EQ(r.trace_id.ToHex(), trace_id);
    EXPECT_EQ(r.span_id.ToHex(), span_id);
  }
  EXPECT_TRUE(found);

  std::vector<RecordedCall> metrics = CallsTo(server, "metrics.v1.MetricsService");
  ASSERT_FALSE(metrics.empty());
  auto metric_request = otlp::DecodeMetrics(metrics.back().body);
  ASSERT_TRUE(metric_request.ok()) << metric_request.status().ToString();
  EXPECT_EQ(ResourceAttr(metric_request->resource_metrics.at(0).resource, "service.name"),
            "grpc-app");
}

TEST(GrpcInitTest, EnvironmentSelectsGrpcAndShutdownKeepsItsDeadline) {
  ScriptedGrpcServer server;
  // Every call hangs: Shutdown must cancel them and return on time.
  server.Script(
      std::vector<exporter::testing::ScriptedReply>(16, {grpc::StatusCode::OK, "", "", "", 30s}));
  setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "grpc", 1);
  setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", server.url().c_str(), 1);
  Config config;
  config.service_name = "hung";
  config.schedule_delay = 10ms;
  config.log_output = "stderr";
  config.admin_listen = "";
  config.logs_exporter = "none";
  Telemetry telemetry = Init(config);
  unsetenv("OTEL_EXPORTER_OTLP_PROTOCOL");
  unsetenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT");
  { Span span = Tracer().StartSpan("stuck"); }
  ASSERT_TRUE(server.WaitForCalls(1, 5s));  // the env var's endpoint, used as is
  auto start = std::chrono::steady_clock::now();
  telemetry.Shutdown(500ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  server.Release();
}

}  // namespace
}  // namespace quartet

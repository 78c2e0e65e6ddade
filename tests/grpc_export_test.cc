// The SDK's OTLP/gRPC exporter end to end (QUARTET_WITH_GRPC): a service in
// this process, Init with otlp_protocol kGrpc, sends to the real quartetd's
// OTLP/gRPC port; its span and its log line are then found through
// quartetd's Tempo and Loki query APIs, linked by the trace id.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "quartet/quartet.h"
#include "tests/support/quartetd.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

// Polls `get` until `want` appears in a 200 body (ingest is asynchronous to
// the export's reply only as far as the store's head is concerned).
Quartetd::Response WaitFor(const std::function<Quartetd::Response()>& get,
                           const std::string& want) {
  Quartetd::Response r;
  for (int i = 0; i < 50; ++i) {
    r = get();
    if (r.status == 200 && r.body.find(want) != std::string::npos) break;
    std::this_thread::sleep_for(100ms);
  }
  return r;
}

TEST(GrpcExportTest, SpansAndLogsReachQuartetdOverGrpc) {
  Quartetd q;
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();
  ASSERT_NE(q.grpc_port(), 0);
  const std::string service = "grpc-sdk-" + std::to_string(getpid());
  const std::string marker = "over grpc " + std::to_string(getpid());

  Config config;
  config.service_name = service;
  config.otlp_protocol = OtlpProtocol::kGrpc;
  config.otlp_endpoint = "http://127.0.0.1:" + std::to_string(q.grpc_port());
  config.otlp_gzip = true;
  config.schedule_delay = 20ms;
  config.log_output = "stderr";
  config.admin_listen = "";
  config.logs_exporter = "otlp";
  Telemetry telemetry = Init(config);

  std::string trace_id;
  {
    Span span = Tracer().StartSpan("GET /grpc-export", {.kind = SpanKind::kServer});
    trace_id = span.context().trace_id.ToHex();
    Scope scope(Context::Current().WithSpan(span).WithRequestId("req-grpc"));
    Log().Info(marker, {{"rows", 3}});
  }
  ASSERT_TRUE(telemetry.Shutdown(10s));

  Quartetd::Response r =
      WaitFor([&] { return q.Get("/api/traces/" + trace_id); }, "GET /grpc-export");
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"name\":\"GET /grpc-export\""), std::string::npos) << r.body;
  EXPECT_NE(r.body.find(service), std::string::npos) << r.body;

  r = WaitFor(
      [&] {
        return q.Query("/loki/api/v1/query_range",
                       {{"query", "{service_name=\"" + service + "\"} |= \"" + marker + "\""},
                        {"start", "0"}});
      },
      marker);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(marker), std::string::npos) << r.body;
  EXPECT_NE(r.body.find("\"trace_id\":\"" + trace_id + "\""), std::string::npos) << r.body;

  // And from the trace to its log line, with no time range.
  r = WaitFor([&] { return q.Get("/api/v1/traces/" + trace_id + "/logs"); }, marker);
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find(marker), std::string::npos) << r.body;
}

}  // namespace
}  // namespace quartet::testing

#include "sdk/export/grpc/grpc_sender.h"

#include <gtest/gtest.h>

#include <thread>

#include "sdk/export/grpc/grpc_endpoint.h"
#include "sdk/export/grpc/grpc_test_server.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/encode.h"
#include "wire/otlp/response.h"
#include "wire/protobuf/writer.h"

namespace quartet::exporter {
namespace {

using std::chrono::milliseconds;
using testing::ScriptedGrpcServer;
using testing::ScriptedReply;
using Clock = std::chrono::steady_clock;

constexpr std::string_view kTraceMethod =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";

// Fast retries so the tests take milliseconds, not the production seconds.
RetryPolicy FastRetry() {
  RetryPolicy p;
  p.initial_backoff = milliseconds(10);
  p.max_backoff = milliseconds(50);
  return p;
}

TraceId TestTraceId() {
  TraceId id;
  for (int i = 0; i < 16; ++i) id.bytes[i] = static_cast<uint8_t>(0xa0 + i);
  return id;
}

SpanId TestSpanId() {
  SpanId id;
  for (int i = 0; i < 8; ++i) id.bytes[i] = static_cast<uint8_t>(0x10 + i);
  return id;
}

// One span with an attribute, resource service.name=checkout.
std::string TraceBody() {
  otlp::KeyValueView resource[] = {{"service.name", otlp::AnyValueView::String("checkout")}};
  otlp::TraceRequestBuilder builder(resource, "quartet", "0.1.0");
  otlp::KeyValueView attrs[] = {{"http.route", otlp::AnyValueView::String("/checkout")}};
  otlp::SpanView span;
  span.trace_id = TestTraceId();
  span.span_id = TestSpanId();
  span.name = "GET /checkout";
  span.kind = otlp::SpanKind::kServer;
  span.start_time_unix_nano = 1'700'000'000'000'000'000;
  span.end_time_unix_nano = 1'700'000'000'100'000'000;
  span.attributes = attrs;
  builder.AddSpan(span);
  return builder.Finish();
}

ExportRequest Request(std::string body, bool gzip = false, Headers headers = {}) {
  ExportRequest r;
  r.body = std::move(body);
  r.gzip = gzip;
  r.headers = std::move(headers);
  return r;
}

std::string RetryInfoDetails(int code, int64_t millis) {
  protobuf::Writer duration;
  duration.Int64(1, millis / 1000);
  duration.Int32(2, static_cast<int32_t>((millis % 1000) * 1'000'000));
  protobuf::Writer info;
  info.Message(1, duration.Release());
  otlp::RpcStatus status;
  status.code = code;
  status.message = "busy";
  status.details.push_back({"type.googleapis.com/google.rpc.RetryInfo", info.Release()});
  return otlp::EncodeRpcStatus(status);
}

struct Fixture {
  ScriptedGrpcServer server;
  std::vector<std::string> diagnostics;
  std::unique_ptr<GrpcSender> sender;

  explicit Fixture(Signal signal = Signal::kTraces, RetryPolicy policy = FastRetry()) {
    sender = std::make_unique<GrpcSender>(
        GrpcSenderOptions{.url = server.url() + "/ignored/path", .signal = signal}, policy,
        [this](std::string_view d) { diagnostics.emplace_back(d); });
  }
  SendOutcome Send(const ExportRequest& r, milliseconds within = milliseconds(5000)) {
    return sender->Send(r, Clock::now() + within);
  }
};

TEST(GrpcSenderTest, DeliversTheEncodedRequestWithMetadata) {
  Fixture f;
  ASSERT_NE(f.server.port(), 0);
  EXPECT_EQ(f.sender->target(), "127.0.0.1:" + std::to_string(f.server.port()));
  SendOutcome out = f.Send(Request(TraceBody(), false,
                                   {{"X-Scope-OrgID", "tenant-1"},
                                    {"Bad Key", "dropped"},
                                    {"grpc-timeout", "1S"},
                                    {"x-note", "caf\xc3\xa9"},
                                    {"x-blob-bin", std::string("\x00\xff", 2)}}));
  ASSERT_EQ(out.result, ExportResult::kSuccess) << out.last_error.ToString();
  EXPECT_EQ(out.attempts, 1);
  EXPECT_EQ(out.response.status, 200);

  std::vector<testing::RecordedCall> calls = f.server.calls();
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].method, kTraceMethod);
  auto tenant = calls[0].metadata.find("x-scope-orgid");
  ASSERT_NE(tenant, calls[0].metadata.end());
  EXPECT_EQ(tenant->second, "tenant-1");
  EXPECT_EQ(calls[0].metadata.count("x-note"), 0u);  // non-ASCII text value
  auto blob = calls[0].metadata.find("x-blob-bin");
  ASSERT_NE(blob, calls[0].metadata.end());
  EXPECT_EQ(blob->second, std::string("\x00\xff", 2));
  ASSERT_EQ(f.diagnostics.size(), 1u);  // the skipped headers, reported once
  EXPECT_NE(f.diagnostics[0].find("Bad Key"), std::string::npos) << f.diagnostics[0];
  auto agent = calls[0].metadata.find("user-agent");
  ASSERT_NE(agent, calls[0].metadata.end());
  EXPECT_TRUE(agent->second.starts_with("quartet-sdk/")) << agent->second;

  Result<otlp::ExportTraceServiceRequest> req = otlp::DecodeTraces(calls[0].body);
  ASSERT_TRUE(req.ok()) << req.status().ToString();
  ASSERT_EQ(req->resource_spans.size(), 1u);
  const otlp::AnyValue* service =
      otlp::FindAttribute(req->resource_spans[0].resource.attributes, "service.name");
  ASSERT_NE(service, nullptr);
  EXPECT_EQ(service->string_value, "checkout");
  const otlp::Span& span = req->resource_spans[0].scope_spans.at(0).spans.at(0);
  EXPECT_EQ(span.trace_id, TestTraceId());
  EXPECT_EQ(span.span_id, TestSpanId());
  const otlp::AnyValue* route = otlp::FindAttribute(span.attributes, "http.route");
  ASSERT_NE(route, nullptr);
  EXPECT_EQ(route->string_value, "/checkout");

  SendStats stats = f.sender->stats();
  EXPECT_EQ(stats.exports, 1u);
  EXPECT_EQ(stats.requests, 1u);
  EXPECT_EQ(stats.successes, 1u);
}

TEST(GrpcSenderTest, GzipArrivesIntact) {
  Fixture f;
  std::string body = TraceBody();
  SendOutcome out = f.Send(Request(body, /*gzip=*/true));
  ASSERT_EQ(out.result, ExportResult::kSuccess) << out.last_error.ToString();
  ASSERT_EQ(f.server.calls().size(), 1u);
  EXPECT_EQ(f.server.calls()[0].body, body);  // gRPC decompressed it
}

TEST(GrpcSenderTest, SignalsUseTheirService) {
  const std::pair<Signal, std::string_view> cases[] = {
      {Signal::kLogs, "/opentelemetry.proto.collector.logs.v1.LogsService/Export"},
      {Signal::kMetrics, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export"},
  };
  for (const auto& [signal, method] : cases) {
    Fixture f(signal);
    ASSERT_EQ(f.Send(Request("")).result, ExportResult::kSuccess);
    ASSERT_EQ(f.server.calls().size(), 1u);
    EXPECT_EQ(f.server.calls()[0].method, method);
  }
}

TEST(GrpcSenderTest, RetriesPerOtlpRules) {
  struct Case {
    std::string name;
    std::vector<ScriptedReply> script;
    ExportResult want;
    int attempts;
    size_t diagnostics;
  };
  const std::vector<Case> cases = {
      {"unavailable then ok",
       {{grpc::StatusCode::UNAVAILABLE, "restarting"}},
       ExportResult::kSuccess,
       2,
       0},
      {"aborted, data loss, out of range, cancelled, then ok",
       {{grpc::StatusCode::ABORTED},
        {grpc::StatusCode::DATA_LOSS},
        {grpc::StatusCode::OUT_OF_RANGE},
        {grpc::StatusCode::CANCELLED}},
       ExportResult::kSuccess,
       5,
       0},
      {"resource exhausted with RetryInfo is retried",
       {{grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", RetryInfoDetails(8, 20)}},
       ExportResult::kSuccess,
       2,
       0},
      {"resource exhausted without RetryInfo is permanent",
       {{grpc::StatusCode::RESOURCE_EXHAUSTED, "too large"}},
       ExportResult::kPermanentFailure,
       1,
       1},
      {"invalid argument is permanent",
       {{grpc::StatusCode::INVALID_ARGUMENT, "bad span"}},
       ExportResult::kPermanentFailure,
       1,
       1},
      {"unauthenticated is permanent",
       {{grpc::StatusCode::UNAUTHENTICATED, "who are you"}},
       ExportResult::kPermanentFailure,
       1,
       1},
      {"unimplemented is permanent",
       {{grpc::StatusCode::UNIMPLEMENTED, "no metrics here"}},
       ExportResult::kPermanentFailure,
       1,
       1},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    Fixture f;
    f.server.Script(c.script);
    SendOutcome out = f.Send(Request(TraceBody()));
    EXPECT_EQ(out.result, c.want) << out.last_error.ToString();
    EXPECT_EQ(out.attempts, c.attempts);
    EXPECT_EQ(f.server.calls().size(), static_cast<size_t>(c.attempts));
    EXPECT_EQ(f.diagnostics.size(), c.diagnostics);
    if (c.want == ExportResult::kPermanentFailure) {
      EXPECT_NE(
          out.last_error.message().find(otlp::GrpcCodeName(static_cast<int>(c.script[0].code))),
          std::string_view::npos)
          << out.last_error.ToString();
    }
  }
}

TEST(GrpcSenderTest, PermanentRejectionIsReportedOncePerCode) {
  Fixture f;
  f.server.Script({{grpc::StatusCode::INVALID_ARGUMENT, "a"},
                   {grpc::StatusCode::INVALID_ARGUMENT, "b"},
                   {grpc::StatusCode::PERMISSION_DENIED, "c"}});
  for (int i = 0; i < 3; ++i) {
    EXPECT_EQ(f.Send(Request("")).result, ExportResult::kPermanentFailure);
  }
  ASSERT_EQ(f.diagnostics.size(), 2u);
  EXPECT_NE(f.diagnostics[0].find("INVALID_ARGUMENT: a"), std::string::npos) << f.diagnostics[0];
  EXPECT_NE(f.diagnostics[1].find("PERMISSION_DENIED"), std::string::npos) << f.diagnostics[1];
}

TEST(GrpcSenderTest, HonoursRetryInfoDelay) {
  // Backoff alone would retry after ~10 ms; the server asks for 300 ms.
  Fixture f;
  f.server.Script({{grpc::StatusCode::UNAVAILABLE, "busy", RetryInfoDetails(14, 300)}});
  SendOutcome out = f.Send(Request(""));
  ASSERT_EQ(out.result, ExportResult::kSuccess);
  std::vector<testing::RecordedCall> calls = f.server.calls();
  ASSERT_EQ(calls.size(), 2u);
  EXPECT_GE(calls[1].at - calls[0].at, milliseconds(290));
}

TEST(GrpcSenderTest, RetryInfoPastTheDeadlineGivesUpAtOnce) {
  Fixture f;
  f.server.Script({{grpc::StatusCode::RESOURCE_EXHAUSTED, "busy", RetryInfoDetails(8, 10'000)}});
  auto start = Clock::now();
  SendOutcome out = f.Send(Request(""), milliseconds(1000));
  EXPECT_EQ(out.result, ExportResult::kRetryableFailure);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_LT(Clock::now() - start, milliseconds(500));
}

TEST(GrpcSenderTest, ReturnsPartialSuccessLikeHttp) {
  Fixture f;
  otlp::ExportResponse response;
  response.partial_success = otlp::ExportPartialSuccess{3, "3 spans had no name"};
  f.server.Script({{grpc::StatusCode::OK, "", "", otlp::EncodeExportResponse(response)}});
  SendOutcome out = f.Send(Request(TraceBody()));
  ASSERT_EQ(out.result, ExportResult::kSuccess);
  Result<otlp::ExportResponse> decoded = otlp::DecodeExportResponse(out.response.body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(*decoded, response);
}

TEST(GrpcSenderTest, DeadlineBoundsAHungServer) {
  Fixture f;
  f.server.Script({{grpc::StatusCode::OK, "", "", "", milliseconds(10'000)}});
  auto start = Clock::now();
  SendOutcome out = f.Send(Request(""), milliseconds(300));
  auto took = Clock::now() - start;
  EXPECT_EQ(out.result, ExportResult::kTimeout) << out.last_error.ToString();
  EXPECT_EQ(out.last_error.code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(took, milliseconds(250));
  EXPECT_LT(took, milliseconds(2000));
}

TEST(GrpcSenderTest, CancelAbortsTheCallInFlight) {
  Fixture f;
  f.server.Script({{grpc::StatusCode::OK, "", "", "", milliseconds(10'000)}});
  std::thread canceller([&] {
    ASSERT_TRUE(f.server.WaitForCalls(1, milliseconds(5000)));
    std::this_thread::sleep_for(milliseconds(50));
    f.sender->Cancel();
  });
  auto start = Clock::now();
  SendOutcome out = f.Send(Request(""), milliseconds(10'000));
  auto took = Clock::now() - start;
  canceller.join();
  EXPECT_NE(out.result, ExportResult::kSuccess);
  EXPECT_EQ(out.attempts, 1);  // cancelled: no retry
  EXPECT_LT(took, milliseconds(3000));
  // After Cancel(): at most one attempt, which fails fast.
  start = Clock::now();
  SendOutcome again = f.Send(Request(""), milliseconds(10'000));
  EXPECT_NE(again.result, ExportResult::kSuccess);
  EXPECT_LE(again.attempts, 1);
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
}

TEST(GrpcSenderTest, CancelWakesABackoffWait) {
  RetryPolicy slow;
  slow.initial_backoff = milliseconds(5000);
  slow.max_backoff = milliseconds(5000);
  slow.jitter = 0;
  Fixture f(Signal::kTraces, slow);
  f.server.Script({{grpc::StatusCode::UNAVAILABLE}});
  std::thread canceller([&] {
    ASSERT_TRUE(f.server.WaitForCalls(1, milliseconds(5000)));
    std::this_thread::sleep_for(milliseconds(100));
    f.sender->Cancel();
  });
  auto start = Clock::now();
  SendOutcome out = f.Send(Request(""), milliseconds(10'000));
  canceller.join();
  EXPECT_EQ(out.result, ExportResult::kRetryableFailure);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_LT(Clock::now() - start, milliseconds(2000));
}

TEST(GrpcSenderTest, NobodyListeningIsRetriedUntilTheDeadline) {
  int port;
  {
    ScriptedGrpcServer gone;  // a port that was just free
    port = gone.port();
  }
  std::vector<std::string> diagnostics;
  GrpcSender sender({.url = "http://127.0.0.1:" + std::to_string(port)}, FastRetry(),
                    [&](std::string_view d) { diagnostics.emplace_back(d); });
  auto start = Clock::now();
  SendOutcome out = sender.Send(Request(""), Clock::now() + milliseconds(600));
  auto took = Clock::now() - start;
  EXPECT_TRUE(out.result == ExportResult::kRetryableFailure || out.result == ExportResult::kTimeout)
      << ExportResultName(out.result);
  EXPECT_GE(out.attempts, 2);
  EXPECT_EQ(out.last_error.code(), StatusCode::kUnavailable) << out.last_error.ToString();
  EXPECT_LT(took, milliseconds(1500));
  EXPECT_TRUE(diagnostics.empty());  // retryable: not reported as a rejection
}

TEST(GrpcSenderTest, BadEndpointFailsPermanentlyAndSaysWhy) {
  const std::string urls[] = {"grpc://collector:4317", "http://:4317", "http://h:99999"};
  for (const std::string& url : urls) {
    std::vector<std::string> diagnostics;
    GrpcSender sender({.url = url}, FastRetry(),
                      [&](std::string_view d) { diagnostics.emplace_back(d); });
    EXPECT_EQ(sender.target(), "");
    for (int i = 0; i < 2; ++i) {
      SendOutcome out = sender.Send(Request(""), Clock::now() + milliseconds(1000));
      EXPECT_EQ(out.result, ExportResult::kPermanentFailure) << url;
      EXPECT_EQ(out.attempts, 0);
      EXPECT_EQ(out.last_error.code(), StatusCode::kInvalidArgument) << url;
    }
    EXPECT_EQ(diagnostics.size(), 1u) << url;
  }
}

TEST(GrpcSenderTest, UnreadableCaFileFailsPermanently) {
  GrpcSender sender({.url = "https://127.0.0.1:1", .ca_file = "/nonexistent/ca.pem"}, FastRetry(),
                    [](std::string_view) {});
  SendOutcome out = sender.Send(Request(""), Clock::now() + milliseconds(1000));
  EXPECT_EQ(out.result, ExportResult::kPermanentFailure);
  EXPECT_NE(out.last_error.message().find("/nonexistent/ca.pem"), std::string_view::npos);
}

}  // namespace
}  // namespace quartet::exporter

#include "sdk/export/grpc/grpc_endpoint.h"

#include <gtest/gtest.h>

#include <map>

#include "wire/otlp/response.h"
#include "wire/protobuf/writer.h"

namespace quartet::exporter {
namespace {

using std::chrono::milliseconds;

EnvLookup FakeEnv(std::map<std::string, std::string> vars) {
  return [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

TEST(GrpcEndpointTest, ResolvesUrlPerOtelSpec) {
  struct Case {
    std::optional<std::string> code;
    std::map<std::string, std::string> env;
    Signal signal;
    std::string want;
  };
  const Case cases[] = {
      {std::nullopt, {}, Signal::kTraces, "http://localhost:4317"},
      {std::nullopt,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"}},
       Signal::kLogs,
       "http://c:4317"},  // no /v1/logs appended for gRPC
      {std::nullopt,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
        {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://m:9000"}},
       Signal::kMetrics,
       "https://m:9000"},
      {std::nullopt,
       {{"OTEL_EXPORTER_OTLP_ENDPOINT", "http://c:4317"},
        {"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT", "https://m:9000"}},
       Signal::kTraces,
       "http://c:4317"},
      {std::nullopt,
       {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "  "}},
       Signal::kTraces,
       "http://localhost:4317"},  // blank = unset
      {"http://code:1",
       {{"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "http://env:2"}},
       Signal::kTraces,
       "http://code:1"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ResolveOtlpGrpcUrl(c.signal, c.code, FakeEnv(c.env)), c.want) << c.want;
  }
}

TEST(GrpcEndpointTest, ParsesTargets) {
  struct Case {
    std::string url;
    std::string target;  // "" = error
    bool tls;
  };
  const Case cases[] = {
      {"http://localhost:4317", "localhost:4317", false},
      {"https://otel.example.com", "otel.example.com:443", true},
      {"http://collector", "collector:80", false},
      {"http://127.0.0.1:4317/v1/traces", "127.0.0.1:4317", false},  // path ignored
      {"http://[::1]:4317", "[::1]:4317", false},
      {"https://[2001:db8::1]", "[2001:db8::1]:443", true},
      {"http://h:4317?x=1", "h:4317", false},
      {"grpc://h:4317", "", false},
      {"localhost:4317", "", false},
      {"http://:4317", "", false},
      {"http://h:0", "", false},
      {"http://h:65536", "", false},
      {"http://h:12ab", "", false},
      {"http://[::1", "", false},
      {"http://[::1]x", "", false},
      {"http://user:pw@h:4317", "", false},
  };
  for (const Case& c : cases) {
    Result<GrpcTarget> got = ParseGrpcEndpoint(c.url);
    if (c.target.empty()) {
      EXPECT_FALSE(got.ok()) << c.url;
      if (!got.ok()) {
        EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument);
      }
      continue;
    }
    ASSERT_TRUE(got.ok()) << c.url << ": " << got.status().ToString();
    EXPECT_EQ(got->target, c.target) << c.url;
    EXPECT_EQ(got->tls, c.tls) << c.url;
  }
}

std::string RetryInfoDetails(int code, int64_t seconds, int32_t nanos) {
  protobuf::Writer duration;
  if (seconds != 0) duration.Int64(1, seconds);
  if (nanos != 0) duration.Int32(2, nanos);
  protobuf::Writer info;
  info.Message(1, duration.Release());
  otlp::RpcStatus status;
  status.code = code;
  status.message = "slow down";
  status.details.push_back({"type.googleapis.com/google.rpc.DebugInfo", "junk"});
  status.details.push_back({"type.googleapis.com/google.rpc.RetryInfo", info.Release()});
  return otlp::EncodeRpcStatus(status);
}

TEST(GrpcEndpointTest, ClassifiesStatusesPerOtlpSpec) {
  const std::string retry_info = RetryInfoDetails(8, 2, 500'000'000);
  struct Case {
    int code;
    std::string details;
    GrpcRetryDecision want;
  };
  const Case cases[] = {
      {1, "", {true, std::nullopt}},   // CANCELLED
      {2, "", {false, std::nullopt}},  // UNKNOWN
      {3, "", {false, std::nullopt}},  // INVALID_ARGUMENT
      {4, "", {true, std::nullopt}},   // DEADLINE_EXCEEDED
      {5, "", {false, std::nullopt}},  // NOT_FOUND
      {7, "", {false, std::nullopt}},  // PERMISSION_DENIED
      {8, "", {false, std::nullopt}},  // RESOURCE_EXHAUSTED without RetryInfo
      {8, retry_info, {true, milliseconds(2500)}},
      {8, "\xff\xff", {false, std::nullopt}},  // malformed details = none
      {9, "", {false, std::nullopt}},          // FAILED_PRECONDITION
      {10, "", {true, std::nullopt}},          // ABORTED
      {11, "", {true, std::nullopt}},          // OUT_OF_RANGE
      {12, "", {false, std::nullopt}},         // UNIMPLEMENTED
      {13, "", {false, std::nullopt}},         // INTERNAL
      {14, "", {true, std::nullopt}},          // UNAVAILABLE
      {14, RetryInfoDetails(14, 0, 0), {true, milliseconds(0)}},
      {14, RetryInfoDetails(14, 1'000'000'000, 0), {true, milliseconds(86400 * 1000)}},  // clamped
      {15, "", {true, std::nullopt}},  // DATA_LOSS
      {16, "", {false, std::nullopt}},
      {99, "", {false, std::nullopt}},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ClassifyGrpcStatus(c.code, c.details), c.want) << otlp::GrpcCodeName(c.code);
  }
}

TEST(GrpcEndpointTest, NamesCodesAndMapsFailures) {
  EXPECT_EQ(otlp::GrpcCodeName(14), "UNAVAILABLE");
  EXPECT_EQ(otlp::GrpcCodeName(16), "UNAUTHENTICATED");
  EXPECT_EQ(otlp::GrpcCodeName(42), "CODE_42");
  Status s = GrpcFailure(3, "bad span");
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "gRPC INVALID_ARGUMENT: bad span");
  EXPECT_EQ(GrpcFailure(14, "").code(), StatusCode::kUnavailable);
  EXPECT_EQ(GrpcFailure(4, "").code(), StatusCode::kDeadlineExceeded);
  EXPECT_EQ(GrpcFailure(16, "").code(), StatusCode::kFailedPrecondition);
}

TEST(GrpcEndpointTest, MethodPerSignal) {
  EXPECT_EQ(GrpcExportMethod(Signal::kTraces),
            "/opentelemetry.proto.collector.trace.v1.TraceService/Export");
  EXPECT_EQ(GrpcExportMethod(Signal::kLogs),
            "/opentelemetry.proto.collector.logs.v1.LogsService/Export");
  EXPECT_EQ(GrpcExportMethod(Signal::kMetrics),
            "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export");
}

}  // namespace
}  // namespace quartet::exporter

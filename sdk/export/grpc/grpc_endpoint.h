// Where and how the OTLP/gRPC exporter connects, and how it reads a gRPC
// status: pure functions with no gRPC types, so they are tested without a
// channel.
//   - ResolveOtlpGrpcUrl: the OpenTelemetry rules for the grpc protocol — the
//     endpoint is a base URL used as is (no /v1/<signal> path), per-signal
//     OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT wins, default http://localhost:4317.
//   - ParseGrpcEndpoint: "http[s]://host[:port][/path]" -> channel target
//     "host:port" and whether to use TLS (https). gRPC has no use for a path;
//     it is ignored, as other OpenTelemetry SDKs do.
//   - ClassifyGrpcStatus: the OTLP spec's retry rules for gRPC status codes,
//     including google.rpc.RetryInfo in the status details.
//
// Thread-safety: pure functions; the EnvLookup must be callable from the
// calling thread.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "base/status.h"
#include "sdk/export/otlp_endpoint.h"

namespace quartet::exporter {

inline constexpr std::string_view kDefaultOtlpGrpcEndpoint = "http://localhost:4317";

// The full method name of the signal's Export RPC, e.g.
// "/opentelemetry.proto.collector.trace.v1.TraceService/Export".
std::string_view GrpcExportMethod(Signal signal);

// The endpoint URL for `signal` over gRPC: `code_endpoint` (Config::otlp_endpoint,
// a base URL) when set, else OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT, else
// OTEL_EXPORTER_OTLP_ENDPOINT, else kDefaultOtlpGrpcEndpoint. Empty
// variables count as unset.
std::string ResolveOtlpGrpcUrl(Signal signal, const std::optional<std::string>& code_endpoint,
                               const EnvLookup& env);

struct GrpcTarget {
  std::string target;  // "host:port" or "[v6]:port", as grpc::CreateChannel takes it
  bool tls = false;
  friend bool operator==(const GrpcTarget&, const GrpcTarget&) = default;
};

// kInvalidArgument names what is wrong: not http/https, no host, bad port.
// Without a port, 80 (http) or 443 (https), as for any URL.
Result<GrpcTarget> ParseGrpcEndpoint(std::string_view url);

// What to do after a failed attempt.
struct GrpcRetryDecision {
  bool retryable = false;
  // The server's google.rpc.RetryInfo.retry_delay, when it sent one.
  std::optional<std::chrono::milliseconds> server_delay;
  friend bool operator==(const GrpcRetryDecision&, const GrpcRetryDecision&) = default;
};

// `code` is a gRPC status code (grpc::StatusCode values), `details` the
// serialized google.rpc.Status of grpc-status-details-bin ("" when absent).
// Retryable: CANCELLED, DEADLINE_EXCEEDED, ABORTED, OUT_OF_RANGE, UNAVAILABLE,
// DATA_LOSS, and RESOURCE_EXHAUSTED only with RetryInfo (the server says
// when it will have room); everything else is permanent. Malformed details
// are treated as absent.
GrpcRetryDecision ClassifyGrpcStatus(int code, std::string_view details);

// The Status an attempt's failure is reported as (SendOutcome::last_error):
// "gRPC UNAVAILABLE: <message>", with the closest StatusCode.
Status GrpcFailure(int code, std::string_view message);

}  // namespace quartet::exporter

// OTLP export responses and errors: Export{Trace,Logs,Metrics}ServiceResponse
// with partial_success, and google.rpc.Status (the body of an OTLP/HTTP
// error and the payload of gRPC error details). The three response messages
// share one shape (partial_success = 1 {rejected_<items> = 1 int64,
// error_message = 2}), so one type serves all of them. A server sets
// partial_success only when it rejected something or has a warning; an
// exporter reads `rejected` to count drops. Pure values and functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::otlp {

struct ExportPartialSuccess {
  int64_t rejected = 0;  // rejected_spans / rejected_log_records / rejected_data_points
  std::string error_message;
  friend bool operator==(const ExportPartialSuccess&, const ExportPartialSuccess&) = default;
};

struct ExportResponse {
  std::optional<ExportPartialSuccess> partial_success;
  friend bool operator==(const ExportResponse&, const ExportResponse&) = default;
};
using ExportTraceServiceResponse = ExportResponse;
using ExportLogsServiceResponse = ExportResponse;
using ExportMetricsServiceResponse = ExportResponse;

// An empty response encodes to zero bytes (a valid "full success").
std::string EncodeExportResponse(const ExportResponse& response);
Result<ExportResponse> DecodeExportResponse(std::string_view protobuf);

// google.protobuf.Any, kept opaque.
struct RpcAny {
  std::string type_url;
  std::string value;
  friend bool operator==(const RpcAny&, const RpcAny&) = default;
};

// google.rpc.Status: code is a gRPC code (3 INVALID_ARGUMENT, 8
// RESOURCE_EXHAUSTED, 14 UNAVAILABLE, ...).
struct RpcStatus {
  int32_t code = 0;
  std::string message;
  std::vector<RpcAny> details;
  friend bool operator==(const RpcStatus&, const RpcStatus&) = default;
};

// "UNAVAILABLE" for 14, ...; "CODE_<n>" for codes gRPC does not define.
std::string GrpcCodeName(int code);

std::string EncodeRpcStatus(const RpcStatus& status);
Result<RpcStatus> DecodeRpcStatus(std::string_view protobuf);

}  // namespace quartet::otlp

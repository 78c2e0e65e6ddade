#include "sdk/export/grpc/grpc_endpoint.h"

#include <algorithm>
#include <charconv>

#include "base/strings.h"
#include "wire/otlp/response.h"
#include "wire/protobuf/reader.h"

namespace quartet::exporter {
namespace {

// gRPC status codes (grpc/status.h); spelled here so this file needs no gRPC.
enum GrpcCode : int {
  kCancelled = 1,
  kUnknown = 2,
  kInvalidArgument = 3,
  kDeadlineExceeded = 4,
  kNotFound = 5,
  kAlreadyExists = 6,
  kPermissionDenied = 7,
  kResourceExhausted = 8,
  kFailedPrecondition = 9,
  kAborted = 10,
  kOutOfRange = 11,
  kUnimplemented = 12,
  kInternal = 13,
  kUnavailable = 14,
  kDataLoss = 15,
  kUnauthenticated = 16,
};

std::string_view SignalUpper(Signal s) {
  switch (s) {
    case Signal::kTraces:
      return "TRACES";
    case Signal::kLogs:
      return "LOGS";
    case Signal::kMetrics:
      return "METRICS";
    case Signal::kProfiles:
      return "PROFILES";
  }
  return "TRACES";
}

std::optional<std::string> NonEmpty(const EnvLookup& env, const std::string& name) {
  std::optional<std::string> v = env(name);
  if (!v) return std::nullopt;
  std::string_view trimmed = TrimSpace(*v);
  if (trimmed.empty()) return std::nullopt;
  return std::string(trimmed);
}

// google.protobuf.Duration {int64 seconds = 1; int32 nanos = 2}.
std::optional<std::chrono::milliseconds> DecodeDuration(std::string_view bytes) {
  protobuf::Reader r(bytes);
  protobuf::Field f;
  int64_t seconds = 0, nanos = 0;
  while (r.Next(&f)) {
    if (f.number == 1) {
      Result<int64_t> v = f.Int64();
      if (!v.ok()) return std::nullopt;
      seconds = *v;
    } else if (f.number == 2) {
      Result<int32_t> v = f.Int32();
      if (!v.ok()) return std::nullopt;
      nanos = *v;
    }
  }
  if (!r.status().ok()) return std::nullopt;
  // A day is far beyond any export deadline; clamping keeps the arithmetic safe.
  constexpr int64_t kMaxSeconds = 86400;
  seconds = std::clamp<int64_t>(seconds, 0, kMaxSeconds);
  nanos = std::clamp<int64_t>(nanos, 0, 999'999'999);
  return std::chrono::milliseconds(seconds * 1000 + nanos / 1'000'000);
}

// The retry_delay of the first google.rpc.RetryInfo among the details.
std::optional<std::chrono::milliseconds> FindRetryDelay(std::string_view details) {
  if (details.empty()) return std::nullopt;
  Result<otlp::RpcStatus> status = otlp::DecodeRpcStatus(details);
  if (!status.ok()) return std::nullopt;
  for (const otlp::RpcAny& any : status->details) {
    if (!any.type_url.ends_with("/google.rpc.RetryInfo")) continue;
    // RetryInfo {google.protobuf.Duration retry_delay = 1}; absent = zero.
    protobuf::Reader r(any.value);
    protobuf::Field f;
    std::optional<std::chrono::milliseconds> delay = std::chrono::milliseconds(0);
    while (r.Next(&f)) {
      if (f.number != 1) continue;
      Result<std::string_view> bytes = f.Bytes();
      if (!bytes.ok()) return std::nullopt;
      delay = DecodeDuration(*bytes);
    }
    if (!r.status().ok()) return std::nullopt;
    return delay;
  }
  return std::nullopt;
}

}  // namespace

std::string_view GrpcExportMethod(Signal signal) {
  switch (signal) {
    case Signal::kTraces:
      return "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
    case Signal::kLogs:
      return "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
    case Signal::kMetrics:
      return "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";
    case Signal::kProfiles:
      return "/opentelemetry.proto.collector.profiles.v1development.ProfilesService/Export";
  }
  return "";
}

std::string ResolveOtlpGrpcUrl(Signal signal, const std::optional<std::string>& code_endpoint,
                               const EnvLookup& env) {
  if (code_endpoint && !TrimSpace(*code_endpoint).empty()) {
    return std::string(TrimSpace(*code_endpoint));
  }
  if (auto v =
          NonEmpty(env, "OTEL_EXPORTER_OTLP_" + std::string(SignalUpper(signal)) + "_ENDPOINT"))
    return *v;
  if (auto v = NonEmpty(env, "OTEL_EXPORTER_OTLP_ENDPOINT")) return *v;
  return std::string(kDefaultOtlpGrpcEndpoint);
}

Result<GrpcTarget> ParseGrpcEndpoint(std::string_view url) {
  GrpcTarget out;
  std::string_view rest;
  int default_port = 0;
  if (url.starts_with("http://")) {
    rest = url.substr(7);
    default_port = 80;
  } else if (url.starts_with("https://")) {
    rest = url.substr(8);
    out.tls = true;
    default_port = 443;
  } else {
    return Status::InvalidArgument("OTLP/gRPC endpoint '" + std::string(url) +
                                   "' is not an http:// or https:// URL");
  }
  std::string_view authority = rest.substr(0, rest.find_first_of("/?#"));
  if (authority.find('@') != std::string_view::npos) {
    return Status::InvalidArgument("OTLP/gRPC endpoint '" + std::string(url) +
                                   "': user info is not supported; use headers");
  }
  std::string_view host, port;
  if (authority.starts_with('[')) {
    size_t close = authority.find(']');
    if (close == std::string_view::npos) {
      return Status::InvalidArgument("OTLP/gRPC endpoint '" + std::string(url) +
                                     "': unterminated IPv6 address");
    }
    host = authority.substr(0, close + 1);
    std::string_view after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') {
        return Status::InvalidArgument("OTLP/gRPC endpoint '" + std::string(url) +
                                       "': junk after the IPv6 address");
      }
      port = after.substr(1);
    }
  } else {
    size_t colon = authority.rfind(':');
    host = authority.substr(0, colon);
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
  }
  if (host.empty() || host == "[]") {
    return Status::InvalidArgument("OTLP/gRPC endpoint '" + std::string(url) + "' has no host");
  }
  int port_number = default_port;
  if (!port.empty()) {
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), port_number);
    if (ec != std::errc() || end != port.data() + port.size() || port_number < 1 ||
        port_number > 65535) {
      return Status::InvalidArgument("OTLP/gRPC endpoint '" + std::string(url) + "': bad port '" +
                                     std::string(port) + "'");
    }
  }
  out.target = std::string(host) + ":" + std::to_string(port_number);
  return out;
}

GrpcRetryDecision ClassifyGrpcStatus(int code, std::string_view details) {
  GrpcRetryDecision d;
  std::optional<std::chrono::milliseconds> delay = FindRetryDelay(details);
  switch (code) {
    case kCancelled:
    case kDeadlineExceeded:
    case kAborted:
    case kOutOfRange:
    case kUnavailable:
    case kDataLoss:
      d.retryable = true;
      d.server_delay = delay;
      break;
    case kResourceExhausted:
      // Without RetryInfo the server says the request itself is too much
      // (e.g. too large); sending it again cannot help.
      d.retryable = delay.has_value();
      d.server_delay = delay;
      break;
    default:
      break;
  }
  return d;
}

Status GrpcFailure(int code, std::string_view message) {
  StatusCode mapped = StatusCode::kInternal;
  switch (code) {
    case kInvalidArgument:
    case kUnimplemented:
      mapped = StatusCode::kInvalidArgument;
      break;
    case kNotFound:
      mapped = StatusCode::kNotFound;
      break;
    case kOutOfRange:
      mapped = StatusCode::kOutOfRange;
      break;
    case kResourceExhausted:
      mapped = StatusCode::kResourceExhausted;
      break;
    case kCancelled:
    case kAborted:
    case kUnavailable:
      mapped = StatusCode::kUnavailable;
      break;
    case kDeadlineExceeded:
      mapped = StatusCode::kDeadlineExceeded;
      break;
    case kDataLoss:
      mapped = StatusCode::kDataLoss;
      break;
    case kPermissionDenied:
    case kUnauthenticated:
    case kFailedPrecondition:
    case kAlreadyExists:
      mapped = StatusCode::kFailedPrecondition;
      break;
    default:
      break;
  }
  std::string text = "gRPC " + otlp::GrpcCodeName(code);
  if (!message.empty()) {
    text += ": ";
    text.append(message.substr(0, 300));
  }
  return Status(mapped, std::move(text));
}

}  // namespace quartet::exporter

// Resolves where and how an OTLP/HTTP exporter sends, following the
// OpenTelemetry "OTLP Exporter Configuration" spec:
//   OTEL_EXPORTER_OTLP_ENDPOINT          base URL; /v1/<signal> is appended
//   OTEL_EXPORTER_OTLP_<SIGNAL>_ENDPOINT used as-is (wins over the base)
//   OTEL_EXPORTER_OTLP[_<SIGNAL>]_HEADERS      "k=v,k2=v2", percent-decoded
//   OTEL_EXPORTER_OTLP[_<SIGNAL>]_COMPRESSION  "gzip" | "none"
//   OTEL_EXPORTER_OTLP[_<SIGNAL>]_TIMEOUT      milliseconds
//   OTEL_EXPORTER_OTLP[_<SIGNAL>]_CERTIFICATE  CA bundle path for https
// Values set in code (Overrides) win over the environment; per-signal
// variables win over generic ones (for headers: per key, the generic list is
// the base). Invalid values are ignored with a warning, never fatal: a typo in
// an environment variable must not stop the service.
//
// Thread-safety: a pure function; the EnvLookup must be safe to call from the
// calling thread.
#pragma once

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/export/http_client.h"

namespace quartet::exporter {

// kProfiles follows the still-unstable OTLP profiles signal
// (/v1development/profiles, OTEL_EXPORTER_OTLP_PROFILES_*).
enum class Signal { kTraces, kLogs, kMetrics, kProfiles };

inline constexpr std::string_view kDefaultOtlpHttpEndpoint = "http://localhost:4318";
inline constexpr std::chrono::milliseconds kDefaultOtlpTimeout{10000};

// Configuration given in code; unset fields fall back to the environment.
struct OtlpOverrides {
  std::optional<std::string> endpoint;  // the full per-signal URL, used as-is
  std::optional<Headers> headers;       // merged over the environment's, per key
  std::optional<bool> gzip;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<std::string> ca_file;
};

struct OtlpEndpointConfig {
  std::string url;
  Headers headers;
  bool gzip = false;
  std::chrono::milliseconds timeout = kDefaultOtlpTimeout;
  std::string ca_file;
  std::vector<std::string> warnings;  // one line per ignored setting
};

// Returns the value of an environment variable, nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(std::string_view name)>;

OtlpEndpointConfig ResolveOtlpEndpoint(Signal signal, const OtlpOverrides& overrides,
                                       const EnvLookup& env);

// An EnvLookup reading the process environment (getenv).
EnvLookup ProcessEnv();

// Parses the W3C-baggage-like header list of OTEL_EXPORTER_OTLP_HEADERS.
// Malformed members are skipped and described in `warnings`.
Headers ParseOtlpHeaders(std::string_view list, std::vector<std::string>* warnings);

}  // namespace quartet::exporter

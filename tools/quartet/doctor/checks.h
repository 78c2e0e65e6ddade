// The checks of `quartet doctor`: the wiring gotchas every team meets with
// four signals (../shared/seed), tested against a running quartetd through its
// standard query APIs (Tempo, Loki, Prometheus, Pyroscope, Grafana
// annotations), so they also say what a user's own dashboards would see.
//
//   service-name      one canonical service name on logs, spans, metrics and
//                     profiles (flags payment-api vs payment_api)
//   trace-links       the share of log lines whose trace_id resolves to a
//                     trace, explained by the lines' `sampled` field
//   exemplars         latency histograms carry exemplars (trace links)
//   version           service.version on spans, profiles and deploy annotations
//   exporter-drops    the SDK's batch exporters dropped nothing
//   clock-skew        log lines fall inside their trace's time span
//
// Each finding says what is wrong, the evidence, and the fix. A check whose
// API is absent says so (status "skipped") rather than passing silently.
//
// Thread-safety: plain functions over an Api; no shared state.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace quartet::doctor {

// One GET against the server: the status code (0 when unreachable) and body.
struct ApiResponse {
  int status = 0;
  std::string body;
};
using Api = std::function<ApiResponse(const std::string& path_and_query)>;

enum class Severity { kOk, kSkipped, kWarning, kProblem };
const char* SeverityName(Severity s);

struct Finding {
  std::string check;  // "service-name", ...
  Severity severity = Severity::kOk;
  std::string summary;              // one line
  std::vector<std::string> detail;  // the evidence, one line each
  std::string fix;                  // empty when nothing to fix
};

struct Window {
  int64_t from_s = 0;
  int64_t to_s = 0;
};

// Runs every check over the window; `service` limits the per-service checks
// to one service (empty: every service found).
std::vector<Finding> RunChecks(const Api& api, const Window& window, const std::string& service);

// The canonical form names are compared by: lower case, '-', '_', '.' and
// ' ' removed ("Payment-API" and "payment_api" are the same service).
std::string CanonicalServiceName(std::string_view name);

}  // namespace quartet::doctor

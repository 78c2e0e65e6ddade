// IncidentApi: the incident report over HTTP.
//   GET /api/v1/incident?service=S&from=T&to=T[&baseline_from=T&baseline_to=T]
//                       [&alert=NAME]
// answers the report object of docs/incident.md (not wrapped in a
// {"status","data"} envelope: it is one document, as `quartet incident
// --format json` prints it). T is unix seconds (decimals allowed), unix
// nanoseconds, RFC 3339, "now" or "now-<Go duration>" (now-15m). to defaults
// to now, from to to-15m. With alert=NAME, the alert's service label (unless
// service= is given) and activation time (activeAt: when it became pending)
// come from its ALERTS_FOR_STATE series in the metric store, and the window
// is IncidentEngine::AlertWindowStart(service, activeAt) .. now unless from=
// is given; the default baseline is bounded by the service's data (see
// docs/incident.md, "The window"). Errors are Prometheus-style JSON: 400
// bad_data naming the parameter, 404 for an unknown alert, 503 with
// Retry-After when two reports are already running (each scans the windows).
//
// Thread-safety: handlers may run concurrently.
#pragma once

#include <atomic>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/incident/engine.h"
#include "server/store/interface.h"

namespace quartet::api {

class IncidentApi {
 public:
  // `engine` outlives this; `metrics` (for alert lookup) may be null.
  IncidentApi(const incident::IncidentEngine* engine, store::MetricStore* metrics);

  void Register(server::Router* router);
  server::HttpResponse Report(const server::HttpRequest& request);

 private:
  const incident::IncidentEngine* engine_;
  store::MetricStore* metrics_;
  std::atomic<int> running_{0};
};

// A time parameter as the endpoint reads it (see above), given `now_ns`.
Result<int64_t> ParseIncidentTime(std::string_view text, int64_t now_ns);

}  // namespace quartet::api

// `quartet incident`: asks quartetd for the incident report of a service and
// window (or of a firing alert) and prints it as text or JSON.
//
//   quartet incident --server URL (--alert NAME | --service NAME --from T --to T)
//                    [--baseline-from T --baseline-to T] [--format text|json]
//
// T: unix seconds, RFC 3339 or now-15m (time_spec.h). With --alert the
// alert's service label and activeAt come from GET /api/v1/alerts on the
// same server (window: activeAt - 15m .. now unless --from/--to are given);
// when that API is absent quartetd looks the alert up itself (ALERTS
// series). Exit status: 0 report printed, 1 server or network error, 2 bad
// flags. Not thread-safe (runs once, in main).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "wire/json/json_value.h"

namespace quartet::cli {

int RunIncidentCommand(const std::vector<std::string>& args);

// The alert named `name` in a GET /api/v1/alerts answer: its service label
// (service, service_name or job) and activeAt in unix ns. NotFound when no
// alert has that name; firing alerts win over pending ones.
struct AlertRef {
  std::string service;
  int64_t active_ns = 0;
};
Result<AlertRef> FindAlertIn(const json::Value& alerts_response, const std::string& name);

}  // namespace quartet::cli

// `quartet incident`: asks quartetd for the incident report of a service and
// window (or of a firing alert) and prints it as text or JSON.
//
//   quartet incident --server URL (--alert NAME | --service NAME --from T --to T)
//                    [--baseline-from T --baseline-to T] [--format text|json]
//
// T: unix seconds, RFC 3339 or now-15m (time_spec.h). With --alert, quartetd
// finds the alert (its service label and activeAt) and decides the window
// (GET /api/v1/incident?alert=NAME: from a lead-in before activeAt to now,
// the baseline bounded by the service's data; docs/incident.md); --service,
// --from and --to override its parts. Exit status: 0 report printed, 1
// server or network error (an unknown alert: 404), 2 bad flags. Not
// thread-safe (runs once, in main).
#pragma once

#include <string>
#include <vector>

#include "base/status.h"
#include "wire/json/json_value.h"

namespace httplib {
class Client;
}

namespace quartet::cli {

int RunIncidentCommand(const std::vector<std::string>& args);

// The report quartetd answers to GET `path` (/api/v1/incident?...): its
// body as sent and parsed. Errors name the request (`base` + path) and the
// transport error, or the HTTP status and quartetd's own message, made
// terminal-safe. Shared by `quartet incident` and `quartet demo`.
struct FetchedReport {
  std::string body;
  json::Value doc;
};
Result<FetchedReport> FetchIncidentReport(httplib::Client& client, const std::string& base,
                                          const std::string& path);

}  // namespace quartet::cli

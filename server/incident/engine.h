// IncidentEngine: answers the four incident questions (is it broken, who is
// affected, where did it break, why) for one service and time window, from
// the stores' data and its own timestamps, and returns a Report (report.h).
//
// Traces are required and enough; logs, metrics, deploy annotations, profiles
// and alerts add evidence when their source is given (each is optional: a
// null store or empty function means "not available", so the engine works
// before those stores exist and over any backend that offers the calls).
// docs/incident.md describes the method and its thresholds.
//
//   incident::IncidentEngine engine({.traces = traces, .logs = logs});
//   Result<incident::Report> r = engine.Analyze({.service = "checkout",
//                                                .from_ns = from, .to_ns = to});
//
// Thread-safety: Analyze may be called concurrently (it keeps no state
// between calls; the stores are thread-safe).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/incident/report.h"
#include "server/store/interface.h"

namespace quartet::incident {

// A deploy or migration marker (Grafana's annotation model).
struct Annotation {
  int64_t id = 0;
  int64_t time_ns = 0;
  std::string text;
  std::vector<std::string> tags;  // "deploy", "service=checkout", "version=1.4.2", ...
};
// Annotations of `service` (or of no particular service) in `range`.
using AnnotationSource =
    std::function<Result<std::vector<Annotation>>(std::string_view service, store::TimeRange)>;

// The CPU profile of `service` over `range` as self samples per function
// name (any unit: only shares are compared).
using ProfileSource = std::function<Result<std::vector<std::pair<std::string, double>>>(
    std::string_view service, store::TimeRange)>;

struct Sources {
  store::TraceStore* traces = nullptr;  // required
  store::LogStore* logs = nullptr;
  store::MetricStore* metrics = nullptr;
  AnnotationSource annotations;
  ProfileSource profiles;
};

struct IncidentQuery {
  std::string service;
  int64_t from_ns = 0, to_ns = 0;
  // Default: the equal-length window just before from_ns.
  std::optional<int64_t> baseline_from_ns, baseline_to_ns;
  // The alert that opened the report, if any (listed under "broken").
  std::string alert;
  std::optional<int64_t> alert_active_ns;
  std::string alert_state;  // "pending", "firing", "resolved"; "" when unknown
};

struct EngineOptions {
  // Requests whose spans are examined in detail (attributes, critical path,
  // logs), per group: slow or failed in the incident, normal in the
  // incident, baseline. Uniform samples; the counts and percentiles use
  // every request.
  size_t sample_per_group = 1500;
  // Of those, how many per group also have their log lines read.
  size_t log_traces_per_group = 100;
  // Every request of a window is counted from the store's correlation index
  // (SearchSummaries); traces whose index entry cannot tell the request
  // (the service is not the root, or a span failed) are read whole, at most
  // this many per window: above it every request is kept with the same
  // probability (an unbiased sample; reading a trace costs ~0.3 ms).
  size_t max_fetched_per_window = 20000;
  // Requests read per window at most, evenly over time (merging a trace's
  // summary costs a lookup in each store source: this bounds a report's
  // time; SearchSummaries' id order makes each slice a uniform sample).
  size_t max_requests_per_window = 60000;
  // Longest window accepted (each window is scanned once).
  int64_t max_window_ns = int64_t{7} * 24 * 3600 * 1000000000;
};

class IncidentEngine {
 public:
  explicit IncidentEngine(Sources sources, EngineOptions options = {});

  // InvalidArgument for an empty service or a bad window; store errors pass
  // through.
  Result<Report> Analyze(const IncidentQuery& query) const;

  // The start of the window of a report opened from an alert of `service`
  // that became active (pending) at `active_ns`; the window runs to now.
  // The onset precedes activeAt (the alert's expression lags the data), so
  // the window starts a lead-in before it: kAlertLeadInNs, or half the
  // service's data before activeAt when that is shorter, so that part of
  // the data stays before the window as the baseline (which Analyze bounds
  // by the data that exists). Store errors pass through.
  static constexpr int64_t kAlertLeadInNs = int64_t{5} * 60 * 1000000000;
  Result<int64_t> AlertWindowStart(const std::string& service, int64_t active_ns) const;

 private:
  Sources sources_;
  EngineOptions options_;
};

}  // namespace quartet::incident

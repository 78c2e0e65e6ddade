// Internal to server/incident: the intermediate state of one Analyze call
// shared by the broken/onset stage (engine.cc) and the who/where/why stages
// (findings.cc, causes.cc). Not thread-safe; one per call.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/incident/engine.h"
#include "server/incident/report.h"
#include "server/incident/trace_facts.h"

namespace quartet::incident::internal {

// One request of the service, compact: every request of both windows is kept.
struct Request {
  int64_t start_ns = 0;
  int64_t duration_ns = 0;
  uint32_t route = 0;    // index into Analysis::routes
  uint32_t version = 0;  // index into Analysis::versions
  bool error = false;
};

// A request examined in detail.
struct Sampled {
  uint32_t route = 0;
  RequestFacts facts;
  RequestDetail detail;
};

struct RouteVerdict {
  bool latency_broken = false;
  bool error_broken = false;
  int64_t slow_ns = INT64_MAX;  // slower than this is "slow" (baseline p99)
};

struct Analysis {
  const IncidentQuery* query = nullptr;
  int64_t baseline_from_ns = 0, baseline_to_ns = 0;
  std::vector<std::string> routes, versions;
  std::vector<Request> baseline, incident;
  std::vector<Sampled> baseline_sample, suspect_sample, normal_sample;
  std::vector<RouteVerdict> verdicts;  // per route
  int64_t onset_ns = 0;
  int64_t bucket_ns = 0;
  double baseline_bad_share = 0;

  // Whether a request counts as "bad" under the verdicts (slow on a route
  // whose latency broke, or failed on a route whose errors broke).
  bool IsBad(uint32_t route, int64_t duration_ns, bool error) const {
    const RouteVerdict& v = verdicts[route];
    return (v.error_broken && error) || (v.latency_broken && duration_ns > v.slow_ns);
  }
  bool AnyBroken() const {
    for (const RouteVerdict& v : verdicts) {
      if (v.latency_broken || v.error_broken) return true;
    }
    return false;
  }
  uint32_t RouteIndex(const std::string& route) const {
    for (uint32_t i = 0; i < routes.size(); ++i) {
      if (routes[i] == route) return i;
    }
    return UINT32_MAX;
  }

  // Filled by SelectGroups: bad requests after the onset; the comparison
  // requests (everything else sampled); the reference for where/why
  // (baseline requests of the broken routes).
  std::vector<const Sampled*> bad, normal, reference;
};

void SelectGroups(Analysis* a);
void FindWho(const Analysis& a, Report* report);
void FindWhere(const Analysis& a, Report* report);
void FindWhy(const Analysis& a, const Sources& sources, Report* report);
std::string Conclusion(const Analysis& a, const Report& report);

// Figures as a person reads them: "812 ms", "4.8%", "2026-11-26T10:04:10Z".
std::string FormatMs(double ns);
std::string FormatPercent(double share);
std::string FormatTime(int64_t ns);
std::string FormatNumber(double v);

// A TraceQL selector of the service's requests on `route` ("" = any).
std::string RequestSelector(const Analysis& a, const std::string& route);

}  // namespace quartet::incident::internal

// The incident report: what `GET /api/v1/incident` returns and `quartet
// incident` prints. Four ranked lists of findings answer the four questions
// (broken, who, where, why); each finding names its signal, its subject, the
// baseline and incident figures and links to the evidence. ReportToJson
// writes the JSON object documented in docs/incident.md (times as unix
// seconds). Plain values; thread-safe as values are.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace quartet::incident {

struct Finding {
  std::string summary;  // one sentence a person reads
  std::string signal;   // e.g. "latency p99", "error rate", "span attribute", "annotation"
  std::vector<std::pair<std::string, std::string>> subject;  // what it is about, in order
  // Figures in `unit`; absent when the finding has no numeric comparison.
  std::optional<double> baseline;
  std::optional<double> incident;
  std::string unit;                // "ms", "ratio", "share", "count", "" ...
  double score = 0;                // ranking within its list, higher first, about 0..1
  std::vector<std::string> links;  // server-relative URLs
};

struct Report {
  std::string service;
  int64_t from_ns = 0, to_ns = 0;                    // the incident window
  int64_t baseline_from_ns = 0, baseline_to_ns = 0;  // what it is compared with
  std::optional<int64_t> onset_ns;                   // when the regression started
  std::vector<Finding> broken, who, where, why;
  // Requests (entry spans of the service) seen in each window; for the
  // conclusion and the reader's trust in the figures.
  int64_t baseline_requests = 0;
  int64_t incident_requests = 0;
  std::string conclusion;  // one paragraph
};

// Keeps the `max` highest-scored findings of each list, best first.
void RankAndTrim(Report* report, size_t max = 10);

// The report as one JSON object (docs/incident.md).
std::string ReportToJson(const Report& report);

}  // namespace quartet::incident

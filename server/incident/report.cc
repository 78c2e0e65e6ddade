#include "server/incident/report.h"

#include <algorithm>
#include <cmath>

#include "wire/json/json_writer.h"

namespace quartet::incident {
namespace {

void AppendSeconds(std::string* out, int64_t ns) {
  // Exact to the millisecond; more would only be noise in a report.
  const int64_t ms = ns / 1000000;
  if (ms % 1000 == 0) {
    json::AppendInt(out, ms / 1000);
  } else {
    json::AppendDouble(out, static_cast<double>(ms) / 1000.0);
  }
}

void AppendNumberOrNull(std::string* out, const std::optional<double>& v) {
  if (!v || !std::isfinite(*v)) {
    out->append("null");
    return;
  }
  // Three significant decimals are what a person compares.
  json::AppendDouble(out, std::round(*v * 1000.0) / 1000.0);
}

void AppendFindings(std::string* out, const char* name, const std::vector<Finding>& findings) {
  out->append(",\"");
  out->append(name);
  out->append("\":[");
  for (size_t i = 0; i < findings.size(); ++i) {
    const Finding& f = findings[i];
    if (i > 0) out->push_back(',');
    out->append("{\"summary\":");
    json::AppendString(out, f.summary);
    out->append(",\"signal\":");
    json::AppendString(out, f.signal);
    out->append(",\"subject\":{");
    for (size_t j = 0; j < f.subject.size(); ++j) {
      if (j > 0) out->push_back(',');
      json::AppendString(out, f.subject[j].first);
      out->push_back(':');
      json::AppendString(out, f.subject[j].second);
    }
    out->append("},\"baseline\":");
    AppendNumberOrNull(out, f.baseline);
    out->append(",\"incident\":");
    AppendNumberOrNull(out, f.incident);
    out->append(",\"unit\":");
    json::AppendString(out, f.unit);
    out->append(",\"score\":");
    AppendNumberOrNull(out, f.score);
    out->append(",\"links\":[");
    for (size_t j = 0; j < f.links.size(); ++j) {
      if (j > 0) out->push_back(',');
      json::AppendString(out, f.links[j]);
    }
    out->append("]}");
  }
  out->push_back(']');
}

void Trim(std::vector<Finding>* findings, size_t max) {
  std::stable_sort(findings->begin(), findings->end(),
                   [](const Finding& a, const Finding& b) { return a.score > b.score; });
  if (findings->size() > max) findings->resize(max);
}

}  // namespace

void RankAndTrim(Report* report, size_t max) {
  Trim(&report->broken, max);
  Trim(&report->who, max);
  Trim(&report->where, max);
  Trim(&report->why, max);
}

std::string ReportToJson(const Report& r) {
  std::string out = "{\"service\":";
  json::AppendString(&out, r.service);
  out.append(",\"window\":{\"from\":");
  AppendSeconds(&out, r.from_ns);
  out.append(",\"to\":");
  AppendSeconds(&out, r.to_ns);
  out.append("},\"baseline\":{\"from\":");
  AppendSeconds(&out, r.baseline_from_ns);
  out.append(",\"to\":");
  AppendSeconds(&out, r.baseline_to_ns);
  out.append("},\"onset\":");
  if (r.onset_ns) {
    AppendSeconds(&out, *r.onset_ns);
  } else {
    out.append("null");
  }
  AppendFindings(&out, "broken", r.broken);
  AppendFindings(&out, "who", r.who);
  AppendFindings(&out, "where", r.where);
  AppendFindings(&out, "why", r.why);
  out.append(",\"requests\":{\"baseline\":");
  json::AppendInt(&out, r.baseline_requests);
  out.append(",\"incident\":");
  json::AppendInt(&out, r.incident_requests);
  out.append("},\"conclusion\":");
  json::AppendString(&out, r.conclusion);
  out.push_back('}');
  return out;
}

}  // namespace quartet::incident

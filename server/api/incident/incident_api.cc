#include "server/api/incident/incident_api.h"

#include <algorithm>
#include <cmath>

#include "base/clock.h"
#include "base/duration.h"
#include "server/api/params.h"
#include "server/incident/report.h"
#include "server/store/label_match.h"

namespace quartet::api {
namespace {

using server::HttpRequest;
using server::HttpResponse;

constexpr int kMaxConcurrentReports = 2;
constexpr int64_t kDefaultWindowNs = int64_t{15} * 60 * 1000000000;
constexpr int64_t kAlertLookbackNs = int64_t{24} * 3600 * 1000000000;

Result<std::optional<int64_t>> OptionalTime(const HttpRequest& r, std::string_view name,
                                            int64_t now_ns) {
  std::optional<std::string> v = r.Param(name);
  if (!v || v->empty()) return std::optional<int64_t>();
  Result<int64_t> t = ParseIncidentTime(*v, now_ns);
  if (!t.ok()) {
    return Status::InvalidArgument("invalid parameter \"" + std::string(name) +
                                   "\": " + std::string(t.status().message()));
  }
  return std::optional<int64_t>(*t);
}

struct AlertWindow {
  std::string service;
  int64_t active_ns = 0;
  std::string state;  // "pending", "firing", "resolved", or "" when unknown
};

// The newest sample of `samples` whose value `real` accepts, or null: a
// resolved alert's series ends with a stale marker (NaN).
const store::Sample* NewestSample(std::span<const store::Sample> samples, bool (*real)(double)) {
  for (size_t i = samples.size(); i > 0; --i) {
    if (real(samples[i - 1].v)) return &samples[i - 1];
  }
  return nullptr;
}

// The alertstate label of the ALERTS series of alert `name` sampled last
// (Prometheus's convention: value 1 while pending or firing), or "".
Result<std::string> LatestAlertState(store::MetricStore* metrics, const std::string& name,
                                     int64_t now_ns) {
  std::string state;
  int64_t last_ms = -1;
  const std::vector<store::LabelMatch> m = {{"__name__", store::LabelMatch::Op::kEq, "ALERTS"},
                                            {"alertname", store::LabelMatch::Op::kEq, name}};
  RETURN_IF_ERROR(
      metrics->Select(m, (now_ns - kAlertLookbackNs) / 1000000, now_ns / 1000000,
                      [&](const store::Labels& series, std::span<const store::Sample> samples) {
                        const store::Sample* last =
                            NewestSample(samples, [](double v) { return std::isfinite(v); });
                        if (last != nullptr && last->t_ms > last_ms) {
                          last_ms = last->t_ms;
                          state = store::LabelValue(series, "alertstate");
                        }
                        return true;
                      }));
  return state;
}

// The latest activation of alert `name`: its ALERTS_FOR_STATE series
// (Prometheus's convention, written by the rule manager for pending and
// firing alerts alike) has the alert's labels and, as value, its activeAt
// in unix seconds. Of several series (label sets), the one sampled last.
Result<AlertWindow> FindAlert(store::MetricStore* metrics, const std::string& name,
                              int64_t now_ns) {
  if (metrics == nullptr) return Status::NotFound("no metric store to find alert " + name);
  AlertWindow best;
  int64_t best_last_ms = -1;
  bool resolved = false;
  const std::vector<store::LabelMatch> m = {
      {"__name__", store::LabelMatch::Op::kEq, "ALERTS_FOR_STATE"},
      {"alertname", store::LabelMatch::Op::kEq, name}};
  RETURN_IF_ERROR(metrics->Select(
      m, (now_ns - kAlertLookbackNs) / 1000000, now_ns / 1000000,
      [&](const store::Labels& series, std::span<const store::Sample> samples) {
        const store::Sample* last =
            NewestSample(samples, [](double v) { return std::isfinite(v) && v > 0; });
        if (last == nullptr || last->t_ms <= best_last_ms) return true;
        resolved = last != &samples.back();
        const double active_s = last->v;
        std::string service;
        for (const char* key : {"service", "service_name", "job"}) {
          if (service.empty()) service = store::LabelValue(series, key);
        }
        best = {service, static_cast<int64_t>(active_s) * 1000000000};
        best_last_ms = last->t_ms;
        return true;
      }));
  if (best_last_ms < 0)
    return Status::NotFound("alert " + name + " was not active in the last 24h");
  if (best.service.empty()) {
    return Status::NotFound("alert " + name +
                            " has no service, service_name or job label: pass service=");
  }
  if (resolved) {
    best.state = "resolved";
  } else {
    ASSIGN_OR_RETURN(best.state, LatestAlertState(metrics, name, now_ns));
  }
  return best;
}

}  // namespace

Result<int64_t> ParseIncidentTime(std::string_view text, int64_t now_ns) {
  if (text == "now") return now_ns;
  if (text.rfind("now-", 0) == 0) {
    Result<int64_t> d = ParseDuration(text.substr(4));
    if (!d.ok()) return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\"");
    return now_ns - *d;
  }
  return ParseTime(text);
}

IncidentApi::IncidentApi(const incident::IncidentEngine* engine, store::MetricStore* metrics)
    : engine_(engine), metrics_(metrics) {}

void IncidentApi::Register(server::Router* router) {
  router->Handle("GET", "/api/v1/incident", [this](const HttpRequest& r) { return Report(r); });
}

HttpResponse IncidentApi::Report(const HttpRequest& request) {
  const int64_t now = UnixNanos();
  incident::IncidentQuery q;
  q.service = request.Param("service").value_or("");
  q.alert = request.Param("alert").value_or("");
  Result<std::optional<int64_t>> from = OptionalTime(request, "from", now);
  Result<std::optional<int64_t>> to = OptionalTime(request, "to", now);
  Result<std::optional<int64_t>> bfrom = OptionalTime(request, "baseline_from", now);
  Result<std::optional<int64_t>> bto = OptionalTime(request, "baseline_to", now);
  for (const auto* r : {&from, &to, &bfrom, &bto}) {
    if (!r->ok()) return ApiError(400, "bad_data", r->status().message());
  }
  if (q.service.empty() && q.alert.empty()) {
    return ApiError(400, "bad_data", "missing parameter \"service\" (or \"alert\")");
  }
  q.to_ns = to->value_or(now);
  q.from_ns = from->value_or(q.to_ns - kDefaultWindowNs);
  if (!q.alert.empty()) {
    Result<AlertWindow> alert = FindAlert(metrics_, q.alert, now);
    if (alert.ok()) {
      q.alert_active_ns = alert->active_ns;
      q.alert_state = alert->state;
      if (q.service.empty()) q.service = alert->service;
      if (!from->has_value()) {
        // The one place the window of an alert's report is decided
        // (IncidentEngine::AlertWindowStart): `quartet incident --alert`
        // and the UI pass the alert's name and take the window from here.
        Result<int64_t> start = engine_->AlertWindowStart(q.service, alert->active_ns);
        if (!start.ok()) return ApiError(500, "internal", start.status().message());
        q.from_ns = std::min(*start, q.to_ns - 1000000000);
      }
    } else if (q.service.empty()) {
      return ApiError(alert.status().code() == StatusCode::kNotFound ? 404 : 500, "not_found",
                      alert.status().message());
    }
  }
  q.baseline_from_ns = *bfrom;
  q.baseline_to_ns = *bto;
  if (running_.fetch_add(1) >= kMaxConcurrentReports) {
    running_.fetch_sub(1);
    HttpResponse busy = ApiError(503, "unavailable", "too many incident reports running");
    busy.headers.emplace_back("Retry-After", "5");
    return busy;
  }
  Result<incident::Report> report = engine_->Analyze(q);
  running_.fetch_sub(1);
  if (!report.ok()) {
    const bool bad = report.status().code() == StatusCode::kInvalidArgument;
    return ApiError(bad ? 400 : 500, bad ? "bad_data" : "internal", report.status().message());
  }
  return HttpResponse::Json(200, incident::ReportToJson(*report));
}

}  // namespace quartet::api

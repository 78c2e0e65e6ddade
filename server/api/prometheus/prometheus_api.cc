#include "server/api/prometheus/prometheus_api.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <functional>
#include <string>

#include "base/clock.h"
#include "server/api/params.h"
#include "server/query/promql/format.h"
#include "server/query/promql/parser.h"
#include "server/query/promql/result_json.h"
#include "wire/json/json_writer.h"

namespace quartet::api {

using server::HttpRequest;
using server::HttpResponse;

namespace {

// Prometheus's own "no bound" times (api/v1 minTime/maxTime), as clients
// echo them back formatted.
constexpr int64_t kMinTimeMs = (INT64_MIN / 1000 + 62135596801) * 1000;
constexpr int64_t kMaxTimeMs = (INT64_MAX / 1000 - 62135596801) * 1000 + 999;
constexpr std::string_view kMinTimeText = "-292273086-05-16T16:47:06Z";
constexpr std::string_view kMaxTimeText = "292277025-08-18T07:12:54.999999999Z";

// Prometheus refuses range queries with more points per series than this.
constexpr int64_t kMaxPointsPerSeries = 11000;

HttpResponse BadData(std::string_view message) { return ApiError(400, "bad_data", message); }

HttpResponse QueryError(const Status& status) {
  const std::string_view type = promql::ErrorType(status);
  int code = 500;
  if (type == "bad_data") code = 400;
  if (type == "execution") code = 422;
  if (type == "timeout") code = 503;
  if (type == "canceled") code = 499;
  return ApiError(code, type, status.message());
}

Result<int64_t> TimeArg(const HttpRequest& request, std::string_view name, int64_t fallback) {
  std::optional<std::string> v = request.Param(name);
  if (!v || v->empty()) return fallback;
  Result<int64_t> t = ParsePrometheusTime(*v);
  if (!t.ok()) {
    return Status::InvalidArgument("invalid parameter \"" + std::string(name) +
                                   "\": " + std::string(t.status().message()));
  }
  return t;
}

// The selectors of match[]; each must be a plain series selector.
Result<std::vector<std::vector<store::LabelMatch>>> MatchArgs(const HttpRequest& request) {
  std::vector<std::vector<store::LabelMatch>> out;
  for (const std::string& text : request.Params("match[]")) {
    Result<promql::ExprPtr> expr = promql::Parse(text);
    if (!expr.ok()) return expr.status();
    if ((*expr)->kind != promql::ExprKind::kVectorSelector) {
      return Status::InvalidArgument("invalid parameter \"match[]\": \"" + text +
                                     "\" is not a series selector");
    }
    out.push_back(ToStoreMatchers((*expr)->matchers));
  }
  return out;
}

void AppendLabelsObject(std::string* out, const store::Labels& labels) {
  out->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    json::AppendString(out, labels[i].first);
    out->push_back(':');
    json::AppendString(out, labels[i].second);
  }
  out->push_back('}');
}

void AppendStringArray(std::string* out, const std::vector<std::string>& values) {
  out->push_back('[');
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out->push_back(',');
    json::AppendString(out, values[i]);
  }
  out->push_back(']');
}

// Seconds with millisecond decimals, as Prometheus writes sample times.
void AppendMillisAsSeconds(std::string* out, int64_t ms) { AppendUnixSeconds(out, ms * 1'000'000); }

std::string_view MetricTypeName(store::MetricType type) {
  switch (type) {
    case store::MetricType::kCounter:
      return "counter";
    case store::MetricType::kGauge:
      return "gauge";
    case store::MetricType::kHistogram:
      return "histogram";
    case store::MetricType::kGaugeHistogram:
      return "gaugehistogram";
    case store::MetricType::kSummary:
      return "summary";
    case store::MetricType::kInfo:
      return "info";
    case store::MetricType::kStateSet:
      return "stateset";
    case store::MetricType::kUnknown:
      break;
  }
  return "unknown";
}

// /labels and /label/<name>/values: `fetch` per match[] selector (every
// series when none), over start..end, as one sorted list without repeats.
using StringsFetch = std::function<Result<std::vector<std::string>>(
    const std::vector<store::LabelMatch>&, int64_t, int64_t)>;
HttpResponse SortedUnion(const HttpRequest& request, const StringsFetch& fetch) {
  Result<std::vector<std::vector<store::LabelMatch>>> matches = MatchArgs(request);
  Result<int64_t> start = TimeArg(request, "start", kMinTimeMs);
  Result<int64_t> end = TimeArg(request, "end", kMaxTimeMs);
  if (!matches.ok()) return BadData(matches.status().message());
  for (const Result<int64_t>* r : {&start, &end}) {
    if (!r->ok()) return BadData(r->status().message());
  }
  if (matches->empty()) matches->emplace_back();  // no selector: every series
  std::vector<std::string> all;
  for (const auto& matchers : *matches) {
    Result<std::vector<std::string>> some = fetch(matchers, *start, *end);
    if (!some.ok()) return QueryError(some.status());
    all.insert(all.end(), some->begin(), some->end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string data;
  AppendStringArray(&data, all);
  return ApiSuccess(std::move(data));
}

}  // namespace

Result<int64_t> ParsePrometheusTime(std::string_view text) {
  if (text == kMinTimeText) return kMinTimeMs;
  if (text == kMaxTimeText) return kMaxTimeMs;
  double seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size()) {
    // Prometheus rounds the fraction to milliseconds.
    if (!std::isfinite(seconds) || std::abs(seconds) > 9.2e15) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                     "\" to a valid timestamp");
    }
    const double whole = std::trunc(seconds);
    return static_cast<int64_t>(whole) * 1000 +
           static_cast<int64_t>(std::llround((seconds - whole) * 1000));
  }
  Result<int64_t> ns = ParseTime(text);  // RFC 3339
  if (!ns.ok()) {
    return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                   "\" to a valid timestamp");
  }
  return *ns / 1'000'000;
}

Result<int64_t> ParsePrometheusDuration(std::string_view text) {
  double seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size()) {
    const double ms = seconds * 1000;
    if (!std::isfinite(ms) || std::abs(ms) > 9.2e18) {
      return Status::InvalidArgument("cannot parse \"" + std::string(text) +
                                     "\" to a valid duration. It overflows int64");
    }
    return static_cast<int64_t>(std::llround(ms));
  }
  if (std::optional<int64_t> ms = promql::ParseDurationMs(text)) return *ms;
  return Status::InvalidArgument("cannot parse \"" + std::string(text) + "\" to a valid duration");
}

PrometheusApi::PrometheusApi(store::MetricStore* metrics, promql::EngineOptions options)
    : metrics_(metrics), source_(metrics), engine_(&source_, options) {}

void PrometheusApi::Register(server::Router* router) {
  for (const char* method : {"GET", "POST"}) {
    router->Handle(method, "/api/v1/query", [this](const HttpRequest& r) { return Query(r); });
    router->Handle(method, "/api/v1/query_range",
                   [this](const HttpRequest& r) { return QueryRange(r); });
    router->Handle(method, "/api/v1/series", [this](const HttpRequest& r) { return Series(r); });
    router->Handle(method, "/api/v1/labels",
                   [this](const HttpRequest& r) { return LabelNames(r); });
    router->Handle(method, "/api/v1/query_exemplars",
                   [this](const HttpRequest& r) { return QueryExemplars(r); });
  }
  router->Handle("GET", "/api/v1/label/:name/values",
                 [this](const HttpRequest& r) { return LabelValues(r); });
  router->Handle("GET", "/api/v1/metadata", [this](const HttpRequest& r) { return Metadata(r); });
  router->Handle("GET", "/api/v1/status/buildinfo", [](const HttpRequest&) {
    // Grafana reads the version to pick features; 2.42.0 is what we match.
    return ApiSuccess(
        R"({"version":"2.42.0","revision":"quartetd","branch":"","buildUser":"","buildDate":"","goVersion":""})");
  });
}

HttpResponse PrometheusApi::Query(const HttpRequest& request) {
  if (!request.form_error.empty()) return BadData(request.form_error);
  const std::string query = request.Param("query").value_or("");
  Result<int64_t> t = TimeArg(request, "time", UnixNanos() / 1'000'000);
  if (!t.ok()) return BadData(t.status().message());
  Result<promql::QueryResult> result = engine_.Instant(query, *t);
  if (!result.ok()) return QueryError(result.status());
  return HttpResponse::Json(200, promql::RenderSuccessJson(*result));
}

HttpResponse PrometheusApi::QueryRange(const HttpRequest& request) {
  if (!request.form_error.empty()) return BadData(request.form_error);
  Result<int64_t> start = TimeArg(request, "start", INT64_MIN);
  Result<int64_t> end = TimeArg(request, "end", INT64_MIN);
  for (const Result<int64_t>* r : {&start, &end}) {
    if (!r->ok()) return BadData(r->status().message());
  }
  if (*start == INT64_MIN)
    return BadData("invalid parameter \"start\": cannot parse \"\" to a valid timestamp");
  if (*end == INT64_MIN)
    return BadData("invalid parameter \"end\": cannot parse \"\" to a valid timestamp");
  if (*end < *start) return BadData("end timestamp must not be before start time");
  Result<int64_t> step = ParsePrometheusDuration(request.Param("step").value_or(""));
  if (!step.ok())
    return BadData("invalid parameter \"step\": " + std::string(step.status().message()));
  if (*step <= 0) {
    return BadData(
        "zero or negative query resolution step widths are not accepted. Try a positive integer");
  }
  if ((*end - *start) / *step > kMaxPointsPerSeries) {
    return BadData(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
        "resolution (?step=XX)");
  }
  Result<promql::QueryResult> result =
      engine_.Range(request.Param("query").value_or(""), *start, *end, *step);
  if (!result.ok()) return QueryError(result.status());
  return HttpResponse::Json(200, promql::RenderSuccessJson(*result));
}

HttpResponse PrometheusApi::Series(const HttpRequest& request) {
  if (!request.form_error.empty()) return BadData(request.form_error);
  Result<std::vector<std::vector<store::LabelMatch>>> matches = MatchArgs(request);
  if (!matches.ok()) return BadData(matches.status().message());
  if (matches->empty()) return BadData("no match[] parameter provided");
  Result<int64_t> start = TimeArg(request, "start", kMinTimeMs);
  Result<int64_t> end = TimeArg(request, "end", kMaxTimeMs);
  for (const Result<int64_t>* r : {&start, &end}) {
    if (!r->ok()) return BadData(r->status().message());
  }
  // The union over the selectors, each series once, in label order.
  std::vector<store::Labels> all;
  for (const auto& matchers : *matches) {
    Result<std::vector<store::Labels>> series = metrics_->Series(matchers, *start, *end);
    if (!series.ok()) return QueryError(series.status());
    all.insert(all.end(), series->begin(), series->end());
  }
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::string data = "[";
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) data.push_back(',');
    AppendLabelsObject(&data, all[i]);
  }
  data.push_back(']');
  return ApiSuccess(std::move(data));
}

HttpResponse PrometheusApi::LabelNames(const HttpRequest& request) {
  if (!request.form_error.empty()) return BadData(request.form_error);
  return SortedUnion(
      request, [&](const std::vector<store::LabelMatch>& matchers, int64_t start, int64_t end) {
        return metrics_->LabelNames(matchers, start, end);
      });
}

HttpResponse PrometheusApi::LabelValues(const HttpRequest& request) {
  const std::string name(request.PathParam("name"));
  if (!promql::IsValidLabelName(name)) return BadData("invalid label name: \"" + name + "\"");
  return SortedUnion(
      request, [&](const std::vector<store::LabelMatch>& matchers, int64_t start, int64_t end) {
        return metrics_->LabelValues(name, matchers, start, end);
      });
}

HttpResponse PrometheusApi::Metadata(const HttpRequest& request) {
  Result<int64_t> limit = IntParam(request, "limit", -1);
  if (!limit.ok()) return BadData(limit.status().message());
  const std::string metric = request.Param("metric").value_or("");
  std::string data = "{";
  int64_t n = 0;
  for (const store::MetricMetadata& m : metrics_->Metadata(metric)) {
    if (*limit >= 0 && n >= *limit) break;
    if (n++ > 0) data.push_back(',');
    json::AppendString(&data, m.family);
    data.append(":[{\"type\":");
    json::AppendString(&data, MetricTypeName(m.type));
    data.append(",\"help\":");
    json::AppendString(&data, m.help);
    data.append(",\"unit\":");
    json::AppendString(&data, m.unit);
    data.append("}]");
  }
  data.push_back('}');
  return ApiSuccess(std::move(data));
}

HttpResponse PrometheusApi::QueryExemplars(const HttpRequest& request) {
  if (!request.form_error.empty()) return BadData(request.form_error);
  const int64_t now_ms = UnixNanos() / 1'000'000;
  Result<int64_t> start = TimeArg(request, "start", kMinTimeMs);
  Result<int64_t> end = TimeArg(request, "end", now_ms);
  for (const Result<int64_t>* r : {&start, &end}) {
    if (!r->ok()) return BadData(r->status().message());
  }
  if (*end < *start) return BadData("end timestamp must not be before start timestamp");
  Result<promql::ExprPtr> expr = promql::Parse(request.Param("query").value_or(""));
  if (!expr.ok()) return QueryError(expr.status());
  // Every selector of the query, as Prometheus's exemplar querier does.
  std::vector<std::vector<store::LabelMatch>> selectors;
  std::vector<const promql::Expr*> stack = {expr->get()};
  while (!stack.empty()) {
    const promql::Expr* e = stack.back();
    stack.pop_back();
    if (e->kind == promql::ExprKind::kVectorSelector ||
        e->kind == promql::ExprKind::kMatrixSelector) {
      selectors.push_back(ToStoreMatchers(e->matchers));
    }
    for (const promql::Expr* child : {e->lhs.get(), e->rhs.get()}) {
      if (child != nullptr) stack.push_back(child);
    }
    for (const promql::ExprPtr& arg : e->args) stack.push_back(arg.get());
  }
  std::string data = "[";
  bool first = true;
  for (const auto& matchers : selectors) {
    Status st = metrics_->SelectExemplars(
        matchers, *start, *end,
        [&](const store::Labels& series, std::span<const store::Exemplar> exemplars) {
          if (!first) data.push_back(',');
          first = false;
          data.append("{\"seriesLabels\":");
          AppendLabelsObject(&data, series);
          data.append(",\"exemplars\":[");
          for (size_t i = 0; i < exemplars.size(); ++i) {
            if (i > 0) data.push_back(',');
            data.append("{\"labels\":");
            AppendLabelsObject(&data, exemplars[i].labels);
            data.append(",\"value\":");
            json::AppendString(&data, promql::FormatFloat(exemplars[i].value));
            data.append(",\"timestamp\":");
            AppendMillisAsSeconds(&data, exemplars[i].t_ms);
            data.push_back('}');
          }
          data.append("]}");
          return true;
        });
    if (!st.ok()) return QueryError(st);
  }
  data.push_back(']');
  return ApiSuccess(std::move(data));
}

}  // namespace quartet::api

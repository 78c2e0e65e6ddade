#include "server/api/loki/loki_api.h"

#include <cmath>

#include "base/clock.h"
#include "server/api/loki/store_log_source.h"
#include "server/api/params.h"
#include "server/query/logql/evaluator.h"
#include "server/query/logql/parser.h"
#include "wire/json/json_writer.h"

namespace quartet::api {
namespace {

using server::HttpRequest;
using server::HttpResponse;

constexpr int64_t kHourNs = 3600LL * 1'000'000'000;

HttpResponse BadRequest(std::string_view message) {
  return HttpResponse::Text(400, std::string(message) + "\n");
}

// 400 for what the caller got wrong, 500 for the rest.
HttpResponse QueryFailure(const Status& status) {
  if (status.code() == StatusCode::kInvalidArgument ||
      status.code() == StatusCode::kResourceExhausted) {
    return BadRequest(status.message());
  }
  return HttpResponse::Text(500, std::string(status.message()) + "\n");
}

void AppendLabelsObject(std::string* out, const logql::Labels& labels) {
  out->push_back('{');
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    json::AppendString(out, labels[i].first);
    out->push_back(':');
    json::AppendString(out, labels[i].second);
  }
  out->push_back('}');
}

std::string StreamsJson(const std::vector<logql::Stream>& streams) {
  std::string out = "{\"resultType\":\"streams\",\"result\":[";
  for (size_t s = 0; s < streams.size(); ++s) {
    if (s > 0) out.push_back(',');
    out.append("{\"stream\":");
    AppendLabelsObject(&out, streams[s].labels);
    out.append(",\"values\":[");
    for (size_t i = 0; i < streams[s].entries.size(); ++i) {
      if (i > 0) out.push_back(',');
      out.append("[\"");
      json::AppendInt(&out, streams[s].entries[i].first);
      out.append("\",");
      json::AppendString(&out, streams[s].entries[i].second);
      out.push_back(']');
    }
    out.append("]}");
  }
  out.append("],\"stats\":{}}");
  return out;
}

void AppendPoint(std::string* out, int64_t ts_ns, double v) {
  out->push_back('[');
  AppendUnixSeconds(out, ts_ns);
  out->append(",\"");
  out->append(FormatSampleValue(v));
  out->append("\"]");
}

std::string MatrixJson(const std::vector<logql::Series>& series) {
  std::string out = "{\"resultType\":\"matrix\",\"result\":[";
  for (size_t s = 0; s < series.size(); ++s) {
    if (s > 0) out.push_back(',');
    out.append("{\"metric\":");
    AppendLabelsObject(&out, series[s].labels);
    out.append(",\"values\":[");
    for (size_t i = 0; i < series[s].points.size(); ++i) {
      if (i > 0) out.push_back(',');
      AppendPoint(&out, series[s].points[i].first, series[s].points[i].second);
    }
    out.append("]}");
  }
  out.append("],\"stats\":{}}");
  return out;
}

std::string VectorJson(const std::vector<logql::Series>& series) {
  std::string out = "{\"resultType\":\"vector\",\"result\":[";
  bool first = true;
  for (const logql::Series& s : series) {
    if (s.points.empty()) continue;
    if (!first) out.push_back(',');
    first = false;
    out.append("{\"metric\":");
    AppendLabelsObject(&out, s.labels);
    out.append(",\"value\":");
    AppendPoint(&out, s.points.back().first, s.points.back().second);
    out.push_back('}');
  }
  out.append("],\"stats\":{}}");
  return out;
}

Result<logql::Direction> DirectionParam(const HttpRequest& request) {
  const std::string d = request.Param("direction").value_or("backward");
  if (d == "backward" || d == "BACKWARD") return logql::Direction::kBackward;
  if (d == "forward" || d == "FORWARD") return logql::Direction::kForward;
  return Status::InvalidArgument(
      "invalid parameter \"direction\": want forward or backward, got \"" + d + "\"");
}

// The start/end pair with Loki's defaults: end = now, start = end - 1h.
Status RangeParams(const HttpRequest& request, int64_t* start, int64_t* end) {
  ASSIGN_OR_RETURN(*end, TimeParam(request, "end", UnixNanos()));
  ASSIGN_OR_RETURN(*start, TimeParam(request, "start", *end - kHourNs));
  if (*end < *start) {
    return Status::InvalidArgument("invalid parameters: end is before start");
  }
  return Status::Ok();
}

std::string StringArray(const std::vector<std::string>& values) {
  std::string out = "[";
  for (size_t i = 0; i < values.size(); ++i) {
    if (i > 0) out.push_back(',');
    json::AppendString(&out, values[i]);
  }
  return out + "]";
}

}  // namespace

std::string FormatSampleValue(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::string out;
  json::AppendDouble(&out, v);
  return out;
}

LokiApi::LokiApi(store::LogStore* logs) : logs_(logs) {}

void LokiApi::Register(server::Router* router) {
  for (const char* method : {"GET", "POST"}) {
    router->Handle(method, "/loki/api/v1/query_range",
                   [this](const HttpRequest& r) { return QueryRange(r); });
    router->Handle(method, "/loki/api/v1/query", [this](const HttpRequest& r) { return Query(r); });
    router->Handle(method, "/loki/api/v1/series",
                   [this](const HttpRequest& r) { return Series(r); });
  }
  router->Handle("GET", "/loki/api/v1/labels", [this](const HttpRequest& r) { return Labels(r); });
  router->Handle("GET", "/loki/api/v1/label", [this](const HttpRequest& r) { return Labels(r); });
  router->Handle("GET", "/loki/api/v1/label/:name/values",
                 [this](const HttpRequest& r) { return LabelValues(r); });
}

HttpResponse LokiApi::QueryRange(const HttpRequest& request) {
  std::optional<std::string> text = request.Param("query");
  if (!text || text->empty()) return BadRequest("missing parameter \"query\"");
  Result<logql::Expr> expr = logql::Parse(*text);
  if (!expr.ok()) return BadRequest(expr.status().message());
  int64_t start = 0, end = 0;
  if (Status s = RangeParams(request, &start, &end); !s.ok()) return BadRequest(s.message());
  StoreLogSource source(logs_);
  if (logql::IsMetricQuery(*expr)) {
    // Loki's default step: the range over 250 points, at least a second.
    const int64_t default_step = std::max<int64_t>(1'000'000'000, (end - start) / 250);
    Result<int64_t> step = DurationParam(request, "step", default_step);
    if (!step.ok()) return BadRequest(step.status().message());
    if (*step <= 0) return BadRequest("invalid parameter \"step\": must be positive");
    Result<std::vector<logql::Series>> series =
        logql::EvaluateRange(*expr, source, start, end, *step);
    if (!series.ok()) return QueryFailure(series.status());
    return ApiSuccess(MatrixJson(*series));
  }
  Result<int64_t> limit = IntParam(request, "limit", 100);
  if (!limit.ok()) return BadRequest(limit.status().message());
  Result<logql::Direction> direction = DirectionParam(request);
  if (!direction.ok()) return BadRequest(direction.status().message());
  Result<std::vector<logql::Stream>> streams =
      logql::EvaluateLogs(*expr, source, start, end, static_cast<size_t>(*limit), *direction);
  if (!streams.ok()) return QueryFailure(streams.status());
  return ApiSuccess(StreamsJson(*streams));
}

HttpResponse LokiApi::Query(const HttpRequest& request) {
  std::optional<std::string> text = request.Param("query");
  if (!text || text->empty()) return BadRequest("missing parameter \"query\"");
  Result<logql::Expr> expr = logql::Parse(*text);
  if (!expr.ok()) return BadRequest(expr.status().message());
  Result<int64_t> time = TimeParam(request, "time", UnixNanos());
  if (!time.ok()) return BadRequest(time.status().message());
  StoreLogSource source(logs_);
  if (logql::IsMetricQuery(*expr)) {
    Result<std::vector<logql::Series>> series = logql::EvaluateInstant(*expr, source, *time);
    if (!series.ok()) return QueryFailure(series.status());
    return ApiSuccess(VectorJson(*series));
  }
  Result<int64_t> limit = IntParam(request, "limit", 100);
  if (!limit.ok()) return BadRequest(limit.status().message());
  Result<logql::Direction> direction = DirectionParam(request);
  if (!direction.ok()) return BadRequest(direction.status().message());
  // An instant log query reads the hour up to `time`, as Loki does.
  Result<std::vector<logql::Stream>> streams = logql::EvaluateLogs(
      *expr, source, *time - kHourNs, *time + 1, static_cast<size_t>(*limit), *direction);
  if (!streams.ok()) return QueryFailure(streams.status());
  return ApiSuccess(StreamsJson(*streams));
}

HttpResponse LokiApi::Labels(const HttpRequest& request) {
  int64_t start = 0, end = 0;
  if (Status s = RangeParams(request, &start, &end); !s.ok()) return BadRequest(s.message());
  Result<std::vector<std::string>> names = logs_->LabelNames({start, end});
  if (!names.ok()) return QueryFailure(names.status());
  return ApiSuccess(StringArray(*names));
}

HttpResponse LokiApi::LabelValues(const HttpRequest& request) {
  int64_t start = 0, end = 0;
  if (Status s = RangeParams(request, &start, &end); !s.ok()) return BadRequest(s.message());
  Result<std::vector<std::string>> values =
      logs_->LabelValues(request.PathParam("name"), {start, end});
  if (!values.ok()) return QueryFailure(values.status());
  return ApiSuccess(StringArray(*values));
}

HttpResponse LokiApi::Series(const HttpRequest& request) {
  int64_t start = 0, end = 0;
  if (Status s = RangeParams(request, &start, &end); !s.ok()) return BadRequest(s.message());
  std::vector<std::string> selectors = request.Params("match[]");
  if (selectors.empty()) selectors = request.Params("match");
  if (selectors.empty()) return BadRequest("missing parameter \"match[]\"");
  std::vector<store::Labels> all;
  for (const std::string& selector : selectors) {
    Result<logql::Expr> expr = logql::Parse(selector);
    if (!expr.ok()) return BadRequest(expr.status().message());
    const auto* log = std::get_if<logql::LogQuery>(&*expr);
    if (log == nullptr) {
      return BadRequest(
          "invalid parameter \"match[]\": want a stream selector, got a metric query");
    }
    Result<std::vector<store::Labels>> found =
        logs_->Series(ToStoreMatchers(log->selector), {start, end});
    if (!found.ok()) return QueryFailure(found.status());
    for (store::Labels& l : *found) {
      if (std::find(all.begin(), all.end(), l) == all.end()) all.push_back(std::move(l));
    }
  }
  std::string out = "[";
  for (size_t i = 0; i < all.size(); ++i) {
    if (i > 0) out.push_back(',');
    AppendLabelsObject(&out, all[i]);
  }
  return ApiSuccess(out + "]");
}

}  // namespace quartet::api

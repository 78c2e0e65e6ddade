#include "server/api/links/links_api.h"

#include <map>

#include "base/hex.h"
#include "server/api/params.h"
#include "server/api/tempo/tempo_api.h"
#include "wire/json/json_writer.h"

namespace quartet::api {

using server::HttpRequest;
using server::HttpResponse;

LinksApi::LinksApi(store::TraceStore* traces, store::LogStore* logs)
    : traces_(traces), logs_(logs) {}

void LinksApi::Register(server::Router* router) {
  router->Handle("GET", "/api/v1/traces/:id/summary",
                 [this](const HttpRequest& r) { return Summary(r); });
  router->Handle("GET", "/api/v1/traces/:id/logs",
                 [this](const HttpRequest& r) { return Logs(r); });
}

HttpResponse LinksApi::Summary(const HttpRequest& request) {
  Result<TraceId> id = ParseTraceId(request.PathParam("id"));
  if (!id.ok()) return ApiError(400, "bad_data", id.status().message());
  Result<store::TraceSummary> summary = traces_->GetTraceSummary(*id);
  const int64_t log_count = logs_->CountLogsOfTrace(*id);
  if (!summary.ok()) {
    if (summary.status().code() != StatusCode::kNotFound) {
      return ApiError(500, "internal", summary.status().message());
    }
    if (log_count == 0) return ApiError(404, "not_found", "trace " + id->ToHex() + " not found");
    // Logs arrived but no span (not sampled, or spans still in flight).
    summary = store::TraceSummary{.trace_id = *id};
  }
  const store::TraceSummary& s = *summary;
  std::string out = "{\"traceID\":\"" + id->ToHex() + "\",\"startTimeUnixNano\":\"";
  json::AppendInt(&out, s.start_ns);
  out += "\",\"endTimeUnixNano\":\"";
  json::AppendInt(&out, s.end_ns);
  out += "\",\"durationMs\":";
  json::AppendDouble(&out, static_cast<double>(s.duration_ns()) / 1e6);
  out += ",\"rootServiceName\":";
  json::AppendString(&out, s.root_service);
  out += ",\"rootTraceName\":";
  json::AppendString(&out, s.root_name);
  out += ",\"rootRoute\":";
  json::AppendString(&out, s.root_route);
  out += ",\"error\":";
  json::AppendBool(&out, s.has_error);
  out += ",\"spanCount\":";
  json::AppendInt(&out, s.span_count);
  out += ",\"logCount\":";
  json::AppendInt(&out, log_count);
  out += ",\"services\":[";
  for (size_t i = 0; i < s.services.size(); ++i) {
    if (i > 0) out += ',';
    json::AppendString(&out, s.services[i]);
  }
  out += "]}";
  return ApiSuccess(std::move(out));
}

HttpResponse LinksApi::Logs(const HttpRequest& request) {
  Result<TraceId> id = ParseTraceId(request.PathParam("id"));
  if (!id.ok()) return ApiError(400, "bad_data", id.status().message());
  SpanId span;
  if (std::optional<std::string> hex = request.Param("span_id"); hex && !hex->empty()) {
    if (hex->size() != 16 || !HexDecode(*hex, span.bytes.data(), 8) || !span.valid()) {
      return ApiError(400, "bad_data",
                      "invalid parameter \"span_id\": want 16 hex digits, got \"" + *hex + "\"");
    }
  }
  Result<int64_t> limit = IntParam(request, "limit", 1000);
  if (!limit.ok()) return ApiError(400, "bad_data", limit.status().message());
  // Streams keyed by their labels plus each line's structured metadata, as
  // Loki shows them.
  std::map<store::Labels, std::vector<std::pair<int64_t, std::string>>> streams;
  int64_t taken = 0;
  Status s = logs_->LogsOfTrace(*id, span, [&](const store::LogRow& row) {
    store::Labels labels = *row.stream;
    labels.insert(labels.end(), row.structured_metadata->begin(), row.structured_metadata->end());
    std::sort(labels.begin(), labels.end());
    streams[labels].emplace_back(row.timestamp_ns, std::string(row.line));
    return ++taken < *limit;
  });
  if (!s.ok()) return ApiError(500, "internal", s.message());
  std::string out = "{\"resultType\":\"streams\",\"result\":[";
  bool first = true;
  for (const auto& [labels, values] : streams) {
    if (!first) out += ',';
    first = false;
    out += "{\"stream\":{";
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out += ',';
      json::AppendString(&out, labels[i].first);
      out += ':';
      json::AppendString(&out, labels[i].second);
    }
    out += "},\"values\":[";
    for (size_t i = 0; i < values.size(); ++i) {
      if (i > 0) out += ',';
      out += "[\"";
      json::AppendInt(&out, values[i].first);
      out += "\",";
      json::AppendString(&out, values[i].second);
      out += ']';
    }
    out += "]}";
  }
  out += "]}";
  return ApiSuccess(std::move(out));
}

}  // namespace quartet::api

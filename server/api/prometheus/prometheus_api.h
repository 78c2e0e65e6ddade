// PrometheusApi: Prometheus's HTTP query API over quartetd's MetricStore, so
// Grafana's Prometheus data source, promtool and our UI read metrics the way
// they read a Prometheus 2.42 server:
//   GET|POST /api/v1/query            query, time (default now)
//   GET|POST /api/v1/query_range      query, start, end, step
//   GET|POST /api/v1/series           match[] (one or more), start, end
//   GET|POST /api/v1/labels           [match[]], start, end
//   GET      /api/v1/label/<name>/values  [match[]], start, end
//   GET      /api/v1/metadata         [metric], [limit]
//   GET|POST /api/v1/query_exemplars  query, start, end
//   GET      /api/v1/status/buildinfo
// Times are unix seconds (decimals allowed) or RFC 3339; steps are float
// seconds or durations ("15s", "1m"). Bodies and errors are Prometheus's:
// {"status":"success","data":...} or {"status":"error","errorType":...,
// "error":...} with 400 bad_data, 422 execution, 503 timeout, 500 internal.
//
// Thread-safety: handlers may run concurrently (the store is thread-safe).
#pragma once

#include "server/api/prometheus/store_series_source.h"
#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/query/promql/engine.h"
#include "server/store/interface.h"

namespace quartet::api {

class PrometheusApi {
 public:
  // `metrics` must outlive this object.
  explicit PrometheusApi(store::MetricStore* metrics, promql::EngineOptions options = {});

  void Register(server::Router* router);
  server::HttpResponse Query(const server::HttpRequest& request);
  server::HttpResponse QueryRange(const server::HttpRequest& request);
  server::HttpResponse Series(const server::HttpRequest& request);
  server::HttpResponse LabelNames(const server::HttpRequest& request);
  server::HttpResponse LabelValues(const server::HttpRequest& request);
  server::HttpResponse Metadata(const server::HttpRequest& request);
  server::HttpResponse QueryExemplars(const server::HttpRequest& request);

 private:
  store::MetricStore* metrics_;
  StoreSeriesSource source_;
  promql::Engine engine_;
};

// A Prometheus API time parameter in unix milliseconds: float seconds or RFC
// 3339, and the min/max time strings Prometheus clients send for "no bound".
Result<int64_t> ParsePrometheusTime(std::string_view text);
// A step or duration parameter in milliseconds: float seconds or a
// Prometheus duration ("1m30s", "1d").
Result<int64_t> ParsePrometheusDuration(std::string_view text);

}  // namespace quartet::api

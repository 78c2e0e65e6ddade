// LokiApi: Grafana Loki's HTTP query API over a LogStore, for Grafana's Loki
// data source, logcli-style clients, our UI and the CLI:
//   GET|POST /loki/api/v1/query_range   query, start, end, limit (100),
//                                       direction (backward), step
//   GET|POST /loki/api/v1/query         query, time, limit, direction
//   GET /loki/api/v1/labels, /loki/api/v1/label/<name>/values   start, end
//   GET|POST /loki/api/v1/series        match[] (repeatable), start, end
// Times are unix nanoseconds, unix seconds or RFC 3339; start defaults to an
// hour before end, end to now. Log queries answer resultType "streams",
// metric queries "matrix" (range) or "vector" (instant) shaped like
// Prometheus. A bad query is a 400 whose text names the position.
//
// Thread-safety: handlers may run concurrently (the store is thread-safe).
#pragma once

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"

namespace quartet::api {

class LokiApi {
 public:
  explicit LokiApi(store::LogStore* logs);  // must outlive this object

  void Register(server::Router* router);
  server::HttpResponse QueryRange(const server::HttpRequest& request);
  server::HttpResponse Query(const server::HttpRequest& request);
  server::HttpResponse Labels(const server::HttpRequest& request);
  server::HttpResponse LabelValues(const server::HttpRequest& request);
  server::HttpResponse Series(const server::HttpRequest& request);

 private:
  store::LogStore* logs_;
};

// Prometheus's spelling of a sample value: shortest round-trip decimal,
// "NaN", "+Inf", "-Inf".
std::string FormatSampleValue(double v);

}  // namespace quartet::api

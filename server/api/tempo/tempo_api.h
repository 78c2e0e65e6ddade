// TempoApi: Grafana Tempo's HTTP query API over a TraceStore, so Grafana's
// Tempo data source, our UI and the CLI read traces the same way:
//   GET /api/traces/<id>                 the whole trace (Tempo JSON: base64 ids,
//                                        or protobuf with Accept: application/protobuf)
//   GET /api/search                      q (TraceQL) or tags (logfmt), minDuration,
//                                        maxDuration, start, end (unix s), limit, spss
//   GET /api/search/tags, /api/v2/search/tags
//   GET /api/search/tag/<tag>/values, /api/v2/search/tag/<tag>/values
//   GET /api/echo                        Grafana's connection test
// Trace by id needs no time range: the store finds it through its trace-id
// index. Errors: 400 with a message naming the parameter or the query
// position, 404 for an unknown trace.
//
// Thread-safety: handlers may run concurrently (the store is thread-safe).
#pragma once

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"

namespace quartet::api {

class TempoApi {
 public:
  explicit TempoApi(store::TraceStore* traces);  // must outlive this object

  void Register(server::Router* router);
  server::HttpResponse TraceById(const server::HttpRequest& request);
  server::HttpResponse Search(const server::HttpRequest& request);
  server::HttpResponse SearchTags(const server::HttpRequest& request, bool v2);
  server::HttpResponse TagValues(const server::HttpRequest& request, bool v2);

 private:
  store::TraceStore* traces_;
};

// Parses a trace id as Tempo does: up to 32 hex digits, left-padded with
// zeros (64-bit ids from Zipkin/Jaeger are 16 digits).
Result<TraceId> ParseTraceId(std::string_view hex);

}  // namespace quartet::api

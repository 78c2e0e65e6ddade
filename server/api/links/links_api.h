// LinksApi: the links between signals as first-class calls, answered from
// the correlation index with no time range and no scan:
//   GET /api/v1/traces/<id>/summary   the trace's index entry: time range,
//                                     duration, root service/name/route,
//                                     error, services, span and log counts
//   GET /api/v1/traces/<id>/logs      its log lines (span_id=<hex> for one
//                                     span's), Loki-shaped streams in time
//                                     order; limit (default 1000)
// The other direction, log line -> trace, needs no call of its own: every
// stored line linked to a trace carries `trace_id` (and `span_id`) in its
// structured metadata, shown with it in every Loki query result, and
// /api/traces/<trace_id> opens the trace without a time range.
//
// Thread-safety: handlers may run concurrently (the stores are thread-safe).
#pragma once

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"

namespace quartet::api {

class LinksApi {
 public:
  LinksApi(store::TraceStore* traces, store::LogStore* logs);  // both outlive this

  void Register(server::Router* router);
  server::HttpResponse Summary(const server::HttpRequest& request);
  server::HttpResponse Logs(const server::HttpRequest& request);

 private:
  store::TraceStore* traces_;
  store::LogStore* logs_;
};

}  // namespace quartet::api

// PyroscopeApi: Pyroscope-shaped query endpoints over quartetd's
// ProfileStore, so Pyroscope's UI conventions (flamebearer JSON) and our own
// UI read merged profiles, diffs, top functions and span profiles:
//   GET /pyroscope/render          query, from, until, [format=json|pprof|folded],
//                                  [maxNodes], [span_id|spanSelector], [trace_id]
//   GET /pyroscope/render-diff     leftQuery, leftFrom, leftUntil, rightQuery,
//                                  rightFrom, rightUntil, [maxNodes]
//   GET /pyroscope/top             query, from, until, [limit], [order=self|total]
//   GET /pyroscope/diff-functions  the render-diff parameters, [limit]
//   GET /pyroscope/labels | /pyroscope/label-names        [query], from, until
//   GET /pyroscope/label-values    label (or name), [query], from, until
//   GET /pyroscope/profile-types   [query], from, until
// docs/profiles_api.md gives every response shape. Bad parameters answer 400
// with a plain-text message naming the parameter; store failures 500/503.
//
// Thread-safety: handlers may run concurrently (the stores are thread-safe).
#pragma once

#include <cstdint>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"

namespace quartet::api {

struct PyroscopeApiOptions {
  // Flame graph nodes returned when maxNodes is absent (Pyroscope's
  // default); maxNodes=0 asks for every node.
  int64_t default_max_nodes = 8192;
  // The window when from/until are absent: [now - this, now).
  int64_t default_range_ns = 3600LL * 1'000'000'000;
};

class PyroscopeApi {
 public:
  // `profiles` must outlive this object. `traces` (may be null) resolves
  // trace_id= to the trace's span ids for the profile of a whole trace.
  explicit PyroscopeApi(store::ProfileStore* profiles, store::TraceStore* traces = nullptr,
                        PyroscopeApiOptions options = {});

  void Register(server::Router* router);
  server::HttpResponse Render(const server::HttpRequest& request);
  server::HttpResponse RenderDiff(const server::HttpRequest& request);
  server::HttpResponse Top(const server::HttpRequest& request);
  server::HttpResponse DiffFunctions(const server::HttpRequest& request);
  server::HttpResponse LabelNames(const server::HttpRequest& request);
  server::HttpResponse LabelValues(const server::HttpRequest& request);
  server::HttpResponse ProfileTypes(const server::HttpRequest& request);

 private:
  store::ProfileStore* profiles_;
  store::TraceStore* traces_;
  PyroscopeApiOptions options_;
};

}  // namespace quartet::api

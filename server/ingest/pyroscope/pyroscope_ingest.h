// PyroscopeIngest: Pyroscope's push API, POST /ingest, for Pyroscope clients
// (@pyroscope/nodejs, pyroscope-go, ...) and this project's SDK: pprof (raw
// or gzipped, or multipart with sample_type_config) and folded/lines text,
// parsed by ingest_request.h, stored in a ProfileStore with every sample
// type as its own profile type. Plain pprof uploads work too (format=pprof
// and service_name=<app> instead of name). Success is 200 with an empty
// body, as in Pyroscope; a bad upload is a 400 whose text names the problem
// (nothing stored); store push-back is 429 (over the memory limit) or 503,
// with Retry-After.
//
// Also GET /pyroscope/debug/profile-count?type=<profile type>&from&until
// [&service_name=][&span_id=]: {"profiles":N,"total":S}, the number of
// stored profiles and the sum of their sample values, for tests and
// operators until the query API lands.
//
// Thread-safety: handlers may run concurrently; counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/ingest/pyroscope/ingest_request.h"
#include "server/store/interface.h"

namespace quartet::ingest {

struct PyroscopeIngestStats {
  int64_t profiles_accepted = 0;  // profile types stored (one per sample type)
  int64_t samples_accepted = 0;
  int64_t bad_requests = 0;
  int64_t pushed_back = 0;
};

class PyroscopeIngest {
 public:
  // `profiles` must outlive this object.
  PyroscopeIngest(store::ProfileStore* profiles, IngestLimits limits, int retry_after_seconds = 1);

  void Register(server::Router* router);
  server::HttpResponse Ingest(const server::HttpRequest& request);
  server::HttpResponse ProfileCount(const server::HttpRequest& request);
  PyroscopeIngestStats stats() const;

 private:
  store::ProfileStore* profiles_;
  IngestLimits limits_;
  int retry_after_seconds_;
  std::atomic<int64_t> profiles_accepted_{0}, samples_accepted_{0}, bad_requests_{0},
      pushed_back_{0};
};

}  // namespace quartet::ingest

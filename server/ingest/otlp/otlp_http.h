// OtlpHttpIngest: OTLP/HTTP receivers for traces (POST /v1/traces) and logs
// (POST /v1/logs), per the OTLP specification: application/x-protobuf or
// application/json bodies (answered in the request's format), gzip already
// undone by the HTTP server, 200 with an Export*ServiceResponse (partial
// success when some items were refused), 400 with a google.rpc.Status naming
// the field for bad data, 413 when decoding would take too much memory, 415
// for other content types, 429 / 503 with Retry-After when the store pushes
// back (the exporter retries; nothing of that request was stored).
//
// Thread-safety: handlers may run concurrently on the server's workers; the
// stores are thread-safe and the counters atomic.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"
#include "wire/otlp/model.h"

namespace quartet::ingest {

struct OtlpLimits {
  // A string or bytes attribute value (or log body) longer than this makes
  // the request a 400 that names it: huge values are almost always a bug
  // (a whole payload logged as an attribute), and silently cutting them would
  // hide it.
  size_t max_value_bytes = 256 * 1024;
  // Seconds a client is told to wait when the store pushes back.
  int retry_after_seconds = 1;
};

struct OtlpIngestStats {
  int64_t spans_accepted = 0;
  int64_t spans_rejected = 0;
  int64_t logs_accepted = 0;
  int64_t bad_requests = 0;  // 400, 413, 415
  int64_t pushed_back = 0;   // 429, 503
};

class OtlpHttpIngest {
 public:
  // The stores must outlive this object.
  OtlpHttpIngest(store::TraceStore* traces, store::LogStore* logs, OtlpLimits limits = {});

  void Register(server::Router* router);
  server::HttpResponse Traces(const server::HttpRequest& request);
  server::HttpResponse Logs(const server::HttpRequest& request);

  OtlpIngestStats stats() const;

 private:
  store::TraceStore* traces_;
  store::LogStore* logs_;
  OtlpLimits limits_;
  std::atomic<int64_t> spans_accepted_{0}, spans_rejected_{0}, logs_accepted_{0}, bad_requests_{0},
      pushed_back_{0};
};

// Checks every string and bytes value (attributes of resources, scopes,
// spans, events and links, recursively; log bodies) against `max_bytes`.
// InvalidArgument names the path, e.g.
//   resource_spans[0].scope_spans[0].spans[3].attributes["db.statement"]: value is 2097152 bytes,
//   over the 262144-byte limit
Status CheckValueSizes(const otlp::ExportTraceServiceRequest& request, size_t max_bytes);
Status CheckValueSizes(const otlp::ExportLogsServiceRequest& request, size_t max_bytes);

}  // namespace quartet::ingest

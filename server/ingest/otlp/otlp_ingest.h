// OtlpIngest: OTLP receivers for traces and logs, per the OTLP
// specification. Export() does the transport-neutral part (decode, check,
// store) and says how it went; the OTLP/HTTP handlers (POST /v1/traces,
// /v1/logs) and the OTLP/gRPC service (otlp_grpc.h) map that to their status
// codes. Over HTTP: application/x-protobuf or
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
#include "server/ingest/otlp/span_observer.h"
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

// How an export went, whatever the transport.
struct ExportOutcome {
  enum class Kind {
    kOk,           // stored (result says how many were refused: partial success)
    kBadData,      // undecodable or invalid: 400 / INVALID_ARGUMENT, not retryable
    kTooLarge,     // decoding would take too much memory: 413 / RESOURCE_EXHAUSTED
    kBusy,         // the store pushes back: 429 / UNAVAILABLE, retry later
    kUnavailable,  // the store cannot write (closed, disk error): 503 / UNAVAILABLE
  };
  Kind kind = Kind::kOk;
  std::string message;
  store::AppendResult result;
};

enum class OtlpFormat { kProtobuf, kJson };
enum class OtlpSignal { kTraces, kLogs };

struct OtlpIngestStats {
  int64_t spans_accepted = 0;
  int64_t spans_rejected = 0;
  int64_t logs_accepted = 0;
  int64_t bad_requests = 0;  // 400, 413, 415
  int64_t pushed_back = 0;   // 429, 503
};

class OtlpIngest {
 public:
  // The stores must outlive this object.
  OtlpIngest(store::TraceStore* traces, store::LogStore* logs, OtlpLimits limits = {});

  // Decodes `body`, checks it and stores it; counts the outcome.
  ExportOutcome Export(OtlpSignal signal, OtlpFormat format, std::string_view body);
  const OtlpLimits& limits() const { return limits_; }

  void Register(server::Router* router);
  server::HttpResponse Traces(const server::HttpRequest& request);
  server::HttpResponse Logs(const server::HttpRequest& request);

  OtlpIngestStats stats() const;

  // Tells `observer` (null: nobody) about every span batch stored, over HTTP
  // and gRPC; set before serving. The observer must outlive this object.
  void SetSpanObserver(SpanObserver* observer) { span_observer_ = observer; }

 private:
  server::HttpResponse Handle(OtlpSignal signal, const server::HttpRequest& request);

  store::TraceStore* traces_;
  store::LogStore* logs_;
  OtlpLimits limits_;
  SpanObserver* span_observer_ = nullptr;
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

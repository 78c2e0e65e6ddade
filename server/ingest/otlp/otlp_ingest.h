// OtlpIngest: OTLP receivers for traces, logs and metrics, per the OTLP
// specification. Export() does the transport-neutral part (decode, check,
// store) and says how it went; the OTLP/HTTP handlers (POST /v1/traces,
// /v1/logs, /v1/metrics) and the OTLP/gRPC service (otlp_grpc.h) map that to
// their status codes. Metrics are mapped to Prometheus series as
// metric_mapping.h describes (delta temporality made cumulative by one
// DeltaToCumulative shared by both transports). Over HTTP: application/x-protobuf or
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
#include "server/ingest/otlp/delta_to_cumulative.h"
#include "server/ingest/otlp/metric_mapping.h"
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
  // Running totals for delta-temporality metrics.
  DeltaToCumulativeOptions deltas;
  MetricMappingOptions metric_mapping;
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
enum class OtlpSignal { kTraces, kLogs, kMetrics };

struct OtlpIngestStats {
  int64_t spans_accepted = 0;
  int64_t spans_rejected = 0;
  int64_t logs_accepted = 0;
  int64_t metric_points_accepted = 0;
  int64_t metric_points_rejected = 0;   // at mapping (see metric_mapping.h)
  int64_t metric_samples_rejected = 0;  // by the store (out of order, limits)
  int64_t bad_requests = 0;             // 400, 413, 415
  int64_t pushed_back = 0;              // 429, 503
};

class OtlpIngest {
 public:
  // The stores must outlive this object. Without a metric store,
  // /v1/metrics is not registered and metric exports are answered 503.
  OtlpIngest(store::TraceStore* traces, store::LogStore* logs, OtlpLimits limits = {});
  OtlpIngest(store::TraceStore* traces, store::LogStore* logs, store::MetricStore* metrics,
             OtlpLimits limits = {});

  // Decodes `body`, checks it and stores it; counts the outcome.
  ExportOutcome Export(OtlpSignal signal, OtlpFormat format, std::string_view body);
  const OtlpLimits& limits() const { return limits_; }

  void Register(server::Router* router);
  server::HttpResponse Traces(const server::HttpRequest& request);
  server::HttpResponse Logs(const server::HttpRequest& request);
  server::HttpResponse Metrics(const server::HttpRequest& request);
  DeltaToCumulativeStats delta_stats() const { return deltas_.stats(); }

  OtlpIngestStats stats() const;

  // Tells `observer` (null: nobody) about every span batch stored, over HTTP
  // and gRPC; set before serving. The observer must outlive this object.
  void SetSpanObserver(SpanObserver* observer) { span_observer_ = observer; }

 private:
  server::HttpResponse Handle(OtlpSignal signal, const server::HttpRequest& request);
  ExportOutcome ExportMetrics(OtlpFormat format, std::string_view body);

  store::TraceStore* traces_;
  store::LogStore* logs_;
  store::MetricStore* metrics_ = nullptr;
  OtlpLimits limits_;
  SpanObserver* span_observer_ = nullptr;
  DeltaToCumulative deltas_;
  std::atomic<int64_t> spans_accepted_{0}, spans_rejected_{0}, logs_accepted_{0}, bad_requests_{0},
      pushed_back_{0}, points_accepted_{0}, points_rejected_{0}, samples_rejected_{0};
};

// Checks every string and bytes value (attributes of resources, scopes,
// spans, events and links, recursively; log bodies) against `max_bytes`.
// InvalidArgument names the path, e.g.
//   resource_spans[0].scope_spans[0].spans[3].attributes["db.statement"]: value is 2097152 bytes,
//   over the 262144-byte limit
Status CheckValueSizes(const otlp::ExportTraceServiceRequest& request, size_t max_bytes);
Status CheckValueSizes(const otlp::ExportLogsServiceRequest& request, size_t max_bytes);
Status CheckValueSizes(const otlp::ExportMetricsServiceRequest& request, size_t max_bytes);

}  // namespace quartet::ingest

// SpanMetrics: request rate, errors and duration histograms derived from
// ingested spans, the role of Tempo's metrics-generator (span-metrics
// processor), so a service instrumented only with traces still gets RED
// dashboards and alerts. Series are written into the MetricStore under
// Tempo's names and labels, so dashboards built for Tempo work unchanged:
//   traces_spanmetrics_calls_total{service, span_name, span_kind, status_code
//                                  [, http_route][, http_response_status_code]}
//   traces_spanmetrics_latency_bucket{..., le} / _sum / _count   (seconds)
// span_kind is "SPAN_KIND_SERVER" etc. and status_code "STATUS_CODE_ERROR"
// etc. (the OTLP enum names, as Tempo); http_route comes from the span's
// http.route and http_response_status_code from http.response.status_code
// (or the older http.status_code); labels whose value is absent are left out.
// The buckets are Tempo's defaults, 2 ms doubling to 16.384 s (and +Inf).
//
// Counting and timestamps (docs/architecture.md, "Span metrics"): counters
// are cumulative in memory and written every `interval` with the wall clock
// of the flush, as Tempo does; a new series first gets a 0 sample at the time
// its first span was seen, so rate() and increase() count that span. Spans are
// counted when they arrive, not at their end time, so replayed or late spans
// (end time more than `ingestion_slack` before now, or as far in the future)
// are not counted at all: counting them now would invent a spike at the wrong
// time. They are counted in stats().late_spans. Each latency bucket series
// keeps the trace_id/span_id of its latest `exemplars_per_bucket` spans since
// the last flush as exemplars (timestamp: the span's end), and the calls
// counter the latest one. At most `max_series` label sets are tracked; spans
// of new label sets beyond it are dropped and counted (`on_limit` is told
// once per flush). A series with no span for `stale_after` is forgotten.
//
// Thread-safety: Observe and Commit may be called concurrently from any ingest
// thread (one mutex, held briefly per batch); Flush, Start and Stop from any
// thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "server/ingest/otlp/span_observer.h"
#include "server/store/interface.h"

namespace quartet::ingest {

struct SpanMetricsOptions {
  std::chrono::milliseconds interval{15'000};
  std::vector<double> buckets = {0.002, 0.004, 0.008, 0.016, 0.032, 0.064, 0.128,
                                 0.256, 0.512, 1.024, 2.048, 4.096, 8.192, 16.384};
  // Label sets; each makes 18 series (15 of them buckets), so the default
  // keeps the bucket metric under the metric store's 100,000 series per metric.
  size_t max_series = 5'000;
  size_t exemplars_per_bucket = 1;
  std::chrono::milliseconds ingestion_slack{30'000};
  std::chrono::milliseconds stale_after{15 * 60'000};
  // Wall clock in unix milliseconds (tests inject one).
  std::function<int64_t()> now_ms;
  // Told once per flush when spans were dropped for the series limit (the
  // count since the last report); main logs it.
  std::function<void(int64_t dropped_spans, size_t max_series)> on_limit;
};

struct SpanMetricsStats {
  int64_t spans_counted = 0;
  int64_t late_spans = 0;          // end time outside now +- ingestion_slack
  int64_t series_limit_spans = 0;  // dropped: new label set over max_series
  int64_t series = 0;              // label sets tracked now
  int64_t flushes = 0;
  int64_t samples_written = 0;
  int64_t exemplars_written = 0;
  int64_t append_errors = 0;  // flushes the store refused
};

class SpanMetrics final : public SpanObserver {
 public:
  // `metrics` must outlive this object.
  SpanMetrics(store::MetricStore* metrics, SpanMetricsOptions options = {});
  ~SpanMetrics() override;

  // Computes each span's series key and values (outside the lock); Commit
  // counts them, and the spans outside the ingestion slack as late.
  std::unique_ptr<Pending> Observe(
      const otlp::ExportTraceServiceRequest& request) noexcept override;
  void Commit(std::unique_ptr<Pending> pending) noexcept override;

  // Writes every series' current values at `now_ms` (and forgets stale ones).
  Status Flush(int64_t now_ms);
  Status Flush() { return Flush(NowMs()); }

  // A background thread flushing every interval until Stop (which flushes a
  // last time).
  void Start();
  void Stop();

  SpanMetricsStats stats() const;

 private:
  struct Exemplar {
    TraceId trace_id;
    SpanId span_id;
    double seconds = 0;
    int64_t t_ms = 0;
  };
  struct Series {
    store::Labels labels;  // without __name__ and le, sorted
    uint64_t calls = 0;
    std::vector<uint64_t> buckets;  // cumulative-by-bucket later; here per bucket, +Inf last
    double sum_seconds = 0;
    int64_t created_ms = 0;                        // when its first span was counted
    int64_t last_seen_ms = 0;                      // when its latest span was counted
    bool written = false;                          // has the 0 sample been written
    std::vector<std::vector<Exemplar>> exemplars;  // per bucket, newest last
    std::optional<Exemplar> latest;                // for the calls counter
  };
  struct Observation;
  struct Observed;

  int64_t NowMs() const;
  void Record(const Observation& o, int64_t now_ms);
  void AppendSeries(const Series& s, int64_t now_ms, store::MetricBatch* batch) const;

  store::MetricStore* metrics_;
  const SpanMetricsOptions options_;

  mutable std::mutex mu_;
  std::unordered_map<std::string, Series> series_;  // GUARDED_BY(mu_); key: label values
  int64_t limit_dropped_unreported_ = 0;            // GUARDED_BY(mu_)
  std::mutex flush_mu_;  // one flush at a time, so samples go out in time order

  std::atomic<int64_t> spans_counted_{0}, late_spans_{0}, series_limit_spans_{0}, flushes_{0},
      samples_written_{0}, exemplars_written_{0}, append_errors_{0};

  std::mutex thread_mu_;
  std::condition_variable wake_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace quartet::ingest

// Span batches from several ingest threads while flushes run: every span is
// counted exactly once and the written counters never go down.
#include <gtest/gtest.h>

#include <atomic>
#include <map>
#include <mutex>
#include <thread>

#include "base/clock.h"
#include "server/ingest/spanmetrics/span_metrics.h"
#include "server/store/append_only_metric_store.h"

namespace quartet::ingest {
namespace {

class LastValueStore final : public store::AppendOnlyMetricStore {
 public:
  Result<store::MetricAppendResult> Append(const store::MetricBatch& batch) override {
    std::lock_guard<std::mutex> lock(mu_);
    for (const store::SeriesSamples& s : batch.series) {
      if (s.labels[0].second != "traces_spanmetrics_calls_total") continue;
      for (const store::Sample& sample : s.samples) {
        double& last = last_[s.labels];
        EXPECT_GE(sample.v, last == 0 ? 0 : last);
        last = sample.v;
      }
    }
    return store::MetricAppendResult{};
  }

  double Total() {
    std::lock_guard<std::mutex> lock(mu_);
    double total = 0;
    for (const auto& [labels, v] : last_) total += v;
    return total;
  }

 private:
  std::mutex mu_;
  std::map<store::Labels, double> last_;
};

TEST(SpanMetricsConcurrencyTest, ConcurrentBatchesAndFlushesCountEverySpanOnce) {
  LastValueStore store;
  SpanMetrics m(&store, {.interval = std::chrono::milliseconds(2)});
  m.Start();
  constexpr int kThreads = 4, kBatches = 200, kSpansPerBatch = 10;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int b = 0; b < kBatches; ++b) {
        otlp::ExportTraceServiceRequest r;
        r.resource_spans.emplace_back();
        r.resource_spans[0].resource.attributes.push_back(
            {"service.name", otlp::AnyValue::String("svc" + std::to_string(t))});
        r.resource_spans[0].scope_spans.emplace_back();
        const uint64_t end = static_cast<uint64_t>(UnixNanos());
        for (int i = 0; i < kSpansPerBatch; ++i) {
          otlp::Span span;
          span.name = "op" + std::to_string(i % 3);
          span.kind = otlp::SpanKind::kServer;
          span.start_time_unix_nano = end - 1'000'000;
          span.end_time_unix_nano = end;
          span.trace_id.bytes.fill(static_cast<uint8_t>(b + 1));
          span.span_id.bytes.fill(static_cast<uint8_t>(i + 1));
          r.resource_spans[0].scope_spans[0].spans.push_back(span);
        }
        m.OnSpansStored(r);
      }
    });
  }
  for (std::thread& t : threads) t.join();
  m.Stop();  // flushes a last time
  EXPECT_EQ(m.stats().spans_counted, kThreads * kBatches * kSpansPerBatch);
  EXPECT_EQ(store.Total(), kThreads * kBatches * kSpansPerBatch);
  EXPECT_EQ(m.stats().series, kThreads * 3);
}

}  // namespace
}  // namespace quartet::ingest

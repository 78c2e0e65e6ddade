// What span metrics cost on the ingest path: OnSpansStored per span for a
// typical batch (one service, 512 spans over 20 label sets), and a flush.
#include <benchmark/benchmark.h>

#include "base/clock.h"
#include "server/ingest/spanmetrics/span_metrics.h"
#include "server/store/append_only_metric_store.h"

namespace quartet::ingest {
namespace {

class NullStore final : public store::AppendOnlyMetricStore {
 public:
  Result<store::MetricAppendResult> Append(const store::MetricBatch&) override {
    return store::MetricAppendResult{};
  }
};

otlp::ExportTraceServiceRequest Batch(int spans) {
  otlp::ExportTraceServiceRequest r;
  r.resource_spans.emplace_back();
  r.resource_spans[0].resource.attributes.push_back(
      {"service.name", otlp::AnyValue::String("checkout")});
  r.resource_spans[0].scope_spans.emplace_back();
  const uint64_t end = static_cast<uint64_t>(UnixNanos());
  for (int i = 0; i < spans; ++i) {
    otlp::Span span;
    span.name = "GET /route" + std::to_string(i % 20);
    span.kind = otlp::SpanKind::kServer;
    span.start_time_unix_nano = end - static_cast<uint64_t>(i) * 100'000;
    span.end_time_unix_nano = end;
    span.attributes.push_back({"http.route", otlp::AnyValue::String(span.name)});
    span.attributes.push_back({"http.response.status_code", otlp::AnyValue::Int(200)});
    span.trace_id.bytes.fill(static_cast<uint8_t>(i + 1));
    span.span_id.bytes.fill(static_cast<uint8_t>(i + 1));
    r.resource_spans[0].scope_spans[0].spans.push_back(std::move(span));
  }
  return r;
}

void BM_OnSpansStored(benchmark::State& state) {
  NullStore store;
  SpanMetrics m(&store, {.ingestion_slack = std::chrono::hours(1)});
  otlp::ExportTraceServiceRequest batch = Batch(512);
  for (auto _ : state) m.OnSpansStored(batch);
  state.SetItemsProcessed(state.iterations() * 512);
}
BENCHMARK(BM_OnSpansStored);

void BM_Flush(benchmark::State& state) {
  NullStore store;
  SpanMetrics m(&store, {.ingestion_slack = std::chrono::hours(1)});
  m.OnSpansStored(Batch(512));
  for (auto _ : state) benchmark::DoNotOptimize(m.Flush());
  state.SetLabel("20 label sets, 360 series");
}
BENCHMARK(BM_Flush);

}  // namespace
}  // namespace quartet::ingest

BENCHMARK_MAIN();

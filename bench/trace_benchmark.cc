// Tracing hot-path costs on the caller's thread, and the export side's
// throughput. Targets: dropped span (start+end) <= 25 ns; sampled span with 4
// attributes and a Scope, batch-processed <= 250 ns; background side >= 200k
// spans/s. Run: build/bin/trace_benchmark --benchmark_min_time=0.2
#include <benchmark/benchmark.h>

#include <chrono>
#include <map>
#include <string>

#include "quartet/trace.h"
#include "sdk/trace/batch_span_processor.h"
#include "sdk/trace/otlp_span_exporter.h"
#include "sdk/trace/tracer_provider.h"
#include "wire/compress/gzip.h"

namespace {

using namespace quartet;
using namespace quartet::trace_internal;

std::unique_ptr<TracerProvider> MakeProvider(SamplerKind kind, size_t queue = 2048) {
  TracerProviderOptions options;
  options.sampler = {kind, 1.0, {}};
  options.batch.max_queue_size = queue;
  options.batch.schedule_delay = std::chrono::milliseconds(5000);
  return std::make_unique<TracerProvider>(std::move(options));  // discarding exporter
}

void BM_NoopTracerSpan(benchmark::State& state) {
  class Tracer& tracer = quartet::Tracer();
  for (auto _ : state) {
    Span span = tracer.StartSpan("op");
    benchmark::DoNotOptimize(span.context());
  }
}
BENCHMARK(BM_NoopTracerSpan);

void BM_DroppedSpan(benchmark::State& state) {
  auto provider = MakeProvider(SamplerKind::kAlwaysOff);
  class Tracer& tracer = provider->tracer();
  for (auto _ : state) {
    Span span = tracer.StartSpan("op");
    benchmark::DoNotOptimize(span.context());
    span.End();
  }
}
BENCHMARK(BM_DroppedSpan);

void BM_DroppedChildSpanWithScope(benchmark::State& state) {
  auto provider = MakeProvider(SamplerKind::kParentBasedAlwaysOff);
  class Tracer& tracer = provider->tracer();
  Span parent = tracer.StartSpan("parent");
  Scope outer(parent);
  for (auto _ : state) {
    Span span = tracer.StartSpan("op");
    Scope scope(span);
    benchmark::DoNotOptimize(span.context());
  }
}
BENCHMARK(BM_DroppedChildSpanWithScope);

// The export thread keeps up or spans are dropped; drops are reported so a
// fast figure bought by dropping is visible.
void BM_SampledSpan4AttrsScope(benchmark::State& state) {
  auto provider = MakeProvider(SamplerKind::kAlwaysOn);
  class Tracer& tracer = provider->tracer();
  for (auto _ : state) {
    Span span =
        tracer.StartSpan("GET /checkout", {.kind = SpanKind::kServer,
                                           .attributes = {{"http.route", "/checkout"},
                                                          {"http.request.method", "GET"},
                                                          {"http.response.status_code", 200},
                                                          {"user.premium", true}}});
    Scope scope(span);
    benchmark::DoNotOptimize(span.context());
  }
  provider->Shutdown(std::chrono::seconds(10));
  const auto& c = provider->counters();
  state.counters["dropped_pct"] = benchmark::Counter(
      c.spans_ended ? 100.0 * c.spans_dropped / c.spans_ended : 0, benchmark::Counter::kAvgThreads);
}
BENCHMARK(BM_SampledSpan4AttrsScope);
BENCHMARK(BM_SampledSpan4AttrsScope)->Threads(2);

// Export side: queue full batches, then time the drain (dequeue, export,
// free) with ForceFlush. `exporter` decides what "export" costs.
void ExportThroughput(benchmark::State& state, std::unique_ptr<SpanExporter> exporter) {
  auto counters = std::make_shared<TraceCounters>();
  BatchOptions options;
  options.max_queue_size = 2048;
  options.schedule_delay = std::chrono::milliseconds(60000);
  BatchSpanProcessor processor(std::move(exporter), options, counters);
  size_t spans = 0;
  for (auto _ : state) {
    state.PauseTiming();
    for (int i = 0; i < 2048; ++i) {
      auto* r = new SpanRecord;
      r->name = "GET /checkout";
      r->context.trace_id.bytes[0] = static_cast<uint8_t>(i + 1);
      r->context.span_id.bytes[0] = static_cast<uint8_t>(i + 1);
      r->start_unix_nanos = 1'700'000'000'000'000'000 + i;
      r->end_unix_nanos = r->start_unix_nanos + 42'000'000;
      r->attributes.reserve(4);
      r->attributes.push_back({"http.route", std::string("/checkout")});
      r->attributes.push_back({"http.request.method", std::string("GET")});
      r->attributes.push_back({"http.response.status_code", int64_t{200}});
      r->attributes.push_back({"user.premium", true});
      processor.OnEnd(r);
    }
    state.ResumeTiming();
    processor.ForceFlush(std::chrono::seconds(10));
    spans += 2048;
  }
  state.counters["spans_per_s"] =
      benchmark::Counter(static_cast<double>(spans), benchmark::Counter::kIsRate);
}

// The batch machinery alone: the exporter discards.
void BM_ExportThroughput(benchmark::State& state) {
  struct Discard : SpanExporter {
    ExportResult Export(std::span<const SpanRecord* const>, Deadline) noexcept override {
      return ExportResult::kSuccess;
    }
  };
  ExportThroughput(state, std::make_unique<Discard>());
}
BENCHMARK(BM_ExportThroughput)->UseRealTime();

// What the SDK's exporter thread really does short of the socket: encode each
// batch as an OTLP/protobuf request (optionally gzipped, as with
// OTEL_EXPORTER_OTLP_COMPRESSION=gzip) and hand it to the sender.
void BM_OtlpExportThroughput(benchmark::State& state) {
  const bool gzip = state.range(0) != 0;
  std::vector<KeyValue> resource = {{"service.name", std::string("checkout")},
                                    {"service.version", std::string("1.0.0")}};
  size_t bytes = 0;
  auto sender = [&](std::string_view body, Deadline) {
    if (gzip) {
      bytes += compress::GzipCompress(body, 1)->size();
    } else {
      bytes += body.size();
    }
    return ExportResult::kSuccess;
  };
  ExportThroughput(state, std::make_unique<OtlpSpanExporter>(resource, sender));
  state.counters["wire_bytes_per_s"] =
      benchmark::Counter(static_cast<double>(bytes), benchmark::Counter::kIsRate);
}
BENCHMARK(BM_OtlpExportThroughput)->Arg(0)->Arg(1)->UseRealTime();

void BM_InjectExtract(benchmark::State& state) {
  auto provider = MakeProvider(SamplerKind::kAlwaysOn);
  Span span = provider->tracer().StartSpan("op");
  Context ctx = Context().WithSpan(span);
  std::string traceparent;
  for (auto _ : state) {
    Inject(ctx, [&](std::string_view k, std::string_view v) {
      if (k == "traceparent") traceparent.assign(v);
    });
    Context in = Extract([&](std::string_view k) {
      return k == "traceparent" ? std::string_view(traceparent) : std::string_view();
    });
    benchmark::DoNotOptimize(in.span_context());
  }
}
BENCHMARK(BM_InjectExtract);

}  // namespace

BENCHMARK_MAIN();

// quartet metrics vs prometheus-cpp, same process, same run:
//   bound counter increment, histogram observation (1 and 2 threads on the
//   same series), and label lookup + increment.
// Run: build-m/bin/metrics_benchmark --benchmark_min_time=0.2
// Compare each quartet figure with its Prometheus peer on the line below it.
#include <benchmark/benchmark.h>
#include <prometheus/counter.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <string>

#include "quartet/metrics.h"
#include "sdk/context/current.h"

namespace {

quartet::MetricRegistry& QRegistry() {
  static auto* r = new quartet::MetricRegistry;
  return *r;
}

prometheus::Registry& PRegistry() {
  static auto* r = new prometheus::Registry;
  return *r;
}

const std::vector<double>& Buckets() {
  static const std::vector<double> b = quartet::DefaultBuckets();
  return b;
}

// ---- Bound counter increment --------------------------------------------

void BM_Quartet_CounterInc(benchmark::State& state) {
  static quartet::Counter c = QRegistry()
                                  .Counter("bench_requests_total", "R.", {"method", "route"})
                                  .WithLabels({"GET", "/orders/:id"});
  for (auto _ : state) c.Inc();
}
BENCHMARK(BM_Quartet_CounterInc)->Threads(1)->Threads(2);

void BM_PrometheusCpp_CounterInc(benchmark::State& state) {
  static prometheus::Counter& c = prometheus::BuildCounter()
                                      .Name("bench_requests_total")
                                      .Help("R.")
                                      .Register(PRegistry())
                                      .Add({{"method", "GET"}, {"route", "/orders/:id"}});
  for (auto _ : state) c.Increment();
}
BENCHMARK(BM_PrometheusCpp_CounterInc)->Threads(1)->Threads(2);

// ---- Histogram observation -------------------------------------------------

void BM_Quartet_HistogramObserve(benchmark::State& state) {
  static quartet::Histogram h =
      QRegistry().Histogram("bench_latency_seconds", "L.", {"route"}).WithLabels({"/orders/:id"});
  double v = 0.0001;
  for (auto _ : state) {
    h.Observe(v);
    v = v < 20 ? v * 1.7 : 0.0001;  // walk across all buckets
  }
}
BENCHMARK(BM_Quartet_HistogramObserve)->Threads(1)->Threads(2);

void BM_PrometheusCpp_HistogramObserve(benchmark::State& state) {
  static prometheus::Histogram& h = prometheus::BuildHistogram()
                                        .Name("bench_latency_seconds")
                                        .Help("L.")
                                        .Register(PRegistry())
                                        .Add({{"route", "/orders/:id"}}, Buckets());
  double v = 0.0001;
  for (auto _ : state) {
    h.Observe(v);
    v = v < 20 ? v * 1.7 : 0.0001;
  }
}
BENCHMARK(BM_PrometheusCpp_HistogramObserve)->Threads(1)->Threads(2);

// The cost of an exemplar: the same observation under a sampled span.
void BM_Quartet_HistogramObserveSampledSpan(benchmark::State& state) {
  static quartet::Histogram h =
      QRegistry().Histogram("bench_traced_seconds", "L.", {"route"}).WithLabels({"/orders/:id"});
  quartet::SpanContext span;
  span.trace_id.bytes[0] = 1;
  span.span_id.bytes[0] = 1;
  span.trace_flags = quartet::kTraceFlagSampled;
  quartet::context_internal::Frame frame;
  frame.span = &span;
  quartet::context_internal::Push(&frame);
  for (auto _ : state) h.Observe(0.042);
  quartet::context_internal::Pop(&frame);
}
BENCHMARK(BM_Quartet_HistogramObserveSampledSpan)->Threads(1)->Threads(2);

// ---- Label lookup + increment ---------------------------------------------

void BM_Quartet_LabelLookupInc(benchmark::State& state) {
  static quartet::CounterFamily f =
      QRegistry().Counter("bench_lookup_total", "L.", {"method", "route", "status"});
  for (auto _ : state) f.WithLabels({"GET", "/orders/:id", "200"}).Inc();
}
BENCHMARK(BM_Quartet_LabelLookupInc);

void BM_PrometheusCpp_LabelLookupInc(benchmark::State& state) {
  static prometheus::Family<prometheus::Counter>& f =
      prometheus::BuildCounter().Name("bench_lookup_total").Help("L.").Register(PRegistry());
  for (auto _ : state) {
    f.Add({{"method", "GET"}, {"route", "/orders/:id"}, {"status", "200"}}).Increment();
  }
}
BENCHMARK(BM_PrometheusCpp_LabelLookupInc);

// ---- Exposition -------------------------------------------------------------

void BM_Quartet_Render100Series(benchmark::State& state) {
  static quartet::MetricRegistry* r = [] {
    auto* reg = new quartet::MetricRegistry;
    auto f = reg->Histogram("render_seconds", "R.", {"route"});
    for (int i = 0; i < 100; ++i) f.WithLabels({"/route/" + std::to_string(i)}).Observe(0.1);
    return reg;
  }();
  for (auto _ : state) benchmark::DoNotOptimize(r->Render(quartet::MetricsFormat::kText004));
}
BENCHMARK(BM_Quartet_Render100Series);

}  // namespace

BENCHMARK_MAIN();

// PromQL engine over 1,000 series from the in-memory source, 1 h range at a
// 15 s step (241 steps): a plain rate() and the classic latency-quantile
// query over histogram buckets.
//   build-promqlspeed/bin/promql_benchmark (CPU time is the figure to read
//   on a shared machine)
#include <benchmark/benchmark.h>

#include <cstdlib>

#include "server/query/promql/engine.h"
#include "server/query/promql/memory_series_source.h"

namespace quartet::promql {
namespace {

constexpr int64_t kStart = 1'700'000'000'000;
constexpr int64_t kHour = 3'600'000;
constexpr int64_t kScrape = 15'000;

std::vector<Point> Counter(int seed, int64_t from, int64_t to) {
  std::vector<Point> pts;
  double v = 0;
  uint32_t x = static_cast<uint32_t>(seed) * 2654435761u + 1;
  for (int64_t t = from; t <= to; t += kScrape) {
    x = x * 1664525u + 1013904223u;
    v += (x >> 24) % 10;
    pts.push_back(Point{t, v});
  }
  return pts;
}

// 1,000 counter series `http_requests_total{instance, job}`.
MemorySeriesSource* CounterSource() {
  static MemorySeriesSource* src = [] {
    auto* s = new MemorySeriesSource;
    for (int i = 0; i < 1000; ++i) {
      s->Add({{"__name__", "http_requests_total"},
              {"instance", "host-" + std::to_string(i)},
              {"job", "job-" + std::to_string(i % 10)}},
             Counter(i, kStart - 10 * 60'000, kStart + kHour));
    }
    return s;
  }();
  return src;
}

// 1,000 bucket series: 100 instances x 10 `le` bounds of x_bucket.
MemorySeriesSource* HistogramSource() {
  static MemorySeriesSource* src = [] {
    auto* s = new MemorySeriesSource;
    const char* les[] = {"0.005", "0.01", "0.025", "0.05", "0.1",
                         "0.25",  "0.5",  "1",     "2.5",  "+Inf"};
    for (int i = 0; i < 100; ++i) {
      std::vector<Point> base = Counter(i, kStart - 10 * 60'000, kStart + kHour);
      for (int b = 0; b < 10; ++b) {
        std::vector<Point> pts = base;
        for (Point& p : pts) p.v = p.v * (b + 1) / 10.0;
        s->Add(
            {{"__name__", "x_bucket"}, {"instance", "host-" + std::to_string(i)}, {"le", les[b]}},
            std::move(pts));
      }
    }
    return s;
  }();
  return src;
}

void Run(benchmark::State& state, MemorySeriesSource* src, const char* query,
         bool step_by_step = false) {
  EngineOptions options;
  options.step_by_step = step_by_step;
  Engine engine(src, options);
  size_t points = 0;
  for (auto _ : state) {
    Result<QueryResult> r = engine.Range(query, kStart, kStart + kHour, 15'000);
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      return;
    }
    points = 0;
    for (const Series& s : r->matrix) points += s.points.size();
    benchmark::DoNotOptimize(points);
  }
  state.counters["series_steps"] = static_cast<double>(1000 * 241);
  state.counters["out_points"] = static_cast<double>(points);
}

void BM_Rate(benchmark::State& state) {
  Run(state, CounterSource(), "rate(http_requests_total[5m])");
}
BENCHMARK(BM_Rate)->Unit(benchmark::kMillisecond);

void BM_HistogramQuantile(benchmark::State& state) {
  Run(state, HistogramSource(), "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))");
}
BENCHMARK(BM_HistogramQuantile)->Unit(benchmark::kMillisecond);

void BM_SumRate(benchmark::State& state) {
  Run(state, CounterSource(), "sum by (job) (rate(http_requests_total[5m]))");
}
BENCHMARK(BM_SumRate)->Unit(benchmark::kMillisecond);

// The same queries on the step-by-step reference path (what every range
// query ran on before range_eval.cc).
void BM_RateStepByStep(benchmark::State& state) {
  Run(state, CounterSource(), "rate(http_requests_total[5m])", true);
}
BENCHMARK(BM_RateStepByStep)->Unit(benchmark::kMillisecond);

void BM_HistogramQuantileStepByStep(benchmark::State& state) {
  Run(state, HistogramSource(), "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))", true);
}
BENCHMARK(BM_HistogramQuantileStepByStep)->Unit(benchmark::kMillisecond);

void BM_SumRateStepByStep(benchmark::State& state) {
  Run(state, CounterSource(), "sum by (job) (rate(http_requests_total[5m]))", true);
}
BENCHMARK(BM_SumRateStepByStep)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quartet::promql

BENCHMARK_MAIN();

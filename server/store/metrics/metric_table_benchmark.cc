// Metric table figures: ingest samples/s on one core (batches of 1000 series
// x 1 sample, as a scrape or a remote_write request brings them), bytes per
// sample on disk after flush + compaction for a realistic mix (counters,
// histogram buckets, gauges; 15 s scrapes with jitter), memory per active
// series (counted by the head and as RSS growth), and Select of 1000 series x
// 1 h from blocks.
//
//   build-m/bin/metric_table_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "base/clock.h"
#include "server/store/metrics/metric_table.h"

namespace quartet::store {
namespace {

const int64_t kT0 = UnixNanos() / 1'000'000 / 7'200'000 * 7'200'000 - 4 * 7'200'000;

std::unique_ptr<MetricTable> OpenFresh(const std::string& name, SyncPolicy sync) {
  const std::string dir = std::filesystem::temp_directory_path() / name;
  std::filesystem::remove_all(dir);
  MetricTableOptions options;
  options.table.dir = dir;
  options.table.sync = sync;
  options.table.head_flush_bytes = size_t{4} << 30;
  options.table.memory_limit_bytes = size_t{8} << 30;
  options.limits.max_series_per_metric = 1'000'000;
  return std::move(MetricTable::Open(options, /*background=*/false).value());
}

// One target's series: a service's HTTP metrics as a client library exposes
// them. kind 0 = counter, 1 = histogram bucket, 2 = gauge.
struct SeriesModel {
  Labels labels;
  int kind;
  double value = 0;
  double rate = 0;
};

std::vector<SeriesModel> TargetSeries(int target, int count, std::mt19937_64* rng) {
  static const char* kRoutes[] = {"/api/cart",   "/api/checkout", "/api/users/{id}", "/health",
                                  "/api/search", "/api/orders",   "/login",          "/metrics"};
  static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
                              "0.5",   "1",    "2.5",   "5",    "10",  "+Inf"};
  std::vector<SeriesModel> out;
  const std::string instance =
      "10.0." + std::to_string(target / 250) + "." + std::to_string(target % 250) + ":8080";
  for (int i = 0; out.size() < static_cast<size_t>(count); ++i) {
    const std::string route = kRoutes[i % 8];
    static const char* kCodes[] = {"200", "404", "500"};
    const std::string code = kCodes[(i / 8) % 3];
    const std::string suffix = std::to_string(i / 24);
    Labels base = {{"code", code},
                   {"instance", instance},
                   {"job", "checkout"},
                   {"method", "GET"},
                   {"route", route + suffix}};
    // 1 counter, 12 buckets, 1 gauge per combination.
    SeriesModel c{base, 0, 0, static_cast<double>((*rng)() % 40)};
    c.labels.emplace_back("__name__", "http_server_requests_total");
    out.push_back(std::move(c));
    for (const char* le : kLe) {
      SeriesModel b{base, 1, 0, static_cast<double>((*rng)() % 40) / 12.0};
      b.labels.emplace_back("__name__", "http_server_request_duration_seconds_bucket");
      b.labels.emplace_back("le", le);
      out.push_back(std::move(b));
    }
    SeriesModel g{base, 2, static_cast<double>((*rng)() % 8), 0};
    g.labels.emplace_back("__name__", "http_server_active_requests");
    out.push_back(std::move(g));
  }
  out.resize(count);
  for (SeriesModel& s : out) std::sort(s.labels.begin(), s.labels.end());
  return out;
}

double Next(SeriesModel* s, std::mt19937_64* rng) {
  switch (s->kind) {
    case 0:
      s->value +=
          std::floor(s->rate * 15 * (0.8 + 0.4 * static_cast<double>((*rng)() % 100) / 100));
      break;
    case 1:
      if ((*rng)() % 3 == 0) s->value += std::floor(s->rate * static_cast<double>((*rng)() % 30));
      break;
    default:
      if ((*rng)() % 4 == 0) s->value = static_cast<double>((*rng)() % 8);
      break;
  }
  return s->value;
}

void BM_Ingest(benchmark::State& state) {
  const SyncPolicy sync = state.range(0) ? SyncPolicy::kAlways : SyncPolicy::kNever;
  auto table = OpenFresh("metric_bench_ingest", sync);
  std::mt19937_64 rng(1);
  std::vector<SeriesModel> model = TargetSeries(0, 1000, &rng);
  MetricBatch batch;
  for (const SeriesModel& s : model) batch.series.push_back({s.labels, {{0, 0}}, {}});
  int64_t t = kT0;
  for (auto _ : state) {
    t += 15000;
    for (size_t i = 0; i < model.size(); ++i) {
      batch.series[i].samples[0] = Sample{t, Next(&model[i], &rng)};
    }
    Result<MetricAppendResult> r = table->Append(batch);
    if (!r.ok() || r->accepted_samples != 1000) state.SkipWithError("append refused");
  }
  state.SetItemsProcessed(state.iterations() * 1000);
  state.counters["head_bytes_per_series"] = static_cast<double>(table->stats().head_bytes) /
                                            static_cast<double>(table->stats().head_series);
}
BENCHMARK(BM_Ingest)->Arg(0)->Arg(1)->ArgNames({"fsync"})->Unit(benchmark::kMicrosecond);

// Appends `targets` x `per_target` series for `hours` of 15 s scrapes.
int64_t Fill(MetricTable* table, int targets, int per_target, int hours, bool flush_hourly) {
  std::mt19937_64 rng(2);
  std::vector<std::vector<SeriesModel>> models;
  for (int t = 0; t < targets; ++t) models.push_back(TargetSeries(t, per_target, &rng));
  int64_t samples = 0;
  for (int scrape = 0; scrape < hours * 240; ++scrape) {
    for (int t = 0; t < targets; ++t) {
      // Each target is scraped at its own offset, with a few ms of jitter.
      const int64_t ts = kT0 + scrape * 15000 + t * 37 + static_cast<int64_t>(rng() % 7);
      MetricBatch batch;
      for (SeriesModel& s : models[t])
        batch.series.push_back({s.labels, {{ts, Next(&s, &rng)}}, {}});
      samples += table->Append(batch)->accepted_samples;
    }
    if (flush_hourly && scrape % 240 == 239) (void)table->Flush();
  }
  return samples;
}

void BM_BytesPerSample(benchmark::State& state) {
  for (auto _ : state) {
    auto table = OpenFresh("metric_bench_bytes", SyncPolicy::kNever);
    const int64_t samples = Fill(table.get(), 20, 250, 2, /*flush_hourly=*/true);
    (void)table->Flush();
    const double flushed = static_cast<double>(table->stats().block_bytes);
    (void)table->Compact(UnixNanos() + int64_t{24} * 3600 * 1'000'000'000);
    state.counters["samples"] = static_cast<double>(samples);
    state.counters["bytes_per_sample_flushed"] = flushed / static_cast<double>(samples);
    state.counters["bytes_per_sample_compacted"] =
        static_cast<double>(table->stats().block_bytes) / static_cast<double>(samples);
    state.counters["blocks"] = static_cast<double>(table->stats().blocks);
  }
}
BENCHMARK(BM_BytesPerSample)->Iterations(1)->Unit(benchmark::kMillisecond);

size_t RssBytes() {
  std::ifstream statm("/proc/self/statm");
  size_t pages = 0, resident = 0;
  statm >> pages >> resident;
  return resident * static_cast<size_t>(sysconf(_SC_PAGESIZE));
}

void BM_MemoryPerSeries(benchmark::State& state) {
  for (auto _ : state) {
    const size_t rss_before = RssBytes();
    auto table = OpenFresh("metric_bench_memory", SyncPolicy::kNever);
    constexpr int kTargets = 100, kPerTarget = 1000;
    // 30 min of scrapes: an open chunk of 120 samples per series.
    std::mt19937_64 rng(3);
    std::vector<std::vector<SeriesModel>> models;
    for (int t = 0; t < kTargets; ++t) models.push_back(TargetSeries(t, kPerTarget, &rng));
    for (int scrape = 0; scrape < 120; ++scrape) {
      for (int t = 0; t < kTargets; ++t) {
        MetricBatch batch;
        for (SeriesModel& s : models[t]) {
          batch.series.push_back({s.labels, {{kT0 + scrape * 15000 + t, Next(&s, &rng)}}, {}});
        }
        (void)table->Append(batch);
      }
    }
    const MetricTableStats s = table->stats();
    state.counters["series"] = static_cast<double>(s.head_series);
    state.counters["counted_bytes_per_series"] =
        static_cast<double>(s.head_bytes) / static_cast<double>(s.head_series);
    state.counters["rss_bytes_per_series"] =
        static_cast<double>(RssBytes() - rss_before) / static_cast<double>(s.head_series);
  }
}
BENCHMARK(BM_MemoryPerSeries)->Iterations(1)->Unit(benchmark::kMillisecond);

void BM_Select1000SeriesHour(benchmark::State& state) {
  // Arg 0: the samples in blocks (flushed hourly and at the end); 1: all in
  // the head (sealed compact chunks and open chunks), as recent data is.
  const bool head = state.range(0) != 0;
  auto table = OpenFresh("metric_bench_select", SyncPolicy::kNever);
  Fill(table.get(), 4, 250, 2, /*flush_hourly=*/!head);
  if (!head) (void)table->Flush();
  const std::vector<LabelMatch> all_jobs = {{"job", LabelMatch::Op::kEq, "checkout"}};
  int64_t samples = 0;
  for (auto _ : state) {
    samples = 0;
    int64_t series = 0;
    (void)table->Select(all_jobs, kT0 + 1800'000, kT0 + 5400'000,
                        [&](const Labels&, std::span<const Sample> s) {
                          ++series;
                          samples += static_cast<int64_t>(s.size());
                          return true;
                        });
    if (series != 1000) state.SkipWithError("wrong series count");
  }
  state.counters["samples"] = static_cast<double>(samples);
  state.SetItemsProcessed(state.iterations() * samples);
}
BENCHMARK(BM_Select1000SeriesHour)
    ->Arg(0)
    ->Arg(1)
    ->ArgNames({"head"})
    ->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();

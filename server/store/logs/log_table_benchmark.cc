// Log table throughput: appends of realistic JSON lines (~300 B, 10 streams)
// in MB/s of line text, stored block bytes against raw line bytes, and a
// `|=` substring scan over blocks in GB/s of raw line text.
//
//   build-lb/bin/log_table_benchmark --benchmark_min_time=1
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "server/store/logs/log_table.h"

namespace quartet::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

// One batch of `rows` lines over 10 streams, like a service's JSON logs.
std::vector<LogStream> Batch(std::mt19937* rng, int64_t* ts, int rows, size_t* bytes) {
  static const char* kPaths[] = {"/api/cart", "/api/checkout", "/api/users/{id}", "/health",
                                 "/api/search"};
  static const char* kLevels[] = {"info", "info", "info", "debug", "warn", "error"};
  std::vector<LogStream> batch(10);
  for (int s = 0; s < 10; ++s) {
    batch[s].labels = {{"env", "prod"}, {"service", "svc-" + std::to_string(s)}};
  }
  for (int i = 0; i < rows; ++i) {
    LogEntry e;
    e.timestamp_ns = (*ts += 1000 + (*rng)() % 1000);
    char trace[33];
    snprintf(trace, sizeof trace, "%016llx%016llx", static_cast<unsigned long long>((*rng)()),
             static_cast<unsigned long long>((*rng)()));
    e.line = std::string("{\"ts\":\"2024-05-01T12:") + std::to_string(10 + (*rng)() % 50) + ":" +
             std::to_string(10 + (*rng)() % 50) + "." + std::to_string((*rng)() % 1000) +
             "Z\",\"level\":\"" + kLevels[(*rng)() % 6] + "\",\"msg\":\"request completed\"," +
             "\"method\":\"GET\",\"path\":\"" + kPaths[(*rng)() % 5] +
             "\",\"status\":" + std::to_string((*rng)() % 10 == 0 ? 500 : 200) +
             ",\"duration_ms\":" + std::to_string((*rng)() % 2000) + ",\"user_id\":\"u-" +
             std::to_string((*rng)() % 100000) + "\",\"trace_id\":\"" + trace +
             "\",\"client\":\"10.0." + std::to_string((*rng)() % 255) + "." +
             std::to_string((*rng)() % 255) + "\",\"bytes\":" + std::to_string((*rng)() % 65536) +
             ",\"user_agent\":\"Mozilla/5.0 (X11; Linux x86_64)\"}";
    *bytes += e.line.size();
    batch[(*rng)() % 10].entries.push_back(std::move(e));
  }
  return batch;
}

std::unique_ptr<LogTable> OpenFresh(const std::string& dir, TableOptions* options) {
  std::filesystem::remove_all(dir);
  options->dir = dir;
  options->sync = SyncPolicy::kNever;
  return std::move(LogTable::Open(*options, /*background=*/false).value());
}

void BM_Append(benchmark::State& state) {
  const std::string dir = std::filesystem::temp_directory_path() / "log_table_bench_append";
  TableOptions options;
  options.head_flush_bytes = 64 << 20;
  auto table = OpenFresh(dir, &options);
  std::mt19937 rng(1);
  int64_t ts = kT0;
  size_t bytes = 0;
  std::vector<std::vector<LogStream>> batches;
  for (int i = 0; i < 64; ++i) batches.push_back(Batch(&rng, &ts, 1000, &bytes));
  size_t done = 0, raw = 0;
  for (auto _ : state) {
    std::vector<LogStream> b = batches[done++ % batches.size()];
    for (auto& s : b) {
      for (auto& e : s.entries) {
        e.timestamp_ns += static_cast<int64_t>(done) * 1'000'000'000;
        raw += e.line.size();
      }
    }
    if (!table->AppendLogs(std::move(b)).ok()) state.SkipWithError("append failed");
    if (table->stats().head_bytes > options.head_flush_bytes) (void)table->Flush();
  }
  state.SetBytesProcessed(static_cast<int64_t>(raw));
  table.reset();
  std::filesystem::remove_all(dir);
}
BENCHMARK(BM_Append)->Unit(benchmark::kMillisecond)->UseRealTime();

// One table of ~200 MB of lines in blocks, shared by the scan benchmarks.
struct ScanFixture {
  std::string dir = std::filesystem::temp_directory_path() / "log_table_bench_scan";
  TableOptions options;
  std::unique_ptr<LogTable> table;
  size_t raw = 0;
  ScanFixture() {
    table = OpenFresh(dir, &options);
    std::mt19937 rng(2);
    int64_t ts = kT0;
    for (int i = 0; i < 600; ++i) {
      (void)table->AppendLogs(Batch(&rng, &ts, 1000, &raw));
      if (i % 150 == 149) (void)table->Flush();
    }
    (void)table->Flush();
    LogTableStats s = table->stats();
    fprintf(stderr, "scan fixture: %lld rows, %zu MB raw lines, %llu MB in %lld blocks (%.1fx)\n",
            static_cast<long long>(s.block_rows), raw >> 20,
            static_cast<unsigned long long>(s.block_bytes >> 20), static_cast<long long>(s.blocks),
            static_cast<double>(raw) / static_cast<double>(s.block_bytes));
  }
  ~ScanFixture() {
    table.reset();
    std::filesystem::remove_all(dir);
  }
};
ScanFixture& Fixture() {
  static ScanFixture f;
  return f;
}

void BM_ScanSubstring(benchmark::State& state) {
  ScanFixture& f = Fixture();
  LogScan scan;
  scan.direction = state.range(0) ? Direction::kBackward : Direction::kForward;
  scan.required_substrings = {state.range(1) ? "u-12345\"" : "\"status\":500"};
  int64_t matched = 0;
  for (auto _ : state) {
    matched = 0;
    (void)f.table->Scan(scan, [&](const LogRow&) {
      ++matched;
      return true;
    });
  }
  state.counters["matched"] = static_cast<double>(matched);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * f.raw));
}
BENCHMARK(BM_ScanSubstring)
    ->ArgsProduct({{0, 1}, {0, 1}})
    ->ArgNames({"backward", "rare"})
    ->Unit(benchmark::kMillisecond)
    ->UseRealTime();

void BM_StoredBytes(benchmark::State& state) {
  ScanFixture& f = Fixture();
  for (auto _ : state) benchmark::DoNotOptimize(f.table->stats());
  state.counters["raw_over_stored"] =
      static_cast<double>(f.raw) / static_cast<double>(f.table->stats().block_bytes);
}
BENCHMARK(BM_StoredBytes)->Iterations(1);

// The LogQL evaluator's pattern: newest 100 lines of one stream.
void BM_ScanLimit100Backward(benchmark::State& state) {
  ScanFixture& f = Fixture();
  LogScan scan;
  scan.matchers = {{"service", LabelMatch::Op::kEq, "svc-3"}};
  for (auto _ : state) {
    int n = 0;
    (void)f.table->Scan(scan, [&](const LogRow&) { return ++n < 100; });
  }
}
BENCHMARK(BM_ScanLimit100Backward)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();

// Profile table benchmarks (issue 6 targets): ingest rate of typical 10 s CPU
// profiles including the gzip+pprof decode (target >= 500/s per core), and
// stored bytes against the gzipped pprof input over a day of 10 s profiles
// of one service (target <= 1/5), after flushes and compaction.
//
//   build-pa/server/store/profiles/profile_table_benchmark
#include <benchmark/benchmark.h>

#include <filesystem>
#include <random>

#include "base/clock.h"
#include "server/store/profiles/profile_generator.h"
#include "server/store/profiles/profile_table.h"

namespace quartet::store {
namespace {

constexpr int64_t kSecond = 1'000'000'000;

const Labels kSeries = {{"__name__", "process_cpu"},
                        {"env", "prod"},
                        {"service_name", "shop"},
                        {"service_version", "1.4.2"}};

struct TempTable {
  explicit TempTable(TableOptions o) {
    dir = std::filesystem::temp_directory_path() /
          ("profile_bench_" + std::to_string(std::random_device{}()));
    o.dir = dir.string();
    o.sync = SyncPolicy::kNever;
    table = std::move(*ProfileTable::Open(o, /*background=*/false));
  }
  ~TempTable() {
    table.reset();
    std::filesystem::remove_all(dir);
  }
  std::filesystem::path dir;
  std::unique_ptr<ProfileTable> table;
};

std::vector<std::string> GzippedProfiles(int n, int64_t t0) {
  ProfileGenerator gen(42);
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) out.push_back(*pprof::EncodeGzip(gen.Next(t0 + i * 10 * kSecond)));
  return out;
}

void BM_IngestCpuProfile(benchmark::State& state) {
  const int64_t t0 = UnixNanos() - 3600 * kSecond;
  const std::vector<std::string> inputs = GzippedProfiles(256, t0);
  TableOptions o;
  TempTable t(o);
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& gz = inputs[i % inputs.size()];
    Result<pprof::Profile> p = pprof::DecodeMaybeGzip(gz);
    const int64_t from = t0 + static_cast<int64_t>(i) * 10 * kSecond;
    Result<ProfileAppendResult> r = t.table->AppendProfile(kSeries, from, from + 10 * kSecond, *p);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    bytes += gz.size();
    ++i;
  }
  state.SetItemsProcessed(static_cast<int64_t>(i));
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}
BENCHMARK(BM_IngestCpuProfile)->Unit(benchmark::kMicrosecond);

// A day (state.range(0) profiles) of one service, flushed every 15 minutes of
// data as the default head_flush_age would, then compacted.
void BM_StoredBytesPerDay(benchmark::State& state) {
  const int n = static_cast<int>(state.range(0));
  const int64_t t0 = (UnixNanos() / kSecond - 2 * 86400) * kSecond;
  ProfileGenerator gen(42);
  uint64_t gz_bytes = 0, stored = 0, before_compaction = 0;
  for (auto _ : state) {
    TableOptions o;
    TempTable t(o);
    for (int i = 0; i < n; ++i) {
      const int64_t from = t0 + int64_t{i} * 10 * kSecond;
      std::string gz = *pprof::EncodeGzip(gen.Next(from));
      gz_bytes += gz.size();
      Result<pprof::Profile> p = pprof::DecodeMaybeGzip(gz);
      (void)t.table->AppendProfile(kSeries, from, from + 10 * kSecond, *p);
      if ((i + 1) % 90 == 0) (void)t.table->Flush();
    }
    (void)t.table->Flush();
    before_compaction = t.table->stats().block_bytes;
    (void)t.table->Compact(/*all=*/true);
    stored = t.table->stats().block_bytes;
  }
  state.counters["gzip_input_MB"] = static_cast<double>(gz_bytes) / 1e6;
  state.counters["stored_MB_15min_blocks"] = static_cast<double>(before_compaction) / 1e6;
  state.counters["stored_MB"] = static_cast<double>(stored) / 1e6;
  state.counters["stored_over_gzip"] = static_cast<double>(stored) / static_cast<double>(gz_bytes);
}
BENCHMARK(BM_StoredBytesPerDay)->Arg(8640)->Iterations(1)->Unit(benchmark::kSecond);

// Delivers one hour (360 profiles) of one service from its block through
// SelectProfiles, the read the flame graph merge builds on. Arg 0: warm
// (decoded block cached); 1: cold (table reopened each iteration).
void BM_SelectHour(benchmark::State& state) {
  const bool cold = state.range(0) == 1;
  const int64_t t0 = (UnixNanos() / kSecond - 6 * 3600) / 7200 * 7200 * kSecond;
  TableOptions o;
  TempTable t(o);
  ProfileGenerator gen(42);
  for (int i = 0; i < 720; ++i) {  // two hours: one compacted 2-hour block
    const int64_t from = t0 + int64_t{i} * 10 * kSecond;
    (void)t.table->AppendProfile(kSeries, from, from + 10 * kSecond, gen.Next(from));
    if ((i + 1) % 90 == 0) (void)t.table->Flush();
  }
  (void)t.table->Compact(/*all=*/true);
  const TimeRange hour{t0 + 1800 * kSecond, t0 + 5400 * kSecond};
  int64_t profiles = 0;
  for (auto _ : state) {
    if (cold) {
      state.PauseTiming();
      t.table.reset();
      o.dir = t.dir.string();
      o.sync = SyncPolicy::kNever;
      t.table = std::move(*ProfileTable::Open(o, /*background=*/false));
      state.ResumeTiming();
    }
    int64_t total = 0;
    (void)t.table->SelectProfiles("process_cpu:cpu:nanoseconds:cpu:nanoseconds", {}, hour,
                                  [&](const StoredProfile& p) {
                                    ++profiles;
                                    for (const auto& s : p.profile.sample) total += s.value[0];
                                    return true;
                                  });
    benchmark::DoNotOptimize(total);
  }
  state.counters["profiles_per_query"] =
      static_cast<double>(profiles) / static_cast<double>(state.iterations());
  state.counters["blocks"] = static_cast<double>(t.table->stats().blocks);
}
BENCHMARK(BM_SelectHour)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();

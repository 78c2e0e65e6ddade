// Append throughput of the WAL under group commit:
//   wal_benchmark [--benchmark_filter=...]
// Segments go to $QUARTET_BENCH_DIR (default ./wal_benchmark.dir): point it at
// the disk you care about; fdatasync on tmpfs costs nothing.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <filesystem>

#include "server/store/wal/wal.h"

namespace quartet::store {
namespace {

std::string BenchDir() {
  const char* env = std::getenv("QUARTET_BENCH_DIR");
  return std::string(env != nullptr ? env : "./wal_benchmark.dir") + "/wal";
}

std::unique_ptr<Wal> g_wal;

void BM_Append(benchmark::State& state) {
  const size_t size = static_cast<size_t>(state.range(0));
  const auto sync = static_cast<SyncPolicy>(state.range(1));
  if (state.thread_index() == 0) {
    std::filesystem::remove_all(BenchDir());
    auto wal = Wal::Open({.dir = BenchDir(), .segment_bytes = 64 << 20, .sync = sync});
    if (!wal.ok()) {
      state.SkipWithError(wal.status().ToString().c_str());
      return;
    }
    g_wal = std::move(wal).value();
  }
  std::string record(size, 'r');
  for (auto _ : state) {
    auto pos = g_wal->Append(record);
    if (!pos.ok()) state.SkipWithError(pos.status().ToString().c_str());
    if (pos.ok() && pos->offset > (48u << 20) && state.thread_index() == 0) {
      // Keep the disk footprint bounded during long runs.
      (void)g_wal->RemoveSegmentsBefore(pos->segment);
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * size));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations()));
  if (state.thread_index() == 0) {
    WalStats stats = g_wal->stats();
    state.counters["records_per_group"] = stats.avg_group_records();
    g_wal.reset();
    std::filesystem::remove_all(BenchDir());
  }
}

void Args(benchmark::internal::Benchmark* b) {
  for (int sync : {static_cast<int>(SyncPolicy::kAlways), static_cast<int>(SyncPolicy::kNever)}) {
    for (int size : {4096, 65536}) b->Args({size, sync});
  }
  b->ArgNames({"bytes", "sync"});
}

BENCHMARK(BM_Append)->Apply(Args)->Threads(1)->Threads(4)->Threads(16)->UseRealTime();

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();

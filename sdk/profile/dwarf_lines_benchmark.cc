// What file:line costs the profiler. Symbolization runs in the background
// aggregator, so the costs that matter are:
//   - BM_ReadLineTable: building an object's line table, paid once, on the
//     first profile that has a frame in it (this benchmark's own executable,
//     or the ELF file named by QUARTET_BENCH_ELF).
//   - BM_FirstProfile/{0,1}: a fresh Symbolizer resolving 2000 distinct pcs
//     of this executable, as the first profile export does, without (0) and
//     with (1) line tables: the difference is the first export's extra time.
//   - BM_Lookup: one LineTable::Lookup in steady state.
//   - BM_Resolve/{0,1}: one Symbolizer::Resolve of a warm symbolizer without
//     and with lines (per pc, the first time a profile sees it).
//   build-dwarf/bin/profile_dwarf_lines_benchmark
#include <benchmark/benchmark.h>
#include <link.h>
#include <unistd.h>

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include "sdk/profile/dwarf_lines.h"
#include "sdk/profile/symbolizer.h"

namespace {

using quartet::profile_internal::LineTable;
using quartet::profile_internal::ReadElfFunctionSymbols;
using quartet::profile_internal::ReadElfLineTable;
using quartet::profile_internal::Resolved;
using quartet::profile_internal::SourceLine;
using quartet::profile_internal::Symbol;
using quartet::profile_internal::Symbolizer;
using quartet::profile_internal::SymbolizerOptions;

std::string SelfPath() {
  char buf[4096];
  ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "/proc/self/exe";
}

uintptr_t ExeBias() {
  uintptr_t bias = 0;
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* arg) {
        *static_cast<uintptr_t*>(arg) = info->dlpi_addr;
        return 1;
      },
      &bias);
  return bias;
}

// Up to `n` pcs inside this executable's functions (runtime addresses),
// spread over all of them.
std::vector<uintptr_t> Pcs(size_t n) {
  std::vector<Symbol> syms = ReadElfFunctionSymbols(SelfPath(), ExeBias());
  std::vector<uintptr_t> pcs;
  std::mt19937_64 rng(42);
  for (size_t i = 0; i < n && !syms.empty(); ++i) {
    const Symbol& s = syms[rng() % syms.size()];
    pcs.push_back(s.start + (s.size > 1 ? rng() % s.size : 0));
  }
  return pcs;
}

void BM_ReadLineTable(benchmark::State& state) {
  const char* env = getenv("QUARTET_BENCH_ELF");
  std::string path = env != nullptr ? env : SelfPath();
  size_t rows = 0, bytes = 0;
  for (auto _ : state) {
    auto t = ReadElfLineTable(path, {}, {});
    if (!t.ok()) {
      state.SkipWithError(t.status().ToString().c_str());
      return;
    }
    rows = t->row_count();
    bytes = t->memory_bytes();
  }
  state.counters["rows"] = static_cast<double>(rows);
  state.counters["table_KiB"] = static_cast<double>(bytes) / 1024;
  state.SetLabel(path);
}
BENCHMARK(BM_ReadLineTable)->Unit(benchmark::kMillisecond);

void BM_FirstProfile(benchmark::State& state) {
  std::vector<uintptr_t> pcs = Pcs(2000);
  SymbolizerOptions options;
  options.read_lines = state.range(0) != 0;
  size_t with_file = 0;
  for (auto _ : state) {
    Symbolizer s(options);
    s.BeginBatch();
    with_file = 0;
    for (uintptr_t pc : pcs) with_file += s.Resolve(pc).file != nullptr;
  }
  state.counters["pcs_with_file"] = static_cast<double>(with_file);
}
BENCHMARK(BM_FirstProfile)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

void BM_Lookup(benchmark::State& state) {
  auto t = ReadElfLineTable(SelfPath(), {}, {});
  if (!t.ok()) {
    state.SkipWithError(t.status().ToString().c_str());
    return;
  }
  std::vector<uintptr_t> pcs = Pcs(4096);
  uintptr_t bias = ExeBias();
  size_t i = 0;
  for (auto _ : state) {
    SourceLine l;
    benchmark::DoNotOptimize(t->Lookup(pcs[i++ & 4095] - bias, &l));
    benchmark::DoNotOptimize(l);
  }
}
BENCHMARK(BM_Lookup);

void BM_Resolve(benchmark::State& state) {
  SymbolizerOptions options;
  options.read_lines = state.range(0) != 0;
  Symbolizer s(options);
  std::vector<uintptr_t> pcs = Pcs(4096);
  for (uintptr_t pc : pcs) (void)s.Resolve(pc);  // warm: tables read
  size_t i = 0;
  for (auto _ : state) {
    Resolved r = s.Resolve(pcs[i++ & 4095]);
    benchmark::DoNotOptimize(r);
  }
}
BENCHMARK(BM_Resolve)->Arg(0)->Arg(1);

}  // namespace

BENCHMARK_MAIN();

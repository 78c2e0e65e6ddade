// Allocation sampling overhead: an allocation-heavy workload (small strings,
// vectors and map nodes built and torn down) with sampling off and on at the
// default 512 KiB mean interval, in one run. Phases alternate off/on five
// times so drift on a shared machine hits both sides alike; overhead_pct
// compares the medians of process CPU time per unit. BM_MallocFree shows the
// per-call cost of the interposer itself: glibc called directly, through the
// interposer with sampling off, and with sampling on.
//   build/bin/profile_heap_benchmark
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "sdk/profile/heap_sampler.h"

extern "C" void* __libc_malloc(size_t size);
extern "C" void __libc_free(void* p);

namespace {

using quartet::profile_internal::DisableHeapSampling;
using quartet::profile_internal::EnableHeapSampling;
using quartet::profile_internal::HeapSamplingSupported;

int64_t ProcessCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// One unit: ~2200 allocations of 24..280 bytes (~330 KiB), all freed.
__attribute__((noipa)) size_t Unit(uint32_t seed) {
  std::vector<std::string> strings;
  std::map<uint32_t, std::vector<uint32_t>> index;
  size_t sum = 0;
  for (uint32_t i = 0; i < 1000; ++i) {
    seed = seed * 1664525u + 1013904223u;
    strings.emplace_back(24 + (seed >> 24), 'q');
    index[seed % 512].push_back(i);
  }
  for (const auto& s : strings) sum += s.size();
  return sum + index.size();
}

double NanosPerUnit(int units) {
  int64_t t0 = ProcessCpuNanos();
  for (int i = 0; i < units; ++i) benchmark::DoNotOptimize(Unit(static_cast<uint32_t>(i)));
  return static_cast<double>(ProcessCpuNanos() - t0) / units;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void BM_AllocationSamplingOverhead(benchmark::State& state) {
  if (!HeapSamplingSupported()) {
    state.SkipWithError("allocation sampling is compiled out (sanitizer build)");
    return;
  }
  const int64_t interval = state.range(0);
  constexpr int kUnitsPerPhase = 2000;
  std::vector<double> off, on;
  for (auto _ : state) {
    for (int phase = 0; phase < 5; ++phase) {
      off.push_back(NanosPerUnit(kUnitsPerPhase));
      EnableHeapSampling(interval);
      on.push_back(NanosPerUnit(kUnitsPerPhase));
      DisableHeapSampling();
    }
  }
  double m_off = Median(off), m_on = Median(on);
  state.counters["off_us_per_unit"] = m_off / 1000;
  state.counters["on_us_per_unit"] = m_on / 1000;
  state.counters["overhead_pct"] = 100.0 * (m_on - m_off) / m_off;
}
BENCHMARK(BM_AllocationSamplingOverhead)
    ->Arg(512 * 1024)
    ->Arg(64 * 1024)
    ->ArgName("interval")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

// 0: glibc directly; 1: interposer, sampling off; 2: sampling on (512 KiB).
void BM_MallocFree(benchmark::State& state) {
  const int mode = static_cast<int>(state.range(0));
  if (mode == 2) EnableHeapSampling(512 * 1024);
  size_t size = 16;
  for (auto _ : state) {
    size = size * 5 % 4093 + 16;
    void* p = mode == 0 ? __libc_malloc(size) : malloc(size);
    benchmark::DoNotOptimize(p);
    if (mode == 0) {
      __libc_free(p);
    } else {
      free(p);
    }
  }
  if (mode == 2) DisableHeapSampling();
}
BENCHMARK(BM_MallocFree)->Arg(0)->Arg(1)->Arg(2)->ArgName("mode");

}  // namespace

BENCHMARK_MAIN();

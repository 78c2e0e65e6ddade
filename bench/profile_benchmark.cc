// CPU profiler overhead: the same CPU-bound workload with and without
// quartet::Profiler at 100 Hz, in one run. Time is process CPU time (the
// workload thread, the signal handler running on it, and the profiler's own
// aggregation thread), so the figure is what the profiler really costs.
// Phases alternate off/on five times so drift on a shared machine hits
// both sides alike; the overhead_pct counter compares the medians.
//   build/bin/profile_benchmark --benchmark_min_time=0.2
#include <benchmark/benchmark.h>
#include <time.h>

#include <algorithm>
#include <cstdint>
#include <vector>

#include "quartet/profile.h"

namespace {

int64_t ProcessCpuNanos() {
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

// A spin at the bottom of a 16-deep call chain, so every sample unwinds a
// realistic stack.
__attribute__((noipa)) uint64_t Leaf(uint64_t n) {
  uint64_t x = 88172645463325252ull ^ n;
  for (uint64_t i = 0; i < n; ++i) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    asm volatile("" : "+r"(x));
  }
  return x;
}
__attribute__((noipa)) uint64_t Deep(int depth, uint64_t n) {
  if (depth == 0) return Leaf(n);
  return Deep(depth - 1, n) + 1;
}

constexpr uint64_t kUnit = 1 << 20;  // ~1 ms of spinning

uint64_t Work(int units) {
  uint64_t sink = 0;
  for (int i = 0; i < units; ++i) sink += Deep(16, kUnit);
  return sink;
}

double NanosPerUnit(int units) {
  int64_t t0 = ProcessCpuNanos();
  benchmark::DoNotOptimize(Work(units));
  return static_cast<double>(ProcessCpuNanos() - t0) / units;
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// The plain workload, for reference.
void BM_Workload(benchmark::State& state) {
  std::unique_ptr<quartet::Profiler> profiler;
  if (state.range(0) != 0) {
    quartet::ProfilerOptions o;
    o.service = "profile_benchmark";
    o.cpu_hz = 100;
    profiler = quartet::Profiler::Start(o);
    if (!profiler) state.SkipWithError("profiler did not start");
  }
  for (auto _ : state) benchmark::DoNotOptimize(Work(1));
  if (profiler) {
    profiler->Stop();
    state.counters["samples"] = static_cast<double>(profiler->stats().samples);
  }
}
BENCHMARK(BM_Workload)
    ->Arg(0)
    ->Arg(1)
    ->ArgName("profiler")
    ->MeasureProcessCPUTime()
    ->Unit(benchmark::kMicrosecond);

// Alternating phases, compared by median; the argument is the rate in Hz
// (1000 Hz magnifies the per-sample cost so it stands above the noise).
void BM_ProfilerOverhead(benchmark::State& state) {
  const int hz = static_cast<int>(state.range(0));
  constexpr int kUnitsPerPhase = 300;  // ~0.3 s: ~30 samples per phase at 100 Hz
  std::vector<double> off, on;
  uint64_t samples = 0;
  for (auto _ : state) {
    for (int phase = 0; phase < 5; ++phase) {
      off.push_back(NanosPerUnit(kUnitsPerPhase));
      quartet::ProfilerOptions o;
      o.service = "profile_benchmark";
      o.cpu_hz = hz;
      auto profiler = quartet::Profiler::Start(o);
      if (!profiler) {
        state.SkipWithError("profiler did not start");
        return;
      }
      on.push_back(NanosPerUnit(kUnitsPerPhase));
      profiler->Stop();
      samples += profiler->stats().samples;
    }
  }
  double m_off = Median(off), m_on = Median(on);
  state.counters["off_ns_per_unit"] = m_off;
  state.counters["on_ns_per_unit"] = m_on;
  state.counters["overhead_pct"] = 100.0 * (m_on - m_off) / m_off;
  state.counters["samples"] = static_cast<double>(samples);
  // CPU each sample cost, all of it charged to the samples.
  double units_on = 5.0 * kUnitsPerPhase;
  state.counters["us_per_sample"] =
      samples == 0 ? 0 : (m_on - m_off) * units_on / static_cast<double>(samples) / 1000.0;
}
BENCHMARK(BM_ProfilerOverhead)
    ->Arg(100)
    ->Arg(1000)
    ->ArgName("hz")
    ->Iterations(1)
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();

// A process instrumented with the SDK, configured only by the environment
// (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES, QUARTET_PROFILING_SERVER,
// QUARTET_PROFILING_UPLOAD_INTERVAL, ...), for quartetd_sdk_profiles_test:
// for argv[1] seconds it runs a known CPU workload inside spans
// (SdkProfilesScanOrders, allocating as it goes) and another one outside any
// span (SdkProfilesOutsideWork), prints "span <16 hex>" for each span, then
// shuts the SDK down (the profiler sends its last partial profile) and
// prints "done".
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <vector>

#include "base/clock.h"
#include "quartet/quartet.h"

namespace {

// Spins for about `ms` of CPU time in a loop the compiler cannot drop.
__attribute__((noipa)) uint64_t Spin(int64_t ms, uint64_t seed) {
  const int64_t until = quartet::MonotonicNanos() + ms * 1'000'000;
  uint64_t x = seed | 1;
  while (quartet::MonotonicNanos() < until) {
    for (int i = 0; i < 4096; ++i) {
      x ^= x << 13;
      x ^= x >> 7;
      x ^= x << 17;
    }
    asm volatile("" : "+r"(x));
  }
  return x;
}

// The workloads stay frames of their own: no inlining, no tail call into
// Spin (the result is used after the call).
__attribute__((noipa)) uint64_t SdkProfilesScanOrders(int64_t ms, uint64_t seed) {
  // Allocations for the heap profile, kept alive in part (in-use space).
  static std::vector<std::unique_ptr<char[]>> kept;
  for (int i = 0; i < 64; ++i) {
    auto block = std::make_unique<char[]>(64 * 1024);
    block[static_cast<size_t>(i)] = static_cast<char>(seed);
    if (i % 16 == 0 && kept.size() < 256) kept.push_back(std::move(block));
  }
  uint64_t x = Spin(ms, seed);
  asm volatile("" : "+r"(x));
  return x + 1;
}

__attribute__((noipa)) uint64_t SdkProfilesOutsideWork(int64_t ms, uint64_t seed) {
  uint64_t x = Spin(ms, seed);
  asm volatile("" : "+r"(x));
  return x + 1;
}

}  // namespace

int main(int argc, char** argv) {
  const int64_t seconds = argc > 1 ? std::atoll(argv[1]) : 5;
  quartet::Telemetry telemetry = quartet::Init(quartet::Config{});
  const int64_t until = quartet::MonotonicNanos() + seconds * 1'000'000'000;
  uint64_t sink = 0;
  for (uint64_t i = 0; quartet::MonotonicNanos() < until; ++i) {
    {
      quartet::Span span = quartet::Tracer().StartSpan("scan_orders");
      quartet::Scope scope(span);
      sink += SdkProfilesScanOrders(40, i);
      std::printf("span %s\n", span.context().span_id.ToHex().c_str());
    }
    sink += SdkProfilesOutsideWork(20, i);
  }
  std::fflush(stdout);
  const bool flushed = telemetry.Shutdown(std::chrono::seconds(20));
  std::printf("done flushed=%d sink=%llu\n", flushed ? 1 : 0,
              static_cast<unsigned long long>(sink));
  return 0;
}

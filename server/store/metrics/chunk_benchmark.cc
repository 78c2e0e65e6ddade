// Chunk decoding cost per sample: ChunkIterator (a sample at a time) against
// the batch decoders (chunk_decode.h), on 480-sample block chunks of the
// shapes service metrics have: Poisson counters (compact Rice modes),
// histogram _sum floats (compact bit steps), float gauges (streaming XOR
// code), and 15 s timestamps with and without jitter. Reports ns per sample
// (the items_per_second column inverted).
//
//   build/bin/chunk_benchmark --benchmark_filter=Decode
#include <benchmark/benchmark.h>

#include <bit>
#include <cmath>
#include <random>
#include <vector>

#include "server/store/metrics/chunk.h"
#include "server/store/metrics/chunk_decode.h"

namespace quartet::store {
namespace {

constexpr int kSamples = 480;

enum Shape { kCounter = 0, kFloatSum = 1, kGauge = 2 };

CompactChunk MakeChunk(Shape shape, bool jitter) {
  std::mt19937_64 rng(42);
  std::poisson_distribution<int> arrivals(300);
  std::lognormal_distribution<double> latency(std::log(0.08), 0.5);
  std::uniform_int_distribution<int> ms(-3, 3);
  std::vector<int64_t> t;
  std::vector<uint64_t> bits;
  double v = 1000;
  for (int i = 0; i < kSamples; ++i) {
    t.push_back(1700000000000 + int64_t{i} * 15000 + (jitter ? ms(rng) : 0));
    switch (shape) {
      case kCounter:
        v += arrivals(rng);
        break;
      case kFloatSum:
        for (int k = 0; k < 30; ++k) v += latency(rng);
        break;
      case kGauge:
        v = latency(rng);
        break;
    }
    bits.push_back(std::bit_cast<uint64_t>(v));
  }
  return EncodeCompactChunk(t, bits);
}

void BM_DecodeIterator(benchmark::State& state) {
  const CompactChunk c = MakeChunk(static_cast<Shape>(state.range(0)), state.range(1) != 0);
  for (auto _ : state) {
    ChunkIterator it(c.samples, c.timestamps, c.values, ValueCoding::kCompact);
    int64_t sum = 0;
    while (it.Next()) sum += it.t() + static_cast<int64_t>(it.value_bits());
    benchmark::DoNotOptimize(sum);
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
}

void BM_DecodeBatch(benchmark::State& state) {
  const CompactChunk c = MakeChunk(static_cast<Shape>(state.range(0)), state.range(1) != 0);
  std::vector<int64_t> t(c.samples);
  std::vector<uint64_t> bits(c.samples);
  for (auto _ : state) {
    if (!DecodeTimestamps(c.timestamps, t).ok()) state.SkipWithError("timestamps");
    if (!DecodeValues(c.values, ValueCoding::kCompact, bits).ok()) state.SkipWithError("values");
    benchmark::DoNotOptimize(t.data());
    benchmark::DoNotOptimize(bits.data());
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
}

// Values only: a block decodes a shared timestamp stream once per query.
void BM_DecodeValuesOnly(benchmark::State& state) {
  const CompactChunk c = MakeChunk(static_cast<Shape>(state.range(0)), false);
  std::vector<uint64_t> bits(c.samples);
  for (auto _ : state) {
    if (!DecodeValues(c.values, ValueCoding::kCompact, bits).ok()) state.SkipWithError("values");
    benchmark::DoNotOptimize(bits.data());
  }
  state.SetItemsProcessed(state.iterations() * kSamples);
}

// Args: shape (0 counter, 1 float _sum, 2 gauge), timestamp jitter (0/1).
BENCHMARK(BM_DecodeIterator)->ArgsProduct({{kCounter, kFloatSum, kGauge}, {0, 1}});
BENCHMARK(BM_DecodeBatch)->ArgsProduct({{kCounter, kFloatSum, kGauge}, {0, 1}});
BENCHMARK(BM_DecodeValuesOnly)->DenseRange(kCounter, kGauge);

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();

// Column codec and block section throughput on realistic data:
//   column_benchmark
// Each benchmark reports MB/s of raw (decoded) bytes and, as "ratio", raw
// bytes / encoded bytes (after zstd level 3 where the name says so).
#include <benchmark/benchmark.h>
#include <zstd.h>

#include <cstdio>
#include <filesystem>
#include <random>

#include "server/store/block/block_reader.h"
#include "server/store/block/block_writer.h"
#include "server/store/block/column.h"

namespace quartet::store {
namespace {

constexpr size_t kRows = 100'000;

// Span start times: sorted, ~20k spans/s with exponential gaps (ns precision).
std::vector<int64_t> Timestamps() {
  std::mt19937_64 rng(1);
  std::exponential_distribution<double> gap(1.0 / 50'000);
  std::vector<int64_t> out;
  int64_t t = 1'750'000'000'000'000'000;
  for (size_t i = 0; i < kRows; ++i) out.push_back(t += static_cast<int64_t>(gap(rng)) + 1);
  return out;
}

// Span names from a small, skewed set.
std::vector<std::string> SpanNames() {
  std::vector<std::string> names;
  for (const char* base : {"GET /api/cart", "POST /api/checkout", "SELECT orders", "redis GET",
                           "grpc.PaymentService/Charge", "kafka.produce orders"}) {
    for (int v = 0; v < 5; ++v) names.push_back(std::string(base) + "/" + std::to_string(v));
  }
  std::mt19937 rng(2);
  std::vector<std::string> out;
  for (size_t i = 0; i < kRows; ++i) {
    size_t k = std::min<size_t>(rng() % 30, rng() % 30);  // skewed towards low ids
    out.push_back(names[k]);
  }
  return out;
}

// JSON log lines like a service's structured logger writes.
std::vector<std::string> LogLines() {
  std::mt19937 rng(3);
  const char* levels[] = {"info", "info", "info", "warn", "error", "debug"};
  const char* msgs[] = {"request served", "cache miss",       "retrying upstream",
                        "order created",  "payment declined", "slow query"};
  std::vector<std::string> out;
  char buf[512];
  for (size_t i = 0; i < kRows; ++i) {
    std::snprintf(buf, sizeof(buf),
                  "{\"ts\":\"2025-06-15T10:%02u:%02u.%06uZ\",\"level\":\"%s\",\"msg\":\"%s\","
                  "\"trace_id\":\"%016x%016x\",\"user\":%u,\"latency_ms\":%u,\"path\":\"/api/"
                  "cart/%u\"}",
                  static_cast<unsigned>(i / 60000 % 60), static_cast<unsigned>(i / 1000 % 60),
                  static_cast<unsigned>(rng() % 1000000), levels[rng() % 6], msgs[rng() % 6],
                  static_cast<unsigned>(rng()), static_cast<unsigned>(rng()),
                  static_cast<unsigned>(rng() % 5000), static_cast<unsigned>(rng() % 900),
                  static_cast<unsigned>(rng() % 100));
    out.emplace_back(buf);
  }
  return out;
}

size_t ZstdSize(const std::string& s) {
  std::string out(ZSTD_compressBound(s.size()), '\0');
  return ZSTD_compress(out.data(), out.size(), s.data(), s.size(), 3);
}

void BM_TimestampsEncode(benchmark::State& state) {
  auto ts = Timestamps();
  std::string enc;
  for (auto _ : state) benchmark::DoNotOptimize(enc = EncodeInt64s(ts));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ts.size() * 8));
  state.counters["ratio"] = static_cast<double>(ts.size() * 8) / enc.size();
  state.counters["ratio_zstd"] = static_cast<double>(ts.size() * 8) / ZstdSize(enc);
}
BENCHMARK(BM_TimestampsEncode);

void BM_TimestampsDecode(benchmark::State& state) {
  auto ts = Timestamps();
  std::string enc = EncodeInt64s(ts);
  for (auto _ : state) benchmark::DoNotOptimize(DecodeInt64s(enc));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * ts.size() * 8));
}
BENCHMARK(BM_TimestampsDecode);

void BM_DictionaryEncode(benchmark::State& state) {
  auto names = SpanNames();
  size_t raw = 0;
  for (const auto& n : names) raw += n.size();
  std::string dict, ids_enc;
  for (auto _ : state) {
    StringDictionaryBuilder b;
    std::vector<uint32_t> ids;
    ids.reserve(names.size());
    for (const auto& n : names) ids.push_back(b.Add(n));
    dict = b.Encode();
    ids_enc = EncodeUint32s(ids);
    benchmark::DoNotOptimize(ids_enc);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw));
  state.counters["ratio"] = static_cast<double>(raw) / (dict.size() + ids_enc.size());
  state.counters["ratio_zstd"] = static_cast<double>(raw) / (ZstdSize(dict) + ZstdSize(ids_enc));
}
BENCHMARK(BM_DictionaryEncode);

void BM_DictionaryDecode(benchmark::State& state) {
  auto names = SpanNames();
  size_t raw = 0;
  StringDictionaryBuilder b;
  std::vector<uint32_t> ids;
  for (const auto& n : names) {
    ids.push_back(b.Add(n));
    raw += n.size();
  }
  std::string dict = b.Encode(), ids_enc = EncodeUint32s(ids);
  for (auto _ : state) {
    auto d = StringDictionary::Decode(dict);
    auto v = DecodeUint32s(ids_enc);
    size_t total = 0;
    for (uint32_t id : *v) total += d->Lookup(id)->size();
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw));
}
BENCHMARK(BM_DictionaryDecode);

void BM_LogLinesZstdSection(benchmark::State& state) {
  auto lines = LogLines();
  size_t raw = 0;
  for (const auto& l : lines) raw += l.size();
  std::string col = EncodeStrings(lines);
  std::string path = "./column_benchmark.blk";
  uint64_t file_bytes = 0;
  bool write = state.range(0) == 0;
  if (!write) {
    auto w = BlockWriter::Create(path);
    (void)(*w)->AddSection("lines", col);
    (void)(*w)->Finish("{}");
  }
  for (auto _ : state) {
    if (write) {
      auto w = BlockWriter::Create(path);
      (void)(*w)->AddSection("lines", col);
      (void)(*w)->Finish("{}");
      file_bytes = (*w)->bytes_written();
    } else {
      auto r = BlockReader::Open(path);
      auto bytes = (*r)->ReadSection("lines");
      auto back = DecodeStrings(*bytes);
      benchmark::DoNotOptimize(back->size());
      file_bytes = (*r)->file_bytes();
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * raw));
  state.counters["ratio"] = static_cast<double>(raw) / file_bytes;
  std::filesystem::remove(path);
}
BENCHMARK(BM_LogLinesZstdSection)->Arg(0)->Arg(1)->ArgName("read");

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();

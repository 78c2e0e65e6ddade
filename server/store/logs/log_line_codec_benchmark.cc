// The line codec alone, in MB/s of decoded line text: encoding (block
// writes) and decoding (a scan that delivers rows, or whose needle cannot be
// searched in encoded text), on lines as the quartet SDK writes them.
//
//   build-l/bin/log_line_codec_benchmark
#include <benchmark/benchmark.h>

#include <random>

#include "server/store/logs/log_line_codec.h"

namespace quartet::store {
namespace {

struct Corpus {
  std::vector<std::string> lines;
  std::vector<LineRow> rows;
  size_t bytes = 0;
};

const Corpus& Lines() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    std::mt19937_64 rng(7);
    int64_t ts = 1'795'479'939'694'000'000;
    for (int i = 0; i < 20000; ++i) {
      LineRow row;
      row.timestamp_ns = (ts += 1 + static_cast<int64_t>(rng() % 1'000'000));
      for (auto& b : row.trace_id.bytes) b = static_cast<uint8_t>(rng());
      for (auto& b : row.span_id.bytes) b = static_cast<uint8_t>(rng());
      std::string time;
      RenderRfc3339(row.timestamp_ns, 9, &time);
      TraceId request;
      for (auto& b : request.bytes) b = static_cast<uint8_t>(rng());
      c->lines.push_back("{\"time\":\"" + time +
                         "\",\"level\":\"INFO\",\"message\":\"db query\",\"service\":\"checkout\","
                         "\"query\":\"SELECT COUNT(*) FROM orders WHERE user_id = ?1\","
                         "\"duration_ms\":0." +
                         std::to_string(rng() % 1000000) +
                         ",\"rows\":" + std::to_string(rng() % 40) + ",\"trace_id\":\"" +
                         row.trace_id.ToHex() + "\",\"span_id\":\"" + row.span_id.ToHex() +
                         "\",\"sampled\":true,\"request_id\":\"" + request.ToHex() + "\"}");
      c->rows.push_back(row);
      c->bytes += c->lines.back().size();
    }
    return c;
  }();
  return *corpus;
}

void BM_Encode(benchmark::State& state) {
  const Corpus& c = Lines();
  std::string text, side;
  for (auto _ : state) {
    text.clear();
    side.clear();
    for (size_t i = 0; i < c.lines.size(); ++i) EncodeLogLine(c.lines[i], c.rows[i], &text, &side);
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["encoded_over_raw"] =
      static_cast<double>(text.size() + side.size()) / static_cast<double>(c.bytes);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_Encode);

void BM_Decode(benchmark::State& state) {
  const Corpus& c = Lines();
  std::string text, side, out;
  std::vector<size_t> ends;
  for (size_t i = 0; i < c.lines.size(); ++i) {
    EncodeLogLine(c.lines[i], c.rows[i], &text, &side);
    ends.push_back(text.size());
  }
  for (auto _ : state) {
    out.clear();
    std::string_view in = side;
    size_t start = 0;
    for (size_t i = 0; i < ends.size(); ++i) {
      if (!DecodeLogLine(std::string_view(text).substr(start, ends[i] - start), c.rows[i], &in,
                         &out)
               .ok()) {
        state.SkipWithError("decode failed");
      }
      start = ends[i];
    }
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.bytes));
}
BENCHMARK(BM_Decode);

}  // namespace
}  // namespace quartet::store

BENCHMARK_MAIN();

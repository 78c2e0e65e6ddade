// Loki push decode throughput on realistic batches: 1000 SDK-style JSON log
// lines of ~300 bytes over 4 streams, as JSON push and as protobuf push (the
// snappy step is measured separately where the library is linked). Figures are
// bytes of push body per second; the target is >= 100 MB/s of log
// ingest per core, of which decoding is one share.
//   build/bin/loki_benchmark --benchmark_min_time=0.5
#include <benchmark/benchmark.h>

#include <string>

#include "wire/json/json_parser.h"
#include "wire/loki/push.h"

namespace quartet::loki {
namespace {

PushRequest RealisticBatch(int lines, int streams) {
  PushRequest push;
  const char* levels[] = {"info", "warn", "error", "debug"};
  for (int s = 0; s < streams; ++s) {
    push.streams.push_back(
        Stream{{{"env", "prod"}, {"level", levels[s % 4]}, {"service_name", "checkout"}}, {}});
  }
  for (int i = 0; i < lines; ++i) {
    char trace[33], span[17];
    std::snprintf(trace, sizeof(trace), "%032x", i * 2654435761u);
    std::snprintf(span, sizeof(span), "%016x", i * 40503u);
    std::string line = "{\"time\":\"2026-11-25T23:41:07." + std::to_string(100000000 + i) +
                       "Z\",\"level\":\"INFO\",\"message\":\"checkout completed for user\","
                       "\"service\":\"checkout\",\"user_id\":" +
                       std::to_string(1000 + i % 97) + ",\"rows\":" + std::to_string(i % 5000) +
                       ",\"duration_ms\":12.5,\"route\":\"/checkout\",\"status\":200,"
                       "\"trace_id\":\"" +
                       trace + "\",\"span_id\":\"" + span +
                       "\",\"sampled\":true,\"request_id\":\"req-" + std::to_string(i) + "\"}";
    Entry e{1795479939694000000 + i * 1000,
            std::move(line),
            {{"trace_id", trace}, {"span_id", span}, {"request_id", "req-" + std::to_string(i)}}};
    push.streams[i % streams].entries.push_back(std::move(e));
  }
  return push;
}

void BM_DecodePushJson(benchmark::State& state) {
  std::string body = EncodePushJson(RealisticBatch(1000, 4));
  for (auto _ : state) {
    Result<PushRequest> r = DecodePushJson(body);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_DecodePushJson);

// wire/json's DOM parse alone: the share of BM_DecodePushJson that is JSON
// parsing rather than building the push structs.
void BM_JsonDomParseOnly(benchmark::State& state) {
  std::string body = EncodePushJson(RealisticBatch(1000, 4));
  for (auto _ : state) {
    Result<json::Value> r = json::Parse(body);
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
}
BENCHMARK(BM_JsonDomParseOnly);

void BM_DecodePushProtobuf(benchmark::State& state) {
  std::string body = EncodePushProtobuf(RealisticBatch(1000, 4));
  for (auto _ : state) {
    Result<PushRequest> r = DecodePushProtobuf(body);
    if (!r.ok()) state.SkipWithError(std::string(r.status().message()).c_str());
    benchmark::DoNotOptimize(r);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * body.size()));
  state.counters["body_bytes"] = static_cast<double>(body.size());
}
BENCHMARK(BM_DecodePushProtobuf);

void BM_Validate(benchmark::State& state) {
  PushRequest push = RealisticBatch(1000, 4);
  size_t bytes = EncodePushProtobuf(push).size();
  for (auto _ : state) benchmark::DoNotOptimize(Validate(push, Limits{}));
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_Validate);

void BM_EncodePushProtobuf(benchmark::State& state) {
  PushRequest push = RealisticBatch(1000, 4);
  size_t bytes = 0;
  for (auto _ : state) {
    std::string out = EncodePushProtobuf(push);
    bytes = out.size();
    benchmark::DoNotOptimize(out);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes));
}
BENCHMARK(BM_EncodePushProtobuf);

}  // namespace
}  // namespace quartet::loki

BENCHMARK_MAIN();

// Caller-thread cost of one log call with 5 attributes: quartet's logger vs
// spdlog's async logger (the peer), both writing JSON-shaped lines to
// /dev/null from a background thread, single- and multi-threaded.
//
//   build-l/bin/log_benchmark --benchmark_min_time=0.5
//
// Equivalence notes: both capture a timestamp and write a line with time,
// level, message, service and 5 fields. spdlog formats the message with fmt on
// the caller's thread and does NOT escape values (quartet escapes on the
// writer thread), so the comparison favours spdlog. spdlog's queue blocks when
// full (its default); quartet is measured in both drop mode (its default; the
// "dropped" counter says how many lines were shed) and block mode.
#include <benchmark/benchmark.h>
#include <spdlog/async.h>
#include <spdlog/sinks/basic_file_sink.h>
#include <spdlog/spdlog.h>

#include <chrono>
#include <memory>
#include <string>

#include "quartet/log.h"
#include "sdk/log/log_line.h"
#include "sdk/log/log_pipeline.h"
#include "sdk/log/record_ring.h"

namespace {

using namespace std::chrono_literals;

quartet::LogPipeline* QuartetPipeline(bool block) {
  static quartet::LogPipeline* pipelines[2] = {};
  if (pipelines[block] == nullptr) {
    quartet::LogPipelineOptions o;
    o.service = "checkout";
    o.output = "/dev/null";
    o.buffer_records = 8192;
    o.block_when_full = block;
    auto r = quartet::LogPipeline::Start(o);
    if (!r.ok()) std::abort();
    pipelines[block] = (new std::shared_ptr<quartet::LogPipeline>(std::move(r).value()))->get();
  }
  return pipelines[block];
}

void QuartetFiveAttrs(benchmark::State& state, bool block) {
  static quartet::LogPipeline* p = nullptr;
  p = QuartetPipeline(block);
  const quartet::Logger log = p->logger();
  const std::string query = "SELECT id, total FROM orders WHERE user_id = ?";
  const uint64_t dropped_before = p->dropped();
  int64_t rows = 0;
  for (auto _ : state) {
    log.Info("db query", {{"query", query},
                          {"rows", ++rows},
                          {"ok", true},
                          {"ratio", 0.25},
                          {"duration", std::chrono::microseconds(1234)}});
  }
  if (state.thread_index() == 0) {
    state.counters["dropped"] = static_cast<double>(p->dropped() - dropped_before);
    (void)p->Flush(10s);
  }
}

void BM_Quartet_5Attrs_Drop(benchmark::State& state) { QuartetFiveAttrs(state, false); }
void BM_Quartet_5Attrs_Block(benchmark::State& state) { QuartetFiveAttrs(state, true); }
BENCHMARK(BM_Quartet_5Attrs_Drop)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(BM_Quartet_5Attrs_Block)->Threads(1)->Threads(2)->UseRealTime();

// The caller's cost when the ring never fills: bursts of 4096 records (half
// the ring), with the writer catching up outside the timed region. Neither
// drops nor waits: this is the pure capture cost.
void BM_Quartet_5Attrs_Burst(benchmark::State& state) {
  quartet::LogPipeline* p = QuartetPipeline(false);
  const quartet::Logger log = p->logger();
  const std::string query = "SELECT id, total FROM orders WHERE user_id = ?";
  const uint64_t dropped_before = p->dropped();
  int64_t rows = 0;
  for (auto _ : state) {
    log.Info("db query", {{"query", query},
                          {"rows", ++rows},
                          {"ok", true},
                          {"ratio", 0.25},
                          {"duration", std::chrono::microseconds(1234)}});
    if ((rows & 4095) == 0) {
      state.PauseTiming();
      (void)p->Flush(10s);
      state.ResumeTiming();
    }
  }
  state.counters["dropped"] = static_cast<double>(p->dropped() - dropped_before);
}
BENCHMARK(BM_Quartet_5Attrs_Burst);

void BM_Quartet_Disabled(benchmark::State& state) {
  const quartet::Logger log = QuartetPipeline(false)->logger();
  for (auto _ : state) {
    log.Debug("db query", {{"rows", 42}, {"ok", true}});
  }
}
BENCHMARK(BM_Quartet_Disabled)->Threads(1);

// The writer thread's work per record: decode the captured record and render
// its JSON line (bounds how many lines per second the pipeline can write).
void BM_Quartet_WriterSide_DecodeAndRender(benchmark::State& state) {
  const std::string query = "SELECT id, total FROM orders WHERE user_id = ?";
  const quartet::LogAttr attrs[] = {{"query", query},
                                    {"rows", 42},
                                    {"ok", true},
                                    {"ratio", 0.25},
                                    {"duration", std::chrono::microseconds(1234)}};
  quartet::log_internal::RecordHeader h;
  h.time_unix_nano = 1795736467123456789;
  std::string record(quartet::log_internal::EncodedSize("db query", "", attrs), '\0');
  quartet::log_internal::EncodeRecord(h, "db query", "", attrs, record.data());
  quartet::log_internal::DecodedRecord rec;
  std::vector<quartet::LogAttr> decoded;
  std::string out;
  for (auto _ : state) {
    quartet::log_internal::DecodeRecord(record.data(), &rec, &decoded);
    quartet::log_internal::LineFields f;
    f.time_unix_nano = rec.header.time_unix_nano;
    f.level = rec.header.level;
    f.message = rec.message;
    f.service_json = "\"checkout\"";
    f.attrs = decoded;
    out.clear();
    quartet::log_internal::AppendLogLine(f, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * out.size()));
}
BENCHMARK(BM_Quartet_WriterSide_DecodeAndRender);

spdlog::logger* SpdlogAsync() {
  static std::shared_ptr<spdlog::logger> logger = [] {
    spdlog::init_thread_pool(8192, 1);
    auto l = spdlog::create_async<spdlog::sinks::basic_file_sink_mt>("bench", "/dev/null");
    l->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%FZ","level":"%^%l%$","message":%v})",
                   spdlog::pattern_time_type::utc);
    return l;
  }();
  return logger.get();
}

void BM_Spdlog_Async_5Attrs(benchmark::State& state) {
  spdlog::logger* l = SpdlogAsync();
  const std::string query = "SELECT id, total FROM orders WHERE user_id = ?";
  int64_t rows = 0;
  for (auto _ : state) {
    l->info(
        R"("db query","service":"checkout","query":"{}","rows":{},"ok":{},"ratio":{},"duration":{}}})",
        query, ++rows, true, 0.25, 0.001234);
  }
  if (state.thread_index() == 0) l->flush();
}
BENCHMARK(BM_Spdlog_Async_5Attrs)->Threads(1)->Threads(2)->UseRealTime();

}  // namespace

BENCHMARK_MAIN();

// TraceTable benchmarks: append throughput of realistic spans, trace-by-id
// latency with 1M spans in blocks (p50/p99), and stored bytes per span next to
// raw OTLP protobuf bytes per span.
//
//   build-tb/bin/trace_table_benchmark [--spans=1000000]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <string>
#include <thread>

#include "server/store/traces/trace_table.h"
#include "wire/otlp/encode_model.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

otlp::KeyValue S(std::string k, std::string v) {
  return {std::move(k), otlp::AnyValue::String(std::move(v))};
}
otlp::KeyValue I(std::string k, int64_t v) { return {std::move(k), otlp::AnyValue::Int(v)}; }

// One request: `traces` traces of 10 spans, over 2 resources (frontend, db),
// each span with 8 attributes.
otlp::ExportTraceServiceRequest MakeRequest(std::mt19937_64& rng, int traces, int64_t* clock,
                                            std::vector<TraceId>* ids = nullptr) {
  otlp::ExportTraceServiceRequest r;
  const char* services[2] = {"frontend", "orders-db"};
  for (int s = 0; s < 2; ++s) {
    auto& rs = r.resource_spans.emplace_back();
    rs.resource.attributes = {S("service.name", services[s]), S("service.version", "1.4.2"),
                              S("host.name", "node-17.eu-west-1.internal"),
                              S("k8s.pod.name", std::string(services[s]) + "-7d9f8b6c5-x2k4q"),
                              S("deployment.environment", "production")};
    auto& ss = rs.scope_spans.emplace_back();
    ss.scope.name = "@opentelemetry/instrumentation-http";
    ss.scope.version = "0.52.1";
  }
  const char* routes[] = {"/api/cart", "/api/orders/:id", "/api/checkout", "/api/users/:id"};
  for (int t = 0; t < traces; ++t) {
    TraceId tid;
    for (int i = 0; i < 16; i += 8) {
      uint64_t v = rng();
      std::memcpy(tid.bytes.data() + i, &v, 8);
    }
    if (ids) ids->push_back(tid);
    const int64_t start = *clock;
    *clock += 1'000'000;
    SpanId root;
    for (int k = 0; k < 10; ++k) {
      otlp::Span span;
      span.trace_id = tid;
      uint64_t sid = rng() | 1;
      std::memcpy(span.span_id.bytes.data(), &sid, 8);
      if (k == 0)
        root = span.span_id;
      else
        span.parent_span_id = root;
      const int svc = k < 4 ? 0 : 1;
      const char* route = routes[rng() % 4];
      span.name = svc == 0 ? std::string("GET ") + route : "SELECT orders";
      span.kind = svc == 0 ? otlp::SpanKind::kServer : otlp::SpanKind::kClient;
      span.start_time_unix_nano = static_cast<uint64_t>(start + k * 1000 + int64_t(rng() % 1000));
      span.end_time_unix_nano = span.start_time_unix_nano + 50'000 + rng() % 5'000'000;
      span.attributes = {S("http.method", "GET"),
                         S("http.route", route),
                         I("http.status_code", rng() % 20 == 0 ? 500 : 200),
                         S("net.peer.name", "orders.internal"),
                         S("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Chrome/126.0"),
                         S("db.system", "postgresql"),
                         I("thread.id", int64_t(rng() % 64)),
                         S("request.id", std::to_string(rng() % 100000000))};
      if (span.attributes[2].value.int_value == 500)
        span.status.code = otlp::SpanStatusCode::kError;
      r.resource_spans[svc].scope_spans[0].spans.push_back(std::move(span));
    }
  }
  return r;
}

std::string TempDir(const char* name) {
  fs::path p =
      fs::temp_directory_path() / (std::string(name) + std::to_string(std::random_device{}()));
  fs::remove_all(p);
  return p.string();
}

void BM_AppendSpans(benchmark::State& state) {
  TableOptions options;
  options.dir = TempDir("trace_bench_append_");
  options.sync = static_cast<SyncPolicy>(state.range(0));
  options.retention_age = std::chrono::seconds(0);
  auto table = std::move(TraceTable::Open(options).value());
  std::mt19937_64 rng(1);
  int64_t clock = 1'700'000'000'000'000'000;
  std::vector<otlp::ExportTraceServiceRequest> requests;
  for (int i = 0; i < 64; ++i) requests.push_back(MakeRequest(rng, 10, &clock));  // 100 spans each
  size_t i = 0;
  int64_t pushed_back = 0;
  for (auto _ : state) {
    auto r = table->AppendSpans(requests[i++ % requests.size()]);
    // Push back while a flush makes room is the store working as designed
    // (an exporter waits and retries): do the same, and count it.
    while (!r.ok() && r.status().code() == StatusCode::kResourceExhausted) {
      ++pushed_back;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
      r = table->AppendSpans(requests[(i - 1) % requests.size()]);
    }
    if (!r.ok()) {
      state.SkipWithError(std::string(r.status().message()).c_str());
      break;
    }
  }
  state.SetItemsProcessed(state.iterations() * 100);
  state.counters["flushes"] = static_cast<double>(table->stats().flushes);
  state.counters["pushed_back"] = static_cast<double>(pushed_back);
  table.reset();
  fs::remove_all(options.dir);
}
BENCHMARK(BM_AppendSpans)
    ->Arg(static_cast<int>(SyncPolicy::kAlways))
    ->Arg(static_cast<int>(SyncPolicy::kNever))
    ->UseRealTime()
    ->MinTime(2.0);

// Not a Google Benchmark: loads `spans` spans, flushes them to blocks, then
// times trace-by-id and reports sizes.
void BlocksReport(int64_t spans) {
  TableOptions options;
  options.dir = TempDir("trace_bench_blocks_");
  options.sync = SyncPolicy::kNever;
  options.retention_age = std::chrono::seconds(0);
  auto table = std::move(TraceTable::Open(options).value());
  std::mt19937_64 rng(2);
  int64_t clock = 1'700'000'000'000'000'000;
  std::vector<TraceId> ids;
  uint64_t raw_bytes = 0;
  const auto t0 = std::chrono::steady_clock::now();
  for (int64_t n = 0; n < spans; n += 100) {
    otlp::ExportTraceServiceRequest r = MakeRequest(rng, 10, &clock, &ids);
    raw_bytes += otlp::EncodeTraces(r).size();
    for (;;) {  // over the memory limit: back off as a client does on 429
      auto result = table->AppendSpans(r);
      if (result.ok()) break;
      if (result.status().code() != StatusCode::kResourceExhausted) {
        std::fprintf(stderr, "append: %s\n", std::string(result.status().message()).c_str());
        std::abort();
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
  }
  const double load_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  if (Status f = table->Flush(); !f.ok()) {
    std::fprintf(stderr, "flush: %s\n", std::string(f.message()).c_str());
    std::abort();
  }
  const TraceTableStats st = table->stats();
  std::vector<double> us;
  std::shuffle(ids.begin(), ids.end(), rng);
  for (size_t i = 0; i < std::min<size_t>(ids.size(), 5000); ++i) {
    const auto a = std::chrono::steady_clock::now();
    auto trace = table->GetTrace(ids[i]);
    if (!trace.ok()) std::abort();
    us.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - a).count());
  }
  std::sort(us.begin(), us.end());
  std::printf(
      "loaded %lld spans (%zu traces) in %.1f s: %.0f spans/s (WAL kNever, flushes %lld, refused "
      "%lld)\n",
      static_cast<long long>(spans), ids.size(), load_s, spans / load_s,
      static_cast<long long>(st.flushes), static_cast<long long>(st.refused_appends));
  std::printf("blocks %lld, block spans %lld, block bytes %llu\n",
              static_cast<long long>(st.blocks), static_cast<long long>(st.block_spans),
              static_cast<unsigned long long>(st.block_bytes));
  std::printf("raw OTLP protobuf: %.1f B/span; stored: %.1f B/span; ratio %.2f\n",
              double(raw_bytes) / spans, double(st.block_bytes) / st.block_spans,
              double(st.block_bytes) / st.block_spans / (double(raw_bytes) / spans));
  std::printf("GetTrace over blocks (%zu lookups): p50 %.0f us, p99 %.0f us\n", us.size(),
              us[us.size() / 2], us[us.size() * 99 / 100]);
  table.reset();
  fs::remove_all(options.dir);
}

}  // namespace
}  // namespace quartet::store

int main(int argc, char** argv) {
  int64_t spans = 1'000'000;
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with("--spans=")) spans = std::atoll(argv[i] + 8);
  }
  quartet::store::BlocksReport(spans);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}

// quartetd query latency at the scale issue 4 names: one hour holding ten
// million spans (and two log lines per trace), in blocks on disk as a
// compacted hour would be. Measured through the query handlers (Tempo API:
// TraceQL search, trace by id with no time range; the links API's logs of a
// trace), without HTTP transport, one query at a time.
//
// The data is generated once into $QUARTET_BENCH_DIR (default
// /tmp/quartet-search-bench) and reused by later runs; remove the directory
// (or change --spans) to rebuild it. Building 10M spans takes a few minutes.
//
//   build/bin/search_benchmark [--spans=10000000] [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "server/api/links/links_api.h"
#include "server/api/tempo/tempo_api.h"
#include "server/store/logs/log_table.h"
#include "server/store/traces/trace_table.h"
#include "wire/otlp/encode_model.h"

namespace quartet {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kHourStartNs = 1'795'000'000'000'000'000;
constexpr int64_t kHourNs = 3'600'000'000'000;
// 2: regenerate the blocks once trace blocks cut 2048-span row groups.
constexpr int kGeneratorVersion = 2;

otlp::KeyValue S(std::string k, std::string v) {
  return {std::move(k), otlp::AnyValue::String(std::move(v))};
}
otlp::KeyValue I(std::string k, int64_t v) { return {std::move(k), otlp::AnyValue::Int(v)}; }

const char* const kServices[] = {"frontend", "checkout", "cart",     "payments", "users",
                                 "catalog",  "shipping", "currency", "email",    "ads"};
const char* const kRoutes[] = {
    "/checkout",        "/cart",         "/cart/items",    "/cart/items/:id",
    "/products",        "/products/:id", "/orders",        "/orders/:id",
    "/users/:id",       "/login",        "/logout",        "/search",
    "/recommend",       "/ads",          "/currency",      "/shipping/quote",
    "/payments",        "/payments/:id", "/email/confirm", "/health",
    "/api/v2/checkout", "/api/v2/cart",  "/api/v2/orders", "/api/v2/users",
    "/static/:file",    "/admin",        "/admin/users",   "/admin/orders",
    "/webhooks/stripe", "/metrics"};

struct Generated {
  int64_t spans = 0;
  int64_t raw_otlp_bytes = 0;
  int64_t log_lines = 0;
  int64_t log_bytes = 0;
};

// One batch of `traces` traces of 8 spans: a SERVER root on the frontend, a
// SERVER span on a backend, two INTERNAL and four sqlite CLIENT spans under
// it. Durations are long-tailed; /checkout roots are slow one time in 200.
// Two JSON log lines per trace carry its ids, as the SDK writes them.
void MakeBatch(std::mt19937_64& rng, int traces, otlp::ExportTraceServiceRequest* spans,
               std::vector<store::LogStream>* logs, std::vector<TraceId>* ids) {
  spans->resource_spans.clear();
  std::vector<int> resource_of(std::size(kServices), -1);
  auto scope_for = [&](int service) -> otlp::ScopeSpans& {
    if (resource_of[service] < 0) {
      resource_of[service] = static_cast<int>(spans->resource_spans.size());
      otlp::ResourceSpans& rs = spans->resource_spans.emplace_back();
      rs.resource.attributes = {
          S("service.name", kServices[service]),
          S("service.version", "2.3." + std::to_string(service)),
          S("deployment.environment", "production"),
          S("host.name", std::string(kServices[service]) + "-7d9f8b6c5-x2k4q"),
          S("telemetry.sdk.language", "cpp"),
          S("telemetry.sdk.name", "quartet")};
      otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
      ss.scope.name = "quartet";
      ss.scope.version = "0.3.0";
    }
    return spans->resource_spans[resource_of[service]].scope_spans[0];
  };
  std::exponential_distribution<double> tail(1.0);
  for (int t = 0; t < traces; ++t) {
    TraceId tid;
    for (int i = 0; i < 16; i += 8) {
      const uint64_t v = rng();
      std::memcpy(tid.bytes.data() + i, &v, 8);
    }
    ids->push_back(tid);
    const int64_t start = kHourStartNs + static_cast<int64_t>(rng() % kHourNs);
    const char* route = kRoutes[rng() % std::size(kRoutes)];
    const bool checkout = std::strcmp(route, "/checkout") == 0;
    int64_t total = 2'000'000 + static_cast<int64_t>(tail(rng) * 30'000'000);
    if (checkout && rng() % 200 == 0)
      total += 500'000'000 + static_cast<int64_t>(rng() % 900'000'000);
    const bool error = rng() % 50 == 0;
    const int backend = 1 + static_cast<int>(rng() % (std::size(kServices) - 1));
    SpanId ids8[8];
    for (SpanId& s : ids8) {
      const uint64_t v = rng() | 1;
      std::memcpy(s.bytes.data(), &v, 8);
    }
    for (int k = 0; k < 8; ++k) {
      otlp::Span span;
      span.trace_id = tid;
      span.span_id = ids8[k];
      if (k > 0) span.parent_span_id = ids8[k == 1 ? 0 : 1];
      const int64_t offset = k == 0 ? 0 : k * (total / 20);
      const int64_t duration = k == 0 ? total : k == 1 ? total - 2 * offset : total / 12;
      span.start_time_unix_nano = static_cast<uint64_t>(start + offset);
      span.end_time_unix_nano =
          static_cast<uint64_t>(start + offset + std::max<int64_t>(duration, 1000));
      const int status = error && k <= 1 ? 500 : 200;
      if (k <= 1) {
        span.name = std::string("POST ") + route;
        span.kind = otlp::SpanKind::kServer;
        span.attributes = {
            S("http.request.method", "POST"),
            S("http.route", route),
            I("http.response.status_code", status),
            S("url.path", std::string(route) + "?session=" + std::to_string(rng() % 100000)),
            S("user_agent.original", "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"),
            S("request_id", std::to_string(rng()))};
        if (status == 500) {
          span.status.code = otlp::SpanStatusCode::kError;
          span.status.message = "internal error";
        }
      } else if (k <= 3) {
        span.name = k == 2 ? "validate" : "render";
        span.kind = otlp::SpanKind::kInternal;
        span.attributes = {I("items", static_cast<int64_t>(rng() % 20))};
      } else {
        span.name = "SELECT orders";
        span.kind = otlp::SpanKind::kClient;
        span.attributes = {S("db.system", "sqlite"),
                           S("db.statement", "SELECT id, total FROM orders WHERE user_id = ?"),
                           I("db.rows", static_cast<int64_t>(rng() % 500))};
      }
      scope_for(k == 0 ? 0 : backend).spans.push_back(std::move(span));
    }
    store::LogStream& stream = (*logs)[static_cast<size_t>(backend)];
    for (int line = 0; line < 2; ++line) {
      store::LogEntry& e = stream.entries.emplace_back();
      e.timestamp_ns = start + (line + 1) * (total / 3);
      e.trace_id = tid;
      e.span_id = ids8[line == 0 ? 1 : 4];
      char text[512];
      std::snprintf(text, sizeof text,
                    "{\"time\":\"2026-11-18T10:%02d:%02d.%09dZ\",\"level\":\"%s\",\"msg\":\"%s\","
                    "\"service\":\"%s\",\"route\":\"%s\",\"trace_id\":\"%s\",\"span_id\":\"%s\","
                    "\"sampled\":true,\"duration_ms\":%.2f}",
                    static_cast<int>(rng() % 60), static_cast<int>(rng() % 60),
                    static_cast<int>(rng() % 1'000'000'000), error ? "ERROR" : "INFO",
                    line == 0 ? "request handled" : "query done", kServices[backend], route,
                    tid.ToHex().c_str(), e.span_id.ToHex().c_str(),
                    static_cast<double>(total) / 1e6);
      e.line = text;
    }
  }
}

std::vector<store::LogStream> EmptyStreams() {
  std::vector<store::LogStream> logs(std::size(kServices));
  for (size_t i = 0; i < logs.size(); ++i) {
    logs[i].labels = {{"env", "production"}, {"service_name", kServices[i]}};
  }
  return logs;
}

template <typename F>
void RetryPushBack(F append) {
  for (;;) {
    Status st = append();
    if (st.ok()) return;
    if (st.code() != StatusCode::kResourceExhausted) {
      std::fprintf(stderr, "append failed: %s\n", std::string(st.message()).c_str());
      std::exit(1);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

struct Fixture {
  std::unique_ptr<store::TraceTable> traces;
  std::unique_ptr<store::LogTable> logs;
  std::unique_ptr<api::TempoApi> tempo;
  std::unique_ptr<api::LinksApi> links;
  std::vector<TraceId> ids;  // a sample of stored trace ids
  Generated generated;
};

store::TableOptions Options(const fs::path& dir) {
  store::TableOptions options;
  options.dir = dir.string();
  options.sync = store::SyncPolicy::kNever;
  options.retention_age = std::chrono::seconds(0);
  options.memory_limit_bytes = size_t{2} << 30;
  return options;
}

Fixture* Load(int64_t spans) {
  static Fixture* fixture = nullptr;
  if (fixture != nullptr) return fixture;
  fixture = new Fixture;
  const char* env = std::getenv("QUARTET_BENCH_DIR");
  const fs::path dir = env ? env : "/tmp/quartet-search-bench";
  const std::string stamp =
      "v" + std::to_string(kGeneratorVersion) + " spans=" + std::to_string(spans);
  std::string found;
  {
    std::ifstream in(dir / "STAMP");
    std::getline(in, found);
  }
  const bool reuse = found.rfind(stamp, 0) == 0;
  if (!reuse) {
    fs::remove_all(dir);
    fs::create_directories(dir);
  }
  auto traces = store::TraceTable::Open(Options(dir / "traces"), /*background=*/true);
  auto logs = store::LogTable::Open(Options(dir / "logs"), /*background=*/true);
  if (!traces.ok() || !logs.ok()) {
    std::fprintf(stderr, "open failed\n");
    std::exit(1);
  }
  fixture->traces = std::move(*traces);
  fixture->logs = std::move(*logs);
  std::mt19937_64 rng(7);
  std::vector<TraceId> ids;
  if (!reuse) {
    const auto t0 = std::chrono::steady_clock::now();
    otlp::ExportTraceServiceRequest batch;
    for (int64_t n = 0; n < spans; n += 8 * 64) {
      std::vector<store::LogStream> lines = EmptyStreams();
      MakeBatch(rng, 64, &batch, &lines, &ids);
      fixture->generated.raw_otlp_bytes += static_cast<int64_t>(otlp::EncodeTraces(batch).size());
      fixture->generated.spans += 8 * 64;
      for (const auto& s : lines) {
        for (const auto& e : s.entries)
          fixture->generated.log_bytes += static_cast<int64_t>(e.line.size());
        fixture->generated.log_lines += static_cast<int64_t>(s.entries.size());
      }
      RetryPushBack([&] { return fixture->traces->AppendSpans(batch).status(); });
      RetryPushBack([&] { return fixture->logs->AppendLogs(lines).status(); });
    }
    if (!fixture->traces->Flush().ok() || !fixture->logs->Flush().ok()) std::exit(1);
    const auto t1 = std::chrono::steady_clock::now();
    (void)fixture->traces->Compact();
    (void)fixture->logs->Compact();
    const auto t2 = std::chrono::steady_clock::now();
    std::fprintf(stderr, "generated %lld spans in %.1f s, compacted in %.1f s\n",
                 static_cast<long long>(fixture->generated.spans),
                 std::chrono::duration<double>(t1 - t0).count(),
                 std::chrono::duration<double>(t2 - t1).count());
    std::ofstream(dir / "STAMP") << stamp << " raw_otlp=" << fixture->generated.raw_otlp_bytes
                                 << " log_bytes=" << fixture->generated.log_bytes << "\n";
  } else {
    // Same seed, same ids: regenerate them without storing anything.
    otlp::ExportTraceServiceRequest batch;
    for (int64_t n = 0; n < spans; n += 8 * 64) {
      std::vector<store::LogStream> lines = EmptyStreams();
      MakeBatch(rng, 64, &batch, &lines, &ids);
    }
  }
  std::mt19937_64 pick(11);
  for (int i = 0; i < 20000; ++i) fixture->ids.push_back(ids[pick() % ids.size()]);
  const store::TraceTableStats ts = fixture->traces->stats();
  const store::LogTableStats ls = fixture->logs->stats();
  std::fprintf(stderr,
               "stored: %lld spans in %lld trace blocks (%.1f MiB), %lld log blocks (%.1f MiB)\n",
               static_cast<long long>(ts.block_spans), static_cast<long long>(ts.blocks),
               static_cast<double>(ts.block_bytes) / (1 << 20), static_cast<long long>(ls.blocks),
               static_cast<double>(ls.block_bytes) / (1 << 20));
  fixture->tempo = std::make_unique<api::TempoApi>(fixture->traces.get());
  fixture->links = std::make_unique<api::LinksApi>(fixture->traces.get(), fixture->logs.get());
  return fixture;
}

int64_t g_spans = 10'000'000;

// Latency percentiles over the iterations, as counters (milliseconds).
class Percentiles {
 public:
  void Add(std::chrono::steady_clock::duration d) {
    ms_.push_back(std::chrono::duration<double, std::milli>(d).count());
  }
  void Report(benchmark::State& state) {
    if (ms_.empty()) return;
    std::sort(ms_.begin(), ms_.end());
    state.counters["p50_ms"] = ms_[ms_.size() / 2];
    state.counters["p99_ms"] = ms_[std::min(ms_.size() - 1, ms_.size() * 99 / 100)];
  }

 private:
  std::vector<double> ms_;
};

server::HttpRequest Get(std::string path, std::vector<std::pair<std::string, std::string>> params) {
  server::HttpRequest r;
  r.method = "GET";
  r.path = std::move(path);
  r.params = std::move(params);
  return r;
}

void BM_TraceById(benchmark::State& state) {
  Fixture* f = Load(g_spans);
  Percentiles p;
  size_t i = 0;
  for (auto _ : state) {
    const TraceId& id = f->ids[i++ % f->ids.size()];
    const auto t0 = std::chrono::steady_clock::now();
    server::HttpRequest r = Get("/api/traces/" + id.ToHex(), {});
    r.path_params = {{"id", id.ToHex()}};
    server::HttpResponse resp = f->tempo->TraceById(r);
    p.Add(std::chrono::steady_clock::now() - t0);
    if (resp.status != 200) state.SkipWithError("trace not found");
  }
  p.Report(state);
}

// The trace and its log lines, each through its API, as the UI opens them.
void BM_TraceAndLogs(benchmark::State& state) {
  Fixture* f = Load(g_spans);
  Percentiles p;
  size_t i = 0;
  for (auto _ : state) {
    const std::string hex = f->ids[i++ % f->ids.size()].ToHex();
    const auto t0 = std::chrono::steady_clock::now();
    server::HttpRequest r = Get("/api/traces/" + hex, {});
    r.path_params = {{"id", hex}};
    server::HttpResponse trace = f->tempo->TraceById(r);
    r.path = "/api/v1/traces/" + hex + "/logs";
    server::HttpResponse logs = f->links->Logs(r);
    p.Add(std::chrono::steady_clock::now() - t0);
    if (trace.status != 200 || logs.status != 200 || logs.body.find(hex) == std::string::npos) {
      state.SkipWithError("trace or its logs missing");
    }
  }
  p.Report(state);
}

void Search(benchmark::State& state, const char* q) {
  Fixture* f = Load(g_spans);
  Percentiles p;
  const std::string start = std::to_string(kHourStartNs / 1'000'000'000);
  const std::string end = std::to_string((kHourStartNs + kHourNs) / 1'000'000'000 + 60);
  size_t found = 0;
  for (auto _ : state) {
    const auto t0 = std::chrono::steady_clock::now();
    server::HttpResponse resp = f->tempo->Search(
        Get("/api/search", {{"q", q}, {"start", start}, {"end", end}, {"limit", "20"}}));
    p.Add(std::chrono::steady_clock::now() - t0);
    if (resp.status != 200) {
      state.SkipWithError(resp.body.c_str());
      break;
    }
    found = 0;
    for (size_t at = resp.body.find("\"traceID\""); at != std::string::npos;
         at = resp.body.find("\"traceID\"", at + 1)) {
      ++found;
    }
  }
  state.counters["traces"] = static_cast<double>(found);
  // The shared cache of decoded columns after this query (first iteration
  // cold unless an earlier query filled it): whether it still fits.
  const store::SearchCacheStats cache = f->traces->stats().search_cache;
  state.counters["cache_MiB"] = static_cast<double>(cache.bytes) / (1 << 20);
  state.counters["cache_evictions"] = static_cast<double>(cache.evictions);
  p.Report(state);
}

void RegisterAll() {
  benchmark::RegisterBenchmark("TraceById/no_range", BM_TraceById)->Iterations(5000)->UseRealTime();
  benchmark::RegisterBenchmark("TraceAndLogs/no_range", BM_TraceAndLogs)
      ->Iterations(5000)
      ->UseRealTime();
  const char* queries[] = {
      R"({ span.http.route = "/checkout" && duration > 500ms })",
      R"({ resource.service.name = "payments" && status = error })",
      R"({ name = "SELECT orders" && span.db.rows > 490 })",
      R"({ span.http.response.status_code >= 500 })",
      R"({ duration > 1s })",
      R"({ })",
      R"({ span.http.route = "/checkout" } && { name = "SELECT orders" })",
  };
  for (const char* q : queries) {
    benchmark::RegisterBenchmark((std::string("TraceQL/") + q).c_str(),
                                 [q](benchmark::State& s) { Search(s, q); })
        ->Iterations(20)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace
}  // namespace quartet

int main(int argc, char** argv) {
  for (int i = 1; i < argc; ++i) {
    if (std::strncmp(argv[i], "--spans=", 8) == 0) quartet::g_spans = std::atoll(argv[i] + 8);
  }
  benchmark::Initialize(&argc, argv);
  quartet::RegisterAll();
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}

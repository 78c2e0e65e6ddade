// quartetd ingest throughput, end to end on this machine: OTLP/protobuf
// spans and Loki JSON log lines decoded, checked, written to the WAL
// (fsync'd: the default policy) and inserted into the stores — directly
// through the ingest handlers, and over loopback HTTP through quartetd's HTTP
// server with keep-alive clients. Rates are per CPU-second of the whole
// process (server and, over HTTP, the clients too), i.e. per core.
// Run: build/bin/ingest_benchmark --benchmark_min_time=3
#include <benchmark/benchmark.h>
#include <httplib.h>
#include <sys/resource.h>

#include <algorithm>
#include <atomic>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "server/http/http_server.h"
#include "server/ingest/loki/loki_push.h"
#include "server/ingest/otlp/otlp_ingest.h"
#include "server/store/logs/log_table.h"
#include "server/store/traces/trace_table.h"
#include "wire/otlp/encode_model.h"

namespace {

using namespace quartet;

constexpr int kSpansPerRequest = 512;
constexpr int kLinesPerPush = 1000;

double ProcessCpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return static_cast<double>(u.ru_utime.tv_sec + u.ru_stime.tv_sec) +
         static_cast<double>(u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Realistic spans: a server span with 8 attributes from one of two services.
std::string SpansRequest(std::mt19937_64& rng) {
  otlp::ExportTraceServiceRequest request;
  for (int r = 0; r < 2; ++r) {
    otlp::ResourceSpans& rs = request.resource_spans.emplace_back();
    rs.resource.attributes = {
        {"service.name", otlp::AnyValue::String(r == 0 ? "checkout" : "orders-db")},
        {"service.version", otlp::AnyValue::String("1.4.2")},
        {"deployment.environment", otlp::AnyValue::String("prod")},
        {"host.name", otlp::AnyValue::String("web-7f9c6d-x2k4p")}};
    otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
    ss.scope.name = "quartet";
    for (int i = 0; i < kSpansPerRequest / 2; ++i) {
      otlp::Span& span = ss.spans.emplace_back();
      const uint64_t a = rng(), b = rng(), c = rng();
      std::memcpy(span.trace_id.bytes.data(), &a, 8);
      std::memcpy(span.trace_id.bytes.data() + 8, &b, 8);
      std::memcpy(span.span_id.bytes.data(), &c, 8);
      span.name = r == 0 ? "GET /checkout" : "SELECT orders";
      span.kind = r == 0 ? otlp::SpanKind::kServer : otlp::SpanKind::kClient;
      span.start_time_unix_nano = 1'795'000'000'000'000'000ull + (rng() % 3'600'000'000'000ull);
      span.end_time_unix_nano = span.start_time_unix_nano + rng() % 900'000'000;
      span.attributes = {{"http.route", otlp::AnyValue::String("/checkout")},
                         {"http.request.method", otlp::AnyValue::String("GET")},
                         {"http.response.status_code", otlp::AnyValue::Int(200)},
                         {"url.path", otlp::AnyValue::String("/checkout")},
                         {"user.id", otlp::AnyValue::Int(static_cast<int64_t>(rng() % 20000))},
                         {"request.id", otlp::AnyValue::String(std::to_string(rng()))},
                         {"db.system", otlp::AnyValue::String("sqlite")},
                         {"db.rows", otlp::AnyValue::Int(static_cast<int64_t>(rng() % 60000))}};
    }
  }
  return otlp::EncodeTraces(request);
}

// Log timestamps in time order (19 decimal digits), shared by all threads.
std::atomic<uint64_t> log_clock{1'795'000'000'000'000'000ull};

// A Loki JSON push of SDK-style JSON lines (~300 bytes) over 4 streams.
// Replayed pushes get fresh, increasing timestamps written over the old
// ones (Restamp), so each stream stays in time order as shippers send it.
struct Push {
  std::string body;
  std::vector<size_t> timestamp_offsets;
  void Restamp(std::string* out) const {
    *out = body;
    for (size_t at : timestamp_offsets) {
      const std::string ts = std::to_string(log_clock.fetch_add(1000));
      out->replace(at, ts.size(), ts);
    }
  }
};

Push LokiPush(std::mt19937_64& rng, size_t* line_bytes) {
  Push push;
  std::string& body = push.body;
  body = "{\"streams\":[";
  *line_bytes = 0;
  for (int s = 0; s < 4; ++s) {
    if (s > 0) body += ',';
    body += "{\"stream\":{\"service_name\":\"checkout\",\"level\":\"" +
            std::string(s % 2 ? "info" : "warn") + "\",\"pod\":\"p" + std::to_string(s) +
            "\"},\"values\":[";
    for (int i = 0; i < kLinesPerPush / 4; ++i) {
      char trace[33];
      std::snprintf(trace, sizeof trace, "%016llx%016llx", static_cast<unsigned long long>(rng()),
                    static_cast<unsigned long long>(rng()));
      const std::string line =
          "{\\\"time\\\":\\\"2026-11-25T23:41:07.123456789Z\\\",\\\"level\\\":\\\"INFO\\\","
          "\\\"message\\\":\\\"db query\\\",\\\"service\\\":\\\"checkout\\\",\\\"query\\\":"
          "\\\"SELECT COUNT(*) FROM orders WHERE user_id = ?1\\\",\\\"duration_ms\\\":11.89,"
          "\\\"rows\\\":" +
          std::to_string(rng() % 60000) + ",\\\"trace_id\\\":\\\"" + trace +
          "\\\",\\\"sampled\\\":true}";
      // The stored line has no JSON escapes.
      *line_bytes += line.size() - static_cast<size_t>(std::count(line.begin(), line.end(), '\\'));
      if (i > 0) body += ',';
      body += "[\"";
      push.timestamp_offsets.push_back(body.size());
      body += std::to_string(log_clock.fetch_add(1000)) + "\",\"" + line + "\"]";
    }
    body += "]}";
  }
  body += "]}";
  return push;
}

struct Stack {
  std::filesystem::path dir;
  std::unique_ptr<store::TraceTable> traces;
  std::unique_ptr<store::LogTable> logs;
  std::unique_ptr<ingest::OtlpIngest> otlp;
  std::unique_ptr<ingest::LokiPushIngest> loki;
  std::unique_ptr<server::HttpServer> http;

  Stack() {
    const char* base = std::getenv("QUARTET_BENCH_DIR");
    dir = std::filesystem::path(base ? base : "/tmp") /
          ("ingest_bench_" + std::to_string(std::random_device{}()));
    store::TableOptions options;
    options.memory_limit_bytes = size_t{4} << 30;
    options.dir = (dir / "traces").string();
    traces = std::move(*store::TraceTable::Open(options));
    options.dir = (dir / "logs").string();
    logs = std::move(*store::LogTable::Open(options));
    otlp = std::make_unique<ingest::OtlpIngest>(traces.get(), logs.get());
    loki = std::make_unique<ingest::LokiPushIngest>(logs.get(), loki::Limits{}, 64u << 20);
    server::Router router;
    otlp->Register(&router);
    loki->Register(&router);
    http = std::move(*server::HttpServer::Start({.listen = "127.0.0.1:0"}, std::move(router)));
  }
  ~Stack() {
    http->Stop();
    traces.reset();
    logs.reset();
    std::filesystem::remove_all(dir);
  }
};

// One stack per benchmark run, made before its threads start and dropped
// after they all finish (Setup/Teardown run once, outside the threads).
Stack* shared_stack = nullptr;
void MakeStack(const benchmark::State&) { shared_stack = new Stack(); }
void DropStack(const benchmark::State&) {
  delete shared_stack;
  shared_stack = nullptr;
}

void BM_ExportSpansDirect(benchmark::State& state) {
  std::mt19937_64 rng(state.thread_index() + 1);
  std::vector<std::string> requests;
  for (int i = 0; i < 16; ++i) requests.push_back(SpansRequest(rng));
  const double cpu0 = ProcessCpuSeconds();
  size_t i = 0, bytes = 0;
  for (auto _ : state) {
    const std::string& r = requests[i++ % requests.size()];
    ingest::ExportOutcome outcome =
        shared_stack->otlp->Export(ingest::OtlpSignal::kTraces, ingest::OtlpFormat::kProtobuf, r);
    if (outcome.kind != ingest::ExportOutcome::Kind::kOk) {
      state.SkipWithError(("export refused: " + outcome.message).c_str());
      break;
    }
    bytes += r.size();
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
  if (state.thread_index() == 0) {
    state.counters["spans_per_cpu_s"] =
        static_cast<double>(state.iterations() * kSpansPerRequest * state.threads()) / cpu;
  }
}
BENCHMARK(BM_ExportSpansDirect)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime()
    ->Setup(MakeStack)
    ->Teardown(DropStack);

void BM_SpansOverHttp(benchmark::State& state) {
  std::mt19937_64 rng(state.thread_index() + 100);
  std::vector<std::string> requests;
  for (int i = 0; i < 16; ++i) requests.push_back(SpansRequest(rng));
  httplib::Client client("127.0.0.1", shared_stack->http->port());
  client.set_keep_alive(true);
  const double cpu0 = ProcessCpuSeconds();
  size_t i = 0;
  for (auto _ : state) {
    auto res = client.Post("/v1/traces", requests[i++ % requests.size()], "application/x-protobuf");
    if (!res || res->status != 200) {
      state.SkipWithError(
          res ? ("POST answered " + std::to_string(res->status) + ": " + res->body).c_str()
              : ("POST failed: " + httplib::to_string(res.error())).c_str());
      break;
    }
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetItemsProcessed(state.iterations() * kSpansPerRequest);
  if (state.thread_index() == 0) {
    state.counters["spans_per_cpu_s"] =
        static_cast<double>(state.iterations() * kSpansPerRequest * state.threads()) / cpu;
  }
}
BENCHMARK(BM_SpansOverHttp)->Threads(4)->UseRealTime()->Setup(MakeStack)->Teardown(DropStack);

void BM_LokiPushDirect(benchmark::State& state) {
  std::mt19937_64 rng(state.thread_index() + 7);
  std::vector<Push> pushes;
  size_t line_bytes = 0;
  for (int i = 0; i < 8; ++i) pushes.push_back(LokiPush(rng, &line_bytes));
  const double cpu0 = ProcessCpuSeconds();
  size_t i = 0;
  for (auto _ : state) {
    server::HttpRequest request;
    request.method = "POST";
    request.headers = {{"content-type", "application/json"}};
    pushes[i++ % pushes.size()].Restamp(&request.body);
    if (shared_stack->loki->Push(request).status != 204) {
      state.SkipWithError("push refused");
      break;
    }
  }
  const double cpu = ProcessCpuSeconds() - cpu0;
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * line_bytes));
  state.SetItemsProcessed(state.iterations() * kLinesPerPush);
  if (state.thread_index() == 0) {
    state.counters["line_MB_per_cpu_s"] =
        static_cast<double>(state.iterations() * line_bytes * state.threads()) / cpu / 1e6;
  }
}
BENCHMARK(BM_LokiPushDirect)
    ->Threads(1)
    ->Threads(4)
    ->UseRealTime()
    ->Setup(MakeStack)
    ->Teardown(DropStack);

}  // namespace

BENCHMARK_MAIN();

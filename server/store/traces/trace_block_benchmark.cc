// Trace block benchmark: stored bytes per span against the raw OTLP protobuf
// of the same spans (as an SDK exports them: batches grouped by resource),
// trace-by-id latency (Find + ReadTrace, p50/p99) and span-condition search
// (MatchSpanConditions) on one block of synthetic spans shaped like the OTel
// JS SDK's HTTP server/client and DB spans.
//
//   build-t/bin/trace_block_benchmark [--spans=1000000] [--dir=/tmp]
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "server/store/traces/trace_block.h"
#include "server/store/traces/trace_filter.h"
#include "wire/otlp/encode_model.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

otlp::KeyValue S(std::string k, std::string v) {
  return {std::move(k), otlp::AnyValue::String(std::move(v))};
}
otlp::KeyValue I(std::string k, int64_t v) { return {std::move(k), otlp::AnyValue::Int(v)}; }

constexpr int kServices = 10;
const char* kServiceNames[kServices] = {"frontend", "cart",     "checkout", "payment", "shipping",
                                        "email",    "currency", "catalog",  "ads",     "users"};

otlp::Resource MakeResource(int s) {
  otlp::Resource r;
  r.attributes = {S("service.name", kServiceNames[s]),
                  S("service.version", "2.3." + std::to_string(s)),
                  S("host.name", std::string(kServiceNames[s]) + "-7d9f8b6c5-x2k4q"),
                  I("process.pid", 1000 + s * 7),
                  S("process.runtime.name", "nodejs"),
                  S("process.runtime.version", "20.11.1"),
                  S("telemetry.sdk.language", "nodejs"),
                  S("telemetry.sdk.name", "opentelemetry"),
                  S("telemetry.sdk.version", "1.24.0")};
  return r;
}

std::string Route(int r) {
  static const char* kBases[] = {"/api/cart",     "/api/orders",   "/api/users",
                                 "/api/products", "/api/checkout", "/api/payments"};
  static const char* kTails[] = {"", "/:id", "/:id/items", "/search", "/:id/history"};
  return std::string(kBases[r % 6]) + kTails[r % 5];
}

void RandomBytes(std::mt19937_64& rng, uint8_t* out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = rng();
    std::memcpy(out + i, &v, std::min<size_t>(8, n - i));
  }
}

// One trace of ~8 spans across 2-4 services: an HTTP server span per
// service, HTTP client spans between them, DB spans under some servers.
otlp::ExportTraceServiceRequest MakeTrace(uint64_t seed, const TraceId& tid, int64_t start) {
  std::mt19937_64 rng(seed);
  std::vector<std::vector<otlp::Span>> by_service(kServices);
  std::vector<int> order;
  auto new_span = [&](int service, const SpanId* parent, std::string name, otlp::SpanKind kind,
                      int64_t s, int64_t d) -> otlp::Span& {
    if (by_service[service].empty()) order.push_back(service);
    otlp::Span& span = by_service[service].emplace_back();
    span.trace_id = tid;
    RandomBytes(rng, span.span_id.bytes.data(), 8);
    if (parent) span.parent_span_id = *parent;
    span.name = std::move(name);
    span.kind = kind;
    span.flags = 0x101;
    span.start_time_unix_nano = static_cast<uint64_t>(s);
    span.end_time_unix_nano = static_cast<uint64_t>(s + d);
    return span;
  };
  const int route = static_cast<int>(rng() % 30);
  const char* methods[] = {"GET", "GET", "GET", "POST", "PUT", "DELETE"};
  const std::string method = methods[rng() % 6];
  const bool error = rng() % 50 == 0;
  int64_t total = 2'000'000 + static_cast<int64_t>(rng() % 200'000'000);
  const int nhops = 1 + static_cast<int>(rng() % 3);
  int service = 0;
  SpanId parent;
  int64_t at = start;
  for (int hop = 0; hop < nhops && total > 1000; ++hop) {
    const std::string r = Route(route + hop);
    otlp::Span& server = new_span(service, hop ? &parent : nullptr, method + " " + r,
                                  otlp::SpanKind::kServer, at, total);
    const int status = error && hop == nhops - 1 ? 500 : 200;
    server.attributes = {S("http.method", method),
                         S("http.route", r),
                         S("http.scheme", "http"),
                         S("url.full", "http://" + std::string(kServiceNames[service]) + ":8080" +
                                           r + "?id=" + std::to_string(rng() % 100000)),
                         I("http.status_code", status),
                         S("net.host.name", kServiceNames[service]),
                         I("net.host.port", 8080),
                         S("http.user_agent", "node-fetch/1.0")};
    if (status == 500) {
      server.status.code = otlp::SpanStatusCode::kError;
      server.status.message = "Internal Server Error";
      otlp::SpanEvent& e = server.events.emplace_back();
      e.time_unix_nano = static_cast<uint64_t>(at + total / 2);
      e.name = "exception";
      e.attributes = {S("exception.type", "Error"),
                      S("exception.message", "connection reset by peer"),
                      S("exception.stacktrace",
                        "Error: connection reset\n    at Socket.onEnd "
                        "(node:net:123:45)\n    at emit (node:events:1)")};
    }
    const SpanId server_id = server.span_id;
    // Two DB calls.
    for (int q = 0; q < 2; ++q) {
      const int64_t ds = at + total / 10 + q * total / 5;
      otlp::Span& db = new_span(service, &server_id, "pg.query:SELECT", otlp::SpanKind::kClient, ds,
                                total / 8 + static_cast<int64_t>(rng() % 100000));
      db.attributes = {S("db.system", "postgresql"), S("db.name", "shop"),
                       S("db.statement", "SELECT * FROM items WHERE cart_id = $1 AND user_id = $2"),
                       S("net.peer.name", "postgres.internal"), I("net.peer.port", 5432)};
    }
    if (hop + 1 < nhops) {
      const int next = static_cast<int>(1 + rng() % (kServices - 1));
      otlp::Span& client =
          new_span(service, &server_id, method, otlp::SpanKind::kClient, at + total / 2, total / 3);
      client.attributes = {
          S("http.method", method),
          S("url.full", "http://" + std::string(kServiceNames[next]) + ":8080" +
                            Route(route + hop + 1) + "?id=" + std::to_string(rng() % 100000)),
          S("net.peer.name", kServiceNames[next]), I("net.peer.port", 8080),
          I("http.status_code", 200)};
      parent = client.span_id;
      at = at + total / 2 + 1000;
      total = total / 3 - 2000;
      service = next;
    }
  }
  otlp::ExportTraceServiceRequest out;
  for (int s : order) {
    otlp::ResourceSpans& rs = out.resource_spans.emplace_back();
    rs.resource = MakeResource(s);
    rs.schema_url = "https://opentelemetry.io/schemas/1.24.0";
    otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
    ss.scope.name = "@opentelemetry/instrumentation-http";
    ss.scope.version = "0.51.0";
    ss.spans = std::move(by_service[s]);
  }
  return out;
}

int64_t Flag(int argc, char** argv, const char* name, int64_t def) {
  const std::string prefix = std::string("--") + name + "=";
  for (int i = 1; i < argc; ++i) {
    if (std::string_view(argv[i]).starts_with(prefix)) return std::stoll(argv[i] + prefix.size());
  }
  return def;
}

double Ms(Clock::duration d) { return std::chrono::duration<double, std::milli>(d).count(); }

int Main(int argc, char** argv) {
  const int64_t target_spans = Flag(argc, argv, "spans", 1'000'000);
  const fs::path dir = fs::temp_directory_path() / "trace_block_benchmark";
  fs::create_directories(dir);
  const std::string path = (dir / "bench.blk").string();
  std::mt19937_64 rng(42);
  // Ids first (sorted), then each trace is regenerated from its seed.
  const int64_t ntraces = target_spans / 7;
  std::vector<TraceId> ids(static_cast<size_t>(ntraces));
  for (TraceId& id : ids) RandomBytes(rng, id.bytes.data(), 16);
  std::sort(ids.begin(), ids.end(), [](const TraceId& a, const TraceId& b) {
    return std::memcmp(a.bytes.data(), b.bytes.data(), 16) < 0;
  });
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  const int64_t base = 1'700'000'000'000'000'000;
  auto start_of = [&](size_t i) {
    return base + static_cast<int64_t>((i * 7919) % 3600) * 1'000'000'000;
  };

  // Raw OTLP: batches of 64 traces, one ResourceSpans per service, as an
  // exporter of each service would send them.
  int64_t raw_bytes = 0, spans = 0;
  auto t0 = Clock::now();
  auto builder = TraceBlockBuilder::Create(path);
  if (!builder.ok()) return 1;
  std::vector<otlp::ExportTraceServiceRequest> batch(kServices);
  auto flush_batch = [&] {
    for (auto& b : batch) {
      if (!b.resource_spans.empty())
        raw_bytes += static_cast<int64_t>(otlp::EncodeTraces(b).size());
      b = {};
    }
  };
  for (size_t i = 0; i < ids.size(); ++i) {
    otlp::ExportTraceServiceRequest trace = MakeTrace(i, ids[i], start_of(i));
    TraceSummary summary;
    for (const auto& rs : trace.resource_spans) {
      for (const auto& ss : rs.scope_spans) {
        for (const auto& span : ss.spans) AddSpanToSummary(rs.resource, span, &summary);
      }
    }
    spans += summary.span_count;
    if (Status s = (*builder)->Add(summary, trace); !s.ok()) {
      std::fprintf(stderr, "add: %s\n", s.ToString().c_str());
      return 1;
    }
    for (auto& rs : trace.resource_spans) {
      const std::string service(ServiceName(rs.resource));
      const int s = static_cast<int>(std::find(kServiceNames, kServiceNames + kServices, service) -
                                     kServiceNames);
      if (batch[s].resource_spans.empty())
        batch[s].resource_spans.push_back(rs);
      else {
        auto& into = batch[s].resource_spans[0].scope_spans[0].spans;
        for (auto& span : rs.scope_spans[0].spans) into.push_back(std::move(span));
      }
    }
    if (i % 64 == 63) flush_batch();
  }
  flush_batch();
  BlockMeta meta;
  meta.id = "bench";
  auto written = (*builder)->Finish(meta);
  if (!written.ok()) {
    std::fprintf(stderr, "finish: %s\n", written.status().ToString().c_str());
    return 1;
  }
  const double build_ms = Ms(Clock::now() - t0);
  const auto file_bytes = static_cast<int64_t>(fs::file_size(path));
  std::printf("spans %lld traces %zu build %.0f ms\n", static_cast<long long>(spans), ids.size(),
              build_ms);
  std::printf("raw OTLP %.1f B/span, block %.2f B/span, ratio %.4f\n",
              double(raw_bytes) / double(spans), double(file_bytes) / double(spans),
              double(file_bytes) / double(raw_bytes));

  auto reader = BlockReader::Open(path);
  if (!reader.ok()) return 1;
  {
    // Stored bytes per span by kind of section.
    std::map<std::string, uint64_t> by_kind;
    for (const SectionInfo& si : (*reader)->sections()) {
      std::string kind = si.name.substr(0, si.name.find('.'));
      if (kind == "rg" && si.name != "rg.spans")
        kind = "rg.*." + si.name.substr(si.name.rfind('.') + 1);
      by_kind[kind] += si.stored_len;
    }
    for (const auto& [kind, bytes] : by_kind) {
      std::printf("  %-10s %6.2f B/span\n", kind.c_str(), double(bytes) / double(spans));
    }
  }
  t0 = Clock::now();
  auto index =
      TraceBlockIndex::Load(*written, std::shared_ptr<const BlockReader>(std::move(*reader)));
  if (!index.ok()) {
    std::fprintf(stderr, "load: %s\n", index.status().ToString().c_str());
    return 1;
  }
  std::printf("load %.1f ms, index memory %.1f MB\n", Ms(Clock::now() - t0),
              double((*index)->memory_bytes()) / 1e6);

  std::vector<double> lat;
  std::mt19937_64 pick(7);
  for (int i = 0; i < 3000; ++i) {
    const size_t k = pick() % ids.size();
    auto t = Clock::now();
    std::optional<size_t> row = (*index)->Find(ids[k]);
    if (!row) return 2;
    auto trace = (*index)->ReadTrace(*row);
    lat.push_back(Ms(Clock::now() - t));
    if (!trace.ok() || trace->resource_spans.empty()) return 3;
    if (i == 0 && *trace != MakeTrace(k, ids[k], start_of(k))) {
      std::fprintf(stderr, "trace %zu does not round-trip\n", k);
      return 4;
    }
  }
  std::sort(lat.begin(), lat.end());
  std::printf("trace by id: p50 %.3f ms p99 %.3f ms\n", lat[lat.size() / 2],
              lat[lat.size() * 99 / 100]);

  struct Query {
    const char* name;
    TraceFilter filter;
  };
  std::vector<Query> queries(6);
  queries[0].name = "span_name = \"GET /api/users/:id\"";
  queries[0].filter.span_name = "GET /api/users/:id";
  queries[1].name = "http.route = \"/api/orders/search\"";
  queries[1].filter.string_attributes = {{"http.route", "/api/orders/search"}};
  queries[2].name = "min_span_duration 150ms";
  queries[2].filter.min_span_duration_ns = 150'000'000;
  queries[3].name = "span_has_error";
  queries[3].filter.span_has_error = true;
  queries[4].name = "service=payment && http.status_code=500 && error && dur>=10ms";
  queries[4].filter.service = "payment";
  queries[4].filter.string_attributes = {{"http.status_code", "500"}};
  queries[4].filter.span_has_error = true;
  queries[4].filter.min_span_duration_ns = 10'000'000;
  queries[5].name = "url.full (not indexed) = one value";
  queries[5].filter.string_attributes = {{"url.full", "http://cart:8080/api/cart?id=77"}};
  for (Query& q : queries) {
    q.filter.range = {INT64_MIN, INT64_MAX};
    std::vector<double> times;
    double first = 0;
    size_t matched = 0;
    for (int rep = 0; rep < 5; ++rep) {
      auto t = Clock::now();
      auto rows = (*index)->MatchSpanConditions(q.filter);
      times.push_back(Ms(Clock::now() - t));
      if (rep == 0) first = times[0];
      if (!rows.ok()) return 5;
      matched = rows->size();
    }
    std::sort(times.begin(), times.end());
    std::printf("match %-60s %7zu traces, first %.1f ms, median %.1f ms\n", q.name, matched, first,
                times[2]);
  }
  fs::remove_all(dir);
  return 0;
}

}  // namespace
}  // namespace quartet::store

int main(int argc, char** argv) { return quartet::store::Main(argc, argv); }

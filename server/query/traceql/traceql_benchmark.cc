// TraceQL costs: Evaluate of a typical filter over a 10-span trace (reported
// per span), and Parse of typical queries.
#include <benchmark/benchmark.h>

#include <string>
#include <vector>

#include "server/query/traceql/evaluate.h"
#include "server/query/traceql/parser.h"

namespace quartet::traceql {
namespace {

struct Trace {
  otlp::Resource resource;
  std::vector<otlp::Span> spans;
  std::vector<SpanRow> rows;
  TraceFacts facts;
};

Trace MakeTrace(int n) {
  Trace t;
  t.resource.attributes = {{"service.name", otlp::AnyValue::String("checkout")},
                           {"service.version", otlp::AnyValue::String("1.4.2")},
                           {"deployment.environment", otlp::AnyValue::String("prod")}};
  t.spans.resize(n);
  for (int i = 0; i < n; ++i) {
    otlp::Span& s = t.spans[i];
    s.span_id.bytes[7] = static_cast<uint8_t>(i + 1);
    if (i > 0) s.parent_span_id.bytes[7] = static_cast<uint8_t>((i - 1) / 2 + 1);
    s.name = i == 0 ? "POST /checkout" : "SELECT orders";
    s.start_time_unix_nano = 1000;
    s.end_time_unix_nano = 1000 + static_cast<uint64_t>(i) * 100000000;  // 0..900ms
    s.attributes = {{"http.request.method", otlp::AnyValue::String("POST")},
                    {"http.route", otlp::AnyValue::String(i % 2 ? "/checkout" : "/cart")},
                    {"http.response.status_code", otlp::AnyValue::Int(200)},
                    {"db.system", otlp::AnyValue::String("sqlite")}};
  }
  for (auto& s : t.spans) t.rows.push_back({&s, &t.resource, nullptr});
  t.facts.duration_ns = 900000000;
  t.facts.root_name = "POST /checkout";
  t.facts.root_service = "checkout";
  return t;
}

void RunEvaluate(benchmark::State& state, const char* text) {
  Trace t = MakeTrace(10);
  auto q = Parse(text);
  if (!q.ok()) {
    state.SkipWithError(std::string(q.status().message()).c_str());
    return;
  }
  for (auto _ : state) {
    TraceMatch m = Evaluate(*q, t.rows, t.facts);
    benchmark::DoNotOptimize(m);
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(t.rows.size()));
  state.counters["ns_per_span"] =
      benchmark::Counter(static_cast<double>(state.iterations() * t.rows.size()),
                         benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
}

void BM_EvaluateRouteAndDuration(benchmark::State& state) {
  RunEvaluate(state, R"({ span.http.route = "/checkout" && duration > 500ms })");
}
BENCHMARK(BM_EvaluateRouteAndDuration);

void BM_EvaluateResourceRegex(benchmark::State& state) {
  RunEvaluate(state, R"({ resource.service.name =~ "check.*" && .http.route != "/cart" })");
}
BENCHMARK(BM_EvaluateResourceRegex);

void BM_EvaluateDescendant(benchmark::State& state) {
  RunEvaluate(state, R"({ name = "POST /checkout" } >> { duration > 500ms })");
}
BENCHMARK(BM_EvaluateDescendant);

void BM_EvaluateByCount(benchmark::State& state) {
  RunEvaluate(state, R"({ } | by(span.http.route) | count() > 2)");
}
BENCHMARK(BM_EvaluateByCount);

void RunParse(benchmark::State& state, const char* text) {
  for (auto _ : state) {
    auto q = Parse(text);
    benchmark::DoNotOptimize(q);
  }
}

void BM_ParseSimple(benchmark::State& state) {
  RunParse(state, R"({ span.http.route = "/checkout" && duration > 500ms })");
}
BENCHMARK(BM_ParseSimple);

void BM_ParseComplex(benchmark::State& state) {
  RunParse(state,
           R"({ resource.service.name = "checkout" && span.http.route =~ "/check.*" } >> )"
           R"({ status = error || duration > 1s } | by(resource.service.name) | count() > 2)");
}
BENCHMARK(BM_ParseComplex);

}  // namespace
}  // namespace quartet::traceql

BENCHMARK_MAIN();

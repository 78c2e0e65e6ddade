// LogQL hot paths: `|= "needle"` over 64 MB of JSON access-log lines (bytes/s;
// with string_view::find and Boyer-Moore-Horspool variants for comparison),
// `| json | status >= 500` (lines/s), count_over_time evaluation, and Parse.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include "server/query/logql/evaluator.h"
#include "server/query/logql/memory_log_source.h"
#include "server/query/logql/parser.h"
#include "server/query/logql/pipeline.h"
#include "server/query/logql/substring_search.h"

namespace quartet::logql {
namespace {

struct Corpus {
  std::string text;
  std::vector<std::string_view> lines;
};

// ~250-byte JSON lines like a Node or Go service's access log.
const Corpus& Lines() {
  static const Corpus* corpus = [] {
    auto* c = new Corpus();
    std::mt19937 rng(42);
    const char* paths[] = {"/api/v1/cart", "/api/v1/checkout", "/api/v1/products/search",
                           "/healthz", "/api/v1/users/me"};
    const char* methods[] = {"GET", "POST", "PUT"};
    const int statuses[] = {200, 200, 200, 200, 201, 204, 301, 404, 500, 503};
    std::vector<size_t> ends;
    while (c->text.size() < (64u << 20)) {
      char trace[33];
      for (int i = 0; i < 32; ++i) trace[i] = "0123456789abcdef"[rng() % 16];
      trace[32] = 0;
      c->text += R"({"ts":"2026-11-26T10:00:)" + std::to_string(10 + rng() % 50) + "." +
                 std::to_string(100 + rng() % 900) + R"(Z","level":")" +
                 (rng() % 20 == 0 ? "error" : "info") + R"(","service":"checkout","trace_id":")" +
                 trace + R"(","method":")" + methods[rng() % 3] + R"(","path":")" +
                 paths[rng() % 5] + "/" + std::to_string(rng() % 10000) + R"(","status":)" +
                 std::to_string(statuses[rng() % 10]) + R"(,"duration_ms":)" +
                 std::to_string(rng() % 2000) +
                 R"q(,"user_agent":"Mozilla/5.0 (X11; Linux x86_64)",)q" + R"("msg":")" +
                 (rng() % 1000 == 0 ? "needle in the haystack" : "request completed") + "\"}";
      ends.push_back(c->text.size());
      c->text += '\n';
    }
    size_t start = 0;
    for (size_t end : ends) {
      c->lines.emplace_back(c->text.data() + start, end - start);
      start = end + 1;
    }
    return c;
  }();
  return *corpus;
}

LogQuery MustParseLog(const char* q) { return std::get<LogQuery>(*Parse(q)); }

void BM_LineFilterContains(benchmark::State& state) {
  const Corpus& c = Lines();
  LogQuery q = MustParseLog(R"({app="x"} |= "needle")");
  const LineFilter& f = std::get<LineFilter>(q.pipeline[0]);
  size_t hits = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) hits += f.Matches(line);
  }
  benchmark::DoNotOptimize(hits);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
}
BENCHMARK(BM_LineFilterContains)->Unit(benchmark::kMillisecond);

void BM_LineFilterContainsViaPipeline(benchmark::State& state) {
  const Corpus& c = Lines();
  Pipeline p(MustParseLog(R"({app="x"} |= "needle")"));
  Labels stream = {{"app", "x"}}, none, out;
  std::string line;
  size_t hits = 0;
  for (auto _ : state) {
    for (std::string_view l : c.lines) hits += p.Process(stream, none, l, &out, &line);
  }
  benchmark::DoNotOptimize(hits);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
}
BENCHMARK(BM_LineFilterContainsViaPipeline)->Unit(benchmark::kMillisecond);

// The searcher against the alternatives, per needle (to justify the choice
// in substring_search.h): 0 "needle" (rare), 1 "\"status\":503" (starts
// with a quote, in every line), 2 "error", 3 "e", 4 "Mozilla/5.0 (X11".
const char* const kNeedles[] = {"needle", "\"status\":503", "error", "e", "Mozilla/5.0 (X11"};

template <typename Fn>
void RunSearch(benchmark::State& state, Fn contains) {
  const Corpus& c = Lines();
  size_t hits = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) hits += contains(line);
  }
  benchmark::DoNotOptimize(hits);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
}

void BM_SearchRareByte(benchmark::State& state) {
  SubstringSearcher s(kNeedles[state.range(0)]);
  RunSearch(state, [&](std::string_view l) { return s.Contains(l); });
}
BENCHMARK(BM_SearchRareByte)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void BM_SearchMemmem(benchmark::State& state) {
  std::string_view n = kNeedles[state.range(0)];
  RunSearch(state, [&](std::string_view l) {
    return memmem(l.data(), l.size(), n.data(), n.size()) != nullptr;
  });
}
BENCHMARK(BM_SearchMemmem)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void BM_SearchStringViewFind(benchmark::State& state) {
  std::string_view n = kNeedles[state.range(0)];
  RunSearch(state, [&](std::string_view l) { return l.find(n) != std::string_view::npos; });
}
BENCHMARK(BM_SearchStringViewFind)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void BM_SearchBoyerMooreHorspool(benchmark::State& state) {
  std::string_view n = kNeedles[state.range(0)];
  std::boyer_moore_horspool_searcher searcher(n.begin(), n.end());
  RunSearch(state, [&](std::string_view l) {
    return std::search(l.begin(), l.end(), searcher) != l.end();
  });
}
BENCHMARK(BM_SearchBoyerMooreHorspool)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);

void BM_LineFilterRegex(benchmark::State& state) {
  const Corpus& c = Lines();
  LogQuery q = MustParseLog(R"({app="x"} |~ "needle|haystack")");
  const LineFilter& f = std::get<LineFilter>(q.pipeline[0]);
  size_t hits = 0;
  for (auto _ : state) {
    for (std::string_view line : c.lines) hits += f.Matches(line);
  }
  benchmark::DoNotOptimize(hits);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * c.text.size()));
}
BENCHMARK(BM_LineFilterRegex)->Unit(benchmark::kMillisecond);

void BM_JsonStatusFilter(benchmark::State& state) {
  const Corpus& c = Lines();
  Pipeline p(MustParseLog(R"({app="x"} | json | status >= 500)"));
  Labels stream = {{"app", "x"}, {"env", "prod"}}, none, out;
  std::string line;
  size_t hits = 0, n = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < 100000; ++i) hits += p.Process(stream, none, c.lines[i], &out, &line);
    n += 100000;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<int64_t>(n));
}
BENCHMARK(BM_JsonStatusFilter)->Unit(benchmark::kMillisecond);

void BM_JsonFieldExtraction(benchmark::State& state) {
  const Corpus& c = Lines();
  Pipeline p(MustParseLog(R"({app="x"} | json status="status" | status >= 500)"));
  Labels stream = {{"app", "x"}, {"env", "prod"}}, none, out;
  std::string line;
  size_t hits = 0, n = 0;
  for (auto _ : state) {
    for (size_t i = 0; i < 100000; ++i) hits += p.Process(stream, none, c.lines[i], &out, &line);
    n += 100000;
  }
  benchmark::DoNotOptimize(hits);
  state.SetItemsProcessed(static_cast<int64_t>(n));
}
BENCHMARK(BM_JsonFieldExtraction)->Unit(benchmark::kMillisecond);

void BM_CountOverTime(benchmark::State& state) {
  const Corpus& c = Lines();
  static MemoryLogSource* source = [&] {
    auto* s = new MemoryLogSource();
    for (size_t i = 0; i < 100000; ++i) {
      s->Add({{"app", "x"}, {"pod", "p" + std::to_string(i % 4)}},
             static_cast<int64_t>(i) * 10'000'000, std::string(c.lines[i]));
    }
    return s;
  }();
  Expr e = *Parse(R"(sum by (pod) (count_over_time({app="x"} |= "error" [1m])))");
  for (auto _ : state) {
    auto r = EvaluateRange(e, *source, 60'000'000'000, 1000'000'000'000, 15'000'000'000);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * 100000));
}
BENCHMARK(BM_CountOverTime)->Unit(benchmark::kMillisecond);

void BM_Parse(benchmark::State& state) {
  const char* q =
      R"(sum by (path) (rate({app="api", env=~"prod|stage"} |= "GET" | json | status >= 500 and duration > 250ms | line_format "{{.path}}" [5m])) / 60)";
  for (auto _ : state) benchmark::DoNotOptimize(Parse(q));
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_Parse);

}  // namespace
}  // namespace quartet::logql

BENCHMARK_MAIN();

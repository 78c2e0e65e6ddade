// Fuzzes the PromQL parser and printer: any input that parses must print to
// a canonical string that parses again to an equal tree and prints the same.
// Parsed queries are then evaluated (instant and a short range) over a tiny
// in-memory source with a small sample budget, so the engine sees the
// parser's output too.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/query/promql/engine.h"
#include "server/query/promql/memory_series_source.h"
#include "server/query/promql/parser.h"
#include "server/query/promql/result_json.h"

using namespace quartet::promql;

namespace {

MemorySeriesSource& Source() {
  static MemorySeriesSource* source = [] {
    auto* s = new MemorySeriesSource();
    std::vector<Point> counter, gauge, stale;
    for (int i = 0; i <= 40; ++i) {
      int64_t t = i * 15'000;
      counter.push_back({t, static_cast<double>(i % 17)});
      gauge.push_back({t, i % 7 == 3 ? NAN : (i % 5) - 2.5});
      if (i < 20) stale.push_back({t, 1});
    }
    stale.push_back({20 * 15'000, StaleNaN()});
    s->Add({{"__name__", "foo"}, {"job", "a"}, {"le", "0.5"}}, counter);
    s->Add({{"__name__", "foo"}, {"job", "b"}, {"le", "+Inf"}}, counter);
    s->Add({{"__name__", "bar"}, {"job", "a"}}, gauge);
    s->Add({{"__name__", "stale"}, {"instance", "x"}}, stale);
    return s;
  }();
  return *source;
}

[[noreturn]] void Die(const char* what, const std::string& a, const std::string& b) {
  std::fprintf(stderr, "%s\n  first:  %s\n  second: %s\n", what, a.c_str(), b.c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view input(reinterpret_cast<const char*>(data), size);
  if (size > 4096) return 0;
  quartet::Result<ExprPtr> parsed = Parse(input);
  if (!parsed.ok()) return 0;
  std::string printed = Print(**parsed);
  quartet::Result<ExprPtr> again = Parse(printed);
  if (!again.ok())
    Die("printed form does not parse", printed, std::string(again.status().message()));
  if (!Equal(**parsed, **again))
    Die("printed form parses to another tree", printed, Print(**again));
  if (Print(**again) != printed) Die("printing is not stable", printed, Print(**again));

  EngineOptions options;
  options.max_samples = 20'000;
  Engine engine(&Source(), options);
  quartet::Result<QueryResult> r = engine.InstantExpr(**parsed, 300'000);
  std::string json = r.ok() ? RenderSuccessJson(*r) : RenderErrorJson(r.status());
  if (json.empty()) std::abort();
  if ((*parsed)->type() == ValueType::kScalar || (*parsed)->type() == ValueType::kVector) {
    r = engine.RangeExpr(**parsed, 0, 600'000, 60'000);
    json = r.ok() ? RenderSuccessJson(*r) : RenderErrorJson(r.status());
  }
  return 0;
}

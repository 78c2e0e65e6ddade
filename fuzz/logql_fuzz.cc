// Fuzzes the LogQL parser and printer: any input that parses must print to a
// canonical string that parses again to the same string. Parsed queries are
// then run over a few fixed lines and a tiny in-memory source, so the
// pipeline stages and the evaluator see the parser's output too.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "server/query/logql/evaluator.h"
#include "server/query/logql/memory_log_source.h"
#include "server/query/logql/parser.h"
#include "server/query/logql/pipeline.h"

using namespace quartet::logql;

namespace {

constexpr int64_t kSec = 1'000'000'000;

const char* const kLines[] = {
    R"({"level":"error","status":503,"duration":"1.5s","req":{"path":"/a","size":"12KB"}})",
    R"(level=info status=200 duration=250ms msg="hello \"x\"" path=/b)",
    R"(10.0.0.1 - - [26/Nov/2026:10:00:00 +0000] "GET /x HTTP/1.1" 404 512)",
    "",
    "{not json",
};

MemoryLogSource& Source() {
  static MemoryLogSource* source = [] {
    auto* s = new MemoryLogSource();
    int64_t ts = kSec;
    for (const char* line : kLines) {
      s->Add({{"app", "api"}, {"env", "prod"}}, ts, line, {{"trace_id", "abc"}});
      s->Add({{"app", "web"}}, ts + kSec / 2, line);
      ts += 10 * kSec;
    }
    return s;
  }();
  return *source;
}

const MetricExpr* FirstRange(const MetricExpr& e) {
  switch (e.kind) {
    case MetricExpr::Kind::kRangeAggregation:
      return &e;
    case MetricExpr::Kind::kVectorAggregation:
      return FirstRange(*e.inner);
    case MetricExpr::Kind::kBinary: {
      const MetricExpr* l = FirstRange(*e.lhs);
      return l ? l : FirstRange(*e.rhs);
    }
    case MetricExpr::Kind::kLiteral:
    case MetricExpr::Kind::kVector:
      return nullptr;
  }
  return nullptr;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text(reinterpret_cast<const char*>(data), size);
  auto expr = Parse(text);
  if (!expr.ok()) return 0;
  std::string canonical = ToString(*expr);
  auto again = Parse(canonical);
  if (!again.ok() || ToString(*again) != canonical) {
    std::fprintf(
        stderr, "round trip failed\n  input:     %.*s\n  canonical: %s\n  reparsed:  %s\n",
        static_cast<int>(size), text.data(), canonical.c_str(),
        again.ok() ? ToString(*again).c_str() : std::string(again.status().message()).c_str());
    std::abort();
  }
  Labels labels;
  std::string line;
  double value;
  if (const auto* q = std::get_if<LogQuery>(&*expr)) {
    Pipeline p(*q);
    for (const char* l : kLines)
      p.Process({{"app", "api"}}, {{"trace_id", "abc"}}, l, &labels, &line);
    (void)EvaluateLogs(*expr, Source(), 0, 100 * kSec, 10, Direction::kBackward);
    return 0;
  }
  const MetricExpr& m = *std::get<MetricPtr>(*expr);
  if (const MetricExpr* r = FirstRange(m)) {
    Pipeline p(r->range.query, r->range.unwrap ? &*r->range.unwrap : nullptr);
    for (const char* l : kLines) p.ProcessSample({{"app", "api"}}, {}, l, &labels, &line, &value);
  }
  (void)EvaluateRange(*expr, Source(), 0, 60 * kSec, 10 * kSec);
  return 0;
}

// Fuzzes the TraceQL parser, printer and evaluator: arbitrary bytes must
// never crash or hang Parse; whatever parses must print to a canonical string
// that parses back to an equal query printing the same string, and evaluate
// over a small fixed trace to ascending, distinct, in-range span indexes.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "server/query/traceql/evaluate.h"
#include "server/query/traceql/parser.h"
#include "server/query/traceql/printer.h"
#include "server/query/traceql/pruning.h"

namespace {

using namespace quartet;

// Four spans: a root with two children, one of which has a child; mixed
// attribute types under the same keys, an event and a link.
struct FixedTrace {
  otlp::Resource resource;
  otlp::InstrumentationScope scope;
  std::vector<otlp::Span> spans;
  std::vector<traceql::SpanRow> rows;
  traceql::TraceFacts facts{2000000000, "GET /", "web"};

  FixedTrace() : spans(4) {
    resource.attributes = {{"service.name", otlp::AnyValue::String("web")},
                           {"x", otlp::AnyValue::Int(3)}};
    scope.name = "quartet";
    const int parents[] = {-1, 0, 0, 1};
    for (int i = 0; i < 4; ++i) {
      otlp::Span& s = spans[i];
      s.span_id.bytes[7] = static_cast<uint8_t>(i + 1);
      if (parents[i] >= 0) s.parent_span_id.bytes[7] = static_cast<uint8_t>(parents[i] + 1);
      s.name = i == 0 ? "GET /" : "child";
      s.kind = static_cast<otlp::SpanKind>(i + 1);
      s.status.code = static_cast<otlp::SpanStatusCode>(i % 3);
      s.start_time_unix_nano = 1000;
      s.end_time_unix_nano = 1000 + 500000000ull * static_cast<uint64_t>(i);
    }
    spans[0].attributes = {{"http.route", otlp::AnyValue::String("/a")},
                           {"n", otlp::AnyValue::Int(7)}};
    spans[1].attributes = {{"http.route", otlp::AnyValue::Int(1)},
                           {"n", otlp::AnyValue::Double(0.5)},
                           {"x", otlp::AnyValue::Bool(true)}};
    spans[2].events.push_back({1, "exception", {{"e", otlp::AnyValue::String("E")}}});
    spans[3].links.push_back({});
    spans[3].links[0].attributes = {{"l", otlp::AnyValue::Int(1)}};
    for (auto& s : spans) rows.push_back({&s, &resource, &scope});
  }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace quartet::traceql;
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  auto q = Parse(text);
  if (!q.ok()) return 0;
  const std::string printed = ToString(*q);
  auto again = Parse(printed);
  if (!again.ok()) {
    std::fprintf(stderr, "canonical form does not parse: %s\n%s\n", printed.c_str(),
                 std::string(again.status().message()).c_str());
    std::abort();
  }
  if (!(*again == *q) || ToString(*again) != printed) {
    std::fprintf(stderr, "round trip changed the query: %s -> %s\n", printed.c_str(),
                 ToString(*again).c_str());
    std::abort();
  }
  (void)PlanPruning(*q);
  static const FixedTrace* trace = new FixedTrace();
  const TraceMatch m = Evaluate(*q, trace->rows, trace->facts);
  for (size_t k = 0; k < m.spans.size(); ++k) {
    if (m.spans[k] >= trace->rows.size() || (k > 0 && m.spans[k] <= m.spans[k - 1])) {
      std::fprintf(stderr, "bad span indexes from %s\n", printed.c_str());
      std::abort();
    }
  }
  if (m.matched == m.spans.empty()) std::abort();
  return 0;
}

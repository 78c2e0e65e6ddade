// Evaluating a parsed TraceQL query over the spans of one trace. The store
// materialises a trace's candidate spans as SpanRows (pointers into its own
// decoded OTLP data, which must outlive the call) plus whole-trace facts, and
// gets back whether the trace matches and which spans form the result.
// Evaluate and MatchesCondition are thread-safe for concurrent calls on the
// same Query; they never allocate per span per condition (regexes are
// compiled at parse time) and never fail: type mismatches are false.
//
//   ASSIGN_OR_RETURN(Query q, Parse(text));
//   TraceMatch m = Evaluate(q, rows, facts);
//   if (m.matched) for (uint32_t i : m.spans) Emit(rows[i]);
//
// Semantics (docs/traceql.md): a span attribute compared with a literal of
// another type is false for every operator, `!=` included; a missing
// attribute is false except for `= nil`; ints, floats and durations compare
// by value (an int attribute with a float literal, durations as
// nanoseconds); `.x` reads the span attribute x, else the resource's.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/query/traceql/ast.h"
#include "wire/otlp/model.h"

namespace quartet::traceql {

// One span as the evaluator sees it. `span` must not be null; `resource` and
// `scope` may be (their fields then read as missing).
struct SpanRow {
  const otlp::Span* span = nullptr;
  const otlp::Resource* resource = nullptr;
  const otlp::InstrumentationScope* scope = nullptr;
};

// Whole-trace facts, computed by the caller over the entire trace (not only
// the candidate rows): what trace:duration, trace:rootName and
// trace:rootService read.
struct TraceFacts {
  int64_t duration_ns = 0;
  std::string_view root_name;
  std::string_view root_service;
};

// Result of Evaluate: `spans` holds indexes into the input rows, ascending,
// without duplicates — the union of the spansets the query returns. Empty
// when !matched.
struct TraceMatch {
  bool matched = false;
  std::vector<uint32_t> spans;
};

// Runs `query` over the spans of one trace. Structural operators (>>, >, ~,
// ...) relate spans through parent_span_id among `spans_of_one_trace`, so
// pass the whole trace when the query has them.
TraceMatch Evaluate(const Query& query, std::span<const SpanRow> spans_of_one_trace,
                    const TraceFacts& facts);

// Whether one span (with its trace's facts) satisfies one condition, with
// exactly the comparison semantics of Evaluate.
bool MatchesCondition(const FieldCondition& condition, const SpanRow& row, const TraceFacts& facts);

// Whether one span satisfies a filter expression (the inside of `{ }`).
bool MatchesFilter(const FilterExpr& filter, const SpanRow& row, const TraceFacts& facts);

// Builds a checked condition as if written in a query, e.g.
// MakeCondition(Scope::kIntrinsic, "duration", Op::kGt, Value::Duration(1e9))
// or (Scope::kResource, "service.name", Op::kRegex, Value::String("check.*")).
// For kIntrinsic/kTrace `name` is any spelling the language accepts. Errors
// are the parser's (InvalidArgument).
Result<FieldCondition> MakeCondition(Scope scope, std::string_view name, Op op, Value literal);

}  // namespace quartet::traceql

// The canonical TraceQL printer: one spelling per query, so that printed
// queries can be compared, cached and logged. Parse(ToString(q)) == q for
// every parsed q. Thread-safe (no shared state).
//
// Canonical form: `{ span.http.route = "/checkout" && duration > 500ms }`;
// intrinsics in their documented spelling (duration, trace:rootService),
// durations in the largest exact unit, minimal parentheses, `{ }` for the
// filter that matches every span.
#pragma once

#include <string>

#include "server/query/traceql/ast.h"

namespace quartet::traceql {

std::string ToString(const Query& query);
std::string ToString(const SpansetExpr& expr);
std::string ToString(const FilterExpr& expr);
std::string ToString(const FieldRef& field);
std::string ToString(const FieldCondition& condition);

}  // namespace quartet::traceql

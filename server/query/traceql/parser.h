// TraceQL parsing: query text to a Query (ast.h), with precise errors.
// Thread-safe (no shared state).
//
//   ASSIGN_OR_RETURN(Query q, Parse("{ resource.service.name = \"checkout\" && duration > 1s }"));
//
// Errors are InvalidArgument "parse error at L:C: <what>", e.g.
// `parse error at 1:21: expected a value after "=", got "}"`. Nesting deeper
// than kMaxNesting (parentheses, `!`, structural chains) is an error, so
// evaluation and printing never recurse deeper than that.
#pragma once

#include <string_view>

#include "base/status.h"
#include "server/query/traceql/ast.h"

namespace quartet::traceql {

inline constexpr int kMaxNesting = 64;

Result<Query> Parse(std::string_view text);

}  // namespace quartet::traceql

// Parse: PromQL text to a type-checked syntax tree (ast.h), accepting what
// Prometheus 2.42 accepts and rejecting the rest with its error wording
// ("1:5: parse error: unexpected ..."), always as InvalidArgument (the API's
// errorType "bad_data"). Pure; thread-safe.
//
//   ASSIGN_OR_RETURN(ExprPtr expr, Parse("sum by (job) (rate(x[5m]))"));
#pragma once

#include <string_view>

#include "base/status.h"
#include "server/query/promql/ast.h"

namespace quartet::promql {

// Nesting deeper than this is refused (keeps recursion bounded).
inline constexpr int kMaxParseDepth = 200;

Result<ExprPtr> Parse(std::string_view query);

}  // namespace quartet::promql

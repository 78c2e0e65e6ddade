// Parse: LogQL text -> syntax tree (ast.h). Errors are InvalidArgument with
// the position and what was expected, e.g.
//   parse error at 1:12: expected a string after "|=", got identifier "x"
// Regexes, patterns and templates are compiled here, so their errors surface
// as parse errors too. Nesting is bounded (kMaxParseDepth). Thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "server/query/logql/ast.h"

namespace quartet::logql {

inline constexpr int kMaxParseDepth = 64;
inline constexpr size_t kMaxQueryBytes = 64 * 1024;

Result<Expr> Parse(std::string_view text);

}  // namespace quartet::logql

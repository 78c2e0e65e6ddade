// The TraceQL lexer: turns query text into tokens, decoding string, number
// and duration literals and attribute references on the way. Internal to the
// parser (exposed for tests). Stateless functions; thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/query/traceql/ast.h"

namespace quartet::traceql {

enum class TokenKind : uint8_t {
  kEnd,
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kComma,
  kPipe,
  kAnd,  // &&
  kOr,   // ||
  kNot,  // !
  kEq,
  kNeq,
  kLt,
  kLte,
  kGt,
  kGte,
  kRegex,          // =~
  kNotRegex,       // !~ (also "not sibling" between spansets)
  kDescendant,     // >>
  kAncestor,       // <<
  kTilde,          // ~
  kNotDescendant,  // !>>
  kNotChild,       // !>
  kNotAncestor,    // !<<
  kNotParent,      // !<
  kString,
  kInt,
  kFloat,
  kDuration,
  kIdent,      // name, status, true, count, trace:duration, span:name, ...
  kAttribute,  // span.x, resource.x, .x, event.x, link.x, instrumentation.x
};

struct Token {
  TokenKind kind = TokenKind::kEnd;
  size_t pos = 0;              // byte offset of the first character
  std::string_view text;       // the source text of the token
  std::string str;             // decoded string literal, or attribute key
  int64_t i = 0;               // int, or duration in nanoseconds
  double f = 0;                // float
  Scope scope = Scope::kSpan;  // kAttribute
};

// Longest accepted query, in bytes.
inline constexpr size_t kMaxQueryBytes = 64 * 1024;

// Tokens of `text`, ending with a kEnd token; or InvalidArgument
// "parse error at L:C: ..." naming the first bad token.
Result<std::vector<Token>> Lex(std::string_view text);

// "parse error at L:C: <message>" for byte offset `pos` of `text` (1-based
// line and column, columns in bytes).
Status ErrorAt(std::string_view text, size_t pos, std::string_view message);

// True if `key` can be written unquoted after "span." etc.
bool IsPlainAttributeName(std::string_view key);

}  // namespace quartet::traceql

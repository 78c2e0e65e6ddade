// Lexer: PromQL text to tokens, as Prometheus's promql/parser lexer splits
// it. Keywords are recognised by the parser (case-insensitively) from
// kIdentifier tokens, because whether a word is a keyword depends on where
// it stands (inside braces every word is a label name). Pure; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::promql {

enum class Tok {
  kEof,
  kIdentifier,
  kNumber,
  kDuration,
  kString,
  kLParen,
  kRParen,
  kLBrace,
  kRBrace,
  kLBracket,
  kRBracket,
  kComma,
  kColon,
  kAt,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
  kEqlc,
  kNeq,
  kGtr,
  kLss,
  kGte,
  kLte,  // == != > < >= <=
  kAssign,
  kEqlRegex,
  kNeqRegex,  // = =~ !~
};

struct Token {
  Tok kind;
  std::string_view text;  // a view into the query
  size_t pos;             // byte offset
};

// Tokens of `query`, ending with kEof; a lexical error is InvalidArgument
// with Prometheus's "line:col: parse error: ..." wording.
Result<std::vector<Token>> Lex(std::string_view query);

// "1:5" for a byte offset (line and 1-based column).
std::string PositionString(std::string_view query, size_t pos);

}  // namespace quartet::promql

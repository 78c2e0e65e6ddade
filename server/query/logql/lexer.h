// The LogQL lexer: splits query text into tokens (identifiers, strings,
// numbers, durations, byte sizes, operators), tracking each token's offset for
// "parse error at line:col" messages. Keywords are plain identifiers; the
// parser decides by context. A Lexer is single-threaded; it borrows the text.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::logql {

enum class TokenType {
  kEof,
  kIdent,
  kString,
  kNumber,
  kDuration,
  kBytes,
  kLBrace,
  kRBrace,
  kLParen,
  kRParen,
  kLBracket,
  kRBracket,
  kComma,
  kEq,
  kEqEq,
  kNeq,
  kRe,
  kNre,
  kPipeExact,
  kPipeMatch,
  kPipe,
  kGt,
  kGte,
  kLt,
  kLte,
  kAdd,
  kSub,
  kMul,
  kDiv,
  kMod,
  kPow,
};

struct Token {
  TokenType type = TokenType::kEof;
  std::string text;      // identifier, unescaped string, or the literal as written
  double number = 0;     // kNumber; kBytes: bytes
  int64_t duration = 0;  // kDuration: nanoseconds
  size_t offset = 0;     // byte offset in the query
};

// Tokenizes the whole query; InvalidArgument "parse error at L:C: ..." on a
// bad character, an unterminated string or a malformed number.
Result<std::vector<Token>> Tokenize(std::string_view text);

// "L:C" (1-based) of a byte offset, for error messages.
std::string Position(std::string_view text, size_t offset);
// How a token reads in an error message: `"|="`, `identifier "foo"`, `end of query`.
std::string Describe(const Token& token);

}  // namespace quartet::logql

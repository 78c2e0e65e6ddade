#include "server/query/promql/lexer.h"

namespace quartet::promql {
namespace {

bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlnum(char c) { return IsAlpha(c) || IsDigit(c); }
bool IsHex(char c) { return IsDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

}  // namespace

std::string PositionString(std::string_view query, size_t pos) {
  size_t line = 1, col = 1;
  for (size_t i = 0; i < pos && i < query.size(); ++i) {
    if (query[i] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return std::to_string(line) + ":" + std::to_string(col);
}

Result<std::vector<Token>> Lex(std::string_view q) {
  std::vector<Token> out;
  auto error = [&](size_t pos, const std::string& msg) {
    return Status::InvalidArgument(PositionString(q, pos) + ": parse error: " + msg);
  };
  int brace_depth = 0;
  int bracket_depth = 0;  // inside [...] a ':' is the subquery colon
  size_t i = 0;
  while (i < q.size()) {
    char c = q[i];
    size_t start = i;
    auto emit = [&](Tok kind, size_t len) {
      out.push_back(Token{kind, q.substr(start, len), start});
      i = start + len;
    };
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      ++i;
      continue;
    }
    if (c == '#') {
      while (i < q.size() && q[i] != '\n') ++i;
      continue;
    }
    char n = i + 1 < q.size() ? q[i + 1] : '\0';
    if (IsDigit(c) || (c == '.' && IsDigit(n))) {
      // A number, or a duration when letters follow the digits.
      size_t j = i;
      if (c == '0' && (n == 'x' || n == 'X')) {
        j += 2;
        while (j < q.size() && IsHex(q[j])) ++j;
      } else {
        while (j < q.size() && IsDigit(q[j])) ++j;
        if (j < q.size() && q[j] == '.') {
          ++j;
          while (j < q.size() && IsDigit(q[j])) ++j;
        }
        if (j < q.size() && (q[j] == 'e' || q[j] == 'E')) {
          size_t k = j + 1;
          if (k < q.size() && (q[k] == '+' || q[k] == '-')) ++k;
          if (k < q.size() && IsDigit(q[k])) {
            j = k;
            while (j < q.size() && IsDigit(q[j])) ++j;
          }
        }
      }
      if (j >= q.size() || !IsAlnum(q[j])) {
        emit(Tok::kNumber, j - i);
        continue;
      }
      size_t k = i;
      while (k < q.size() && (IsAlnum(q[k]) || q[k] == '.')) ++k;
      std::string_view word = q.substr(i, k - i);
      bool duration = true;
      for (size_t m = 0; m < word.size(); ++m) {
        if (!IsDigit(word[m]) && !(word[m] >= 'a' && word[m] <= 'z')) duration = false;
      }
      if (!duration || word.find('.') != std::string_view::npos) {
        return error(start, "bad number or duration syntax: \"" + std::string(word) + "\"");
      }
      emit(Tok::kDuration, k - i);
      continue;
    }
    if (IsAlpha(c) || (c == ':' && brace_depth == 0 && bracket_depth == 0)) {
      size_t j = i;
      while (j < q.size() &&
             (IsAlnum(q[j]) || (q[j] == ':' && brace_depth == 0 && bracket_depth == 0))) {
        ++j;
      }
      emit(Tok::kIdentifier, j - i);
      continue;
    }
    if (c == '"' || c == '\'' || c == '`') {
      size_t j = i + 1;
      while (j < q.size() && q[j] != c) {
        if (q[j] == '\\' && c != '`') {
          ++j;
        } else if (q[j] == '\n' && c != '`') {
          return error(start, "unterminated quoted string");
        }
        ++j;
      }
      if (j >= q.size()) {
        return error(start, c == '`' ? "unterminated raw string" : "unterminated quoted string");
      }
      emit(Tok::kString, j + 1 - i);
      continue;
    }
    switch (c) {
      case '(':
        emit(Tok::kLParen, 1);
        break;
      case ')':
        emit(Tok::kRParen, 1);
        break;
      case '{':
        ++brace_depth;
        emit(Tok::kLBrace, 1);
        break;
      case '}':
        if (brace_depth == 0) return error(start, "unexpected right brace '}'");
        --brace_depth;
        emit(Tok::kRBrace, 1);
        break;
      case '[':
        ++bracket_depth;
        emit(Tok::kLBracket, 1);
        break;
      case ']':
        if (bracket_depth > 0) --bracket_depth;
        emit(Tok::kRBracket, 1);
        break;
      case ',':
        emit(Tok::kComma, 1);
        break;
      case ':':
        emit(Tok::kColon, 1);
        break;
      case '@':
        emit(Tok::kAt, 1);
        break;
      case '+':
        emit(Tok::kAdd, 1);
        break;
      case '-':
        emit(Tok::kSub, 1);
        break;
      case '*':
        emit(Tok::kMul, 1);
        break;
      case '/':
        emit(Tok::kDiv, 1);
        break;
      case '%':
        emit(Tok::kMod, 1);
        break;
      case '^':
        emit(Tok::kPow, 1);
        break;
      case '=':
        if (n == '=') {
          emit(Tok::kEqlc, 2);
        } else if (n == '~') {
          emit(Tok::kEqlRegex, 2);
        } else {
          emit(Tok::kAssign, 1);
        }
        break;
      case '!':
        if (n == '=') {
          emit(Tok::kNeq, 2);
        } else if (n == '~') {
          emit(Tok::kNeqRegex, 2);
        } else {
          return error(start, "unexpected character after '!': " + std::string(1, n));
        }
        break;
      case '>':
        if (n == '=') {
          emit(Tok::kGte, 2);
        } else {
          emit(Tok::kGtr, 1);
        }
        break;
      case '<':
        if (n == '=') {
          emit(Tok::kLte, 2);
        } else {
          emit(Tok::kLss, 1);
        }
        break;
      default:
        return error(start, "unexpected character: '" + std::string(1, c) + "'");
    }
  }
  out.push_back(Token{Tok::kEof, {}, q.size()});
  return out;
}

}  // namespace quartet::promql

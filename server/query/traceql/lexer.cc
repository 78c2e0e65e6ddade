#include "server/query/traceql/lexer.h"

#include <charconv>
#include <cmath>
#include <limits>

#include "wire/json/utf8.h"

namespace quartet::traceql {
namespace {

bool IsSpace(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
bool IsDigit(char c) { return c >= '0' && c <= '9'; }
bool IsAlpha(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool IsIdentChar(char c) { return IsAlpha(c) || IsDigit(c); }

// Characters that end an unquoted attribute name (as in Tempo, plus quotes).
bool EndsAttribute(char c) {
  switch (c) {
    case '{':
    case '}':
    case '(':
    case ')':
    case '=':
    case '~':
    case '!':
    case '<':
    case '>':
    case '&':
    case '|':
    case '^':
    case ',':
    case '"':
    case '`':
    case '\\':
      return true;
    default:
      return IsSpace(c) || static_cast<unsigned char>(c) < 0x20;
  }
}

bool ScopeByName(std::string_view name, Scope* scope) {
  if (name == "span") {
    *scope = Scope::kSpan;
  } else if (name == "resource") {
    *scope = Scope::kResource;
  } else if (name == "event") {
    *scope = Scope::kEvent;
  } else if (name == "link") {
    *scope = Scope::kLink;
  } else if (name == "instrumentation") {
    *scope = Scope::kInstrumentation;
  } else {
    return false;
  }
  return true;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

class Lexer {
 public:
  explicit Lexer(std::string_view text) : text_(text) {}

  Result<std::vector<Token>> Run() {
    if (text_.size() > kMaxQueryBytes) {
      return Status::InvalidArgument("query is longer than " + std::to_string(kMaxQueryBytes) +
                                     " bytes");
    }
    std::vector<Token> tokens;
    while (true) {
      while (pos_ < text_.size() && IsSpace(text_[pos_])) ++pos_;
      Token t;
      t.pos = pos_;
      if (pos_ >= text_.size()) {
        tokens.push_back(std::move(t));
        return tokens;
      }
      RETURN_IF_ERROR(Next(&t));
      t.text = text_.substr(t.pos, pos_ - t.pos);
      tokens.push_back(std::move(t));
    }
  }

 private:
  char Peek(size_t ahead = 0) const {
    return pos_ + ahead < text_.size() ? text_[pos_ + ahead] : '\0';
  }
  bool Take(std::string_view s) {
    if (text_.substr(pos_, s.size()) != s) return false;
    pos_ += s.size();
    return true;
  }

  Status Next(Token* t) {
    const char c = Peek();
    struct Punct {
      std::string_view text;
      TokenKind kind;
    };
    // Longest first.
    static constexpr Punct kPuncts[] = {
        {"!>>", TokenKind::kNotDescendant},
        {"!<<", TokenKind::kNotAncestor},
        {"&&", TokenKind::kAnd},
        {"||", TokenKind::kOr},
        {"!=", TokenKind::kNeq},
        {"!~", TokenKind::kNotRegex},
        {"!>", TokenKind::kNotChild},
        {"!<", TokenKind::kNotParent},
        {"=~", TokenKind::kRegex},
        {"<=", TokenKind::kLte},
        {">=", TokenKind::kGte},
        {">>", TokenKind::kDescendant},
        {"<<", TokenKind::kAncestor},
        {"{", TokenKind::kLBrace},
        {"}", TokenKind::kRBrace},
        {"(", TokenKind::kLParen},
        {")", TokenKind::kRParen},
        {",", TokenKind::kComma},
        {"|", TokenKind::kPipe},
        {"!", TokenKind::kNot},
        {"=", TokenKind::kEq},
        {"<", TokenKind::kLt},
        {">", TokenKind::kGt},
        {"~", TokenKind::kTilde},
    };
    if (c == '"') return LexString(t);
    if (c == '`') return LexRawString(t);
    if (IsDigit(c) || (c == '-' && IsDigit(Peek(1)))) return LexNumber(t);
    if (c == '.') {
      ++pos_;
      t->scope = Scope::kAny;
      return LexAttributeName(t, ".");
    }
    if (IsAlpha(c)) return LexIdent(t);
    for (const Punct& p : kPuncts) {
      if (Take(p.text)) {
        t->kind = p.kind;
        return Status::Ok();
      }
    }
    if (c == '&') return ErrorAt(text_, pos_, "unexpected \"&\" (did you mean \"&&\"?)");
    std::string shown;
    if (static_cast<unsigned char>(c) >= 0x20 && static_cast<unsigned char>(c) < 0x7f) {
      shown = std::string("\"") + c + "\"";
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      const auto u = static_cast<unsigned char>(c);
      shown = std::string("byte 0x") + kHex[u >> 4] + kHex[u & 15];
    }
    return ErrorAt(text_, pos_, "unexpected character " + shown);
  }

  Status LexIdent(Token* t) {
    const size_t start = pos_;
    while (IsIdentChar(Peek())) ++pos_;
    const std::string_view word = text_.substr(start, pos_ - start);
    if (Peek() == '.') {
      Scope scope;
      if (!ScopeByName(word, &scope)) {
        return ErrorAt(text_, start,
                       "unknown attribute scope \"" + std::string(word) +
                           "\" (use span., resource., event., link., instrumentation. or . "
                           "for span then resource)");
      }
      ++pos_;
      t->scope = scope;
      return LexAttributeName(t, std::string(word) + ".");
    }
    if (Peek() == ':') {
      ++pos_;
      if (!IsAlpha(Peek())) {
        return ErrorAt(text_, pos_,
                       "expected an intrinsic name after \"" + std::string(word) + ":\"");
      }
      while (IsIdentChar(Peek())) ++pos_;
    }
    t->kind = TokenKind::kIdent;
    return Status::Ok();
  }

  // After "span." (or "."): a plain or quoted attribute key.
  Status LexAttributeName(Token* t, const std::string& prefix) {
    t->kind = TokenKind::kAttribute;
    if (Peek() == '"') {
      Token quoted;
      quoted.pos = pos_;
      RETURN_IF_ERROR(LexString(&quoted));
      t->str = std::move(quoted.str);
    } else {
      const size_t start = pos_;
      while (pos_ < text_.size() && !EndsAttribute(text_[pos_])) ++pos_;
      t->str = std::string(text_.substr(start, pos_ - start));
    }
    if (t->str.empty()) {
      return ErrorAt(text_, t->pos, "expected an attribute name after \"" + prefix + "\"");
    }
    return Status::Ok();
  }

  Status LexRawString(Token* t) {
    const size_t start = pos_++;
    const size_t end = text_.find('`', pos_);
    if (end == std::string_view::npos) return ErrorAt(text_, start, "unterminated string");
    t->kind = TokenKind::kString;
    t->str = std::string(text_.substr(pos_, end - pos_));
    pos_ = end + 1;
    return Status::Ok();
  }

  Status LexString(Token* t) {
    const size_t start = pos_++;
    t->kind = TokenKind::kString;
    std::string& out = t->str;
    while (true) {
      if (pos_ >= text_.size()) return ErrorAt(text_, start, "unterminated string");
      const char c = text_[pos_];
      if (c == '"') {
        ++pos_;
        return Status::Ok();
      }
      if (c != '\\') {
        out.push_back(c);
        ++pos_;
        continue;
      }
      const size_t esc = pos_;
      ++pos_;
      if (pos_ >= text_.size()) return ErrorAt(text_, start, "unterminated string");
      const char e = text_[pos_++];
      switch (e) {
        case '"':
        case '\\':
        case '\'':
          out.push_back(e);
          break;
        case 'n':
          out.push_back('\n');
          break;
        case 't':
          out.push_back('\t');
          break;
        case 'r':
          out.push_back('\r');
          break;
        case 'a':
          out.push_back('\a');
          break;
        case 'b':
          out.push_back('\b');
          break;
        case 'f':
          out.push_back('\f');
          break;
        case 'v':
          out.push_back('\v');
          break;
        case 'x':
        case 'u':
        case 'U': {
          const int digits = e == 'x' ? 2 : e == 'u' ? 4 : 8;
          uint32_t cp = 0;
          for (int k = 0; k < digits; ++k) {
            const int h = HexDigit(Peek());
            if (h < 0) {
              return ErrorAt(text_, esc,
                             "bad escape \"\\" + std::string(1, e) + "\": expected " +
                                 std::to_string(digits) + " hex digits");
            }
            cp = cp * 16 + static_cast<uint32_t>(h);
            ++pos_;
          }
          if (e == 'x') {
            out.push_back(static_cast<char>(cp));
          } else if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return ErrorAt(text_, esc, "bad escape: not a Unicode code point");
          } else {
            json::AppendUtf8(&out, cp);
          }
          break;
        }
        default: {
          std::string shown = static_cast<unsigned char>(e) >= 0x20 && e != 0x7f ? std::string(1, e)
                                                                                 : std::string("?");
          return ErrorAt(text_, esc,
                         "unknown escape \"\\" + shown +
                             "\" in string (write \\\\ for a backslash, or use a `raw string`)");
        }
      }
    }
  }

  // Length of a duration unit at pos_ and its size in nanoseconds, or 0.
  size_t UnitAt(int64_t* nanos) const {
    struct Unit {
      std::string_view text;
      int64_t nanos;
    };
    static constexpr Unit kUnits[] = {
        {"ns", 1},           {"us", 1000},      {"\xC2\xB5s", 1000},  // µs (micro sign)
        {"\xCE\xBCs", 1000},                                          // μs (Greek mu)
        {"ms", 1000000},     {"s", 1000000000}, {"m", 60000000000},  {"h", 3600000000000}};
    size_t end = pos_;
    while (end < text_.size() && (IsAlpha(text_[end]) || (text_[end] & 0x80))) ++end;
    const std::string_view word = text_.substr(pos_, end - pos_);
    for (const Unit& u : kUnits) {
      if (word == u.text) {
        *nanos = u.nanos;
        return word.size();
      }
    }
    return 0;
  }

  Status LexNumber(Token* t) {
    const size_t start = pos_;
    const bool negative = Peek() == '-';
    if (negative) ++pos_;
    while (IsDigit(Peek())) ++pos_;
    bool is_float = false;
    if (Peek() == '.' && IsDigit(Peek(1))) {
      is_float = true;
      ++pos_;
      while (IsDigit(Peek())) ++pos_;
    }
    if ((Peek() == 'e' || Peek() == 'E') &&
        (IsDigit(Peek(1)) || ((Peek(1) == '+' || Peek(1) == '-') && IsDigit(Peek(2))))) {
      is_float = true;
      pos_ += 2;
      while (IsDigit(Peek())) ++pos_;
    } else if (IsAlpha(Peek()) || (Peek() & 0x80)) {
      pos_ = start;
      return LexDuration(t);
    }
    const std::string_view num = text_.substr(start, pos_ - start);
    if (IsIdentChar(Peek()) || Peek() == '.') {
      return ErrorAt(text_, start,
                     "bad number \"" + std::string(num) + std::string(1, Peek()) + "...\"");
    }
    if (is_float) {
      t->kind = TokenKind::kFloat;
      auto r = std::from_chars(num.data(), num.data() + num.size(), t->f);
      if (r.ec != std::errc() || !std::isfinite(t->f)) {
        return ErrorAt(text_, start, "number out of range: " + std::string(num));
      }
      return Status::Ok();
    }
    t->kind = TokenKind::kInt;
    auto r = std::from_chars(num.data(), num.data() + num.size(), t->i);
    if (r.ec != std::errc()) {
      return ErrorAt(text_, start, "integer out of range: " + std::string(num));
    }
    return Status::Ok();
  }

  // Go-style durations: one or more <number><unit>, e.g. 1m30s, 1.5s, 250µs.
  Status LexDuration(Token* t) {
    const size_t start = pos_;
    const bool negative = Peek() == '-';
    if (negative) ++pos_;
    __int128 total = 0;
    auto bad = [&](std::string_view why) {
      size_t end = pos_;
      while (end < text_.size() &&
             (IsIdentChar(text_[end]) || text_[end] == '.' || (text_[end] & 0x80))) {
        ++end;
      }
      return ErrorAt(text_, start,
                     "bad duration \"" + std::string(text_.substr(start, end - start)) +
                         "\": " + std::string(why));
    };
    do {
      if (!IsDigit(Peek())) return bad("expected a number before each unit");
      __int128 whole = 0;
      while (IsDigit(Peek())) {
        whole = whole * 10 + (Peek() - '0');
        if (whole > std::numeric_limits<int64_t>::max()) return bad("out of range");
        ++pos_;
      }
      __int128 frac = 0, scale = 1;
      if (Peek() == '.') {
        ++pos_;
        if (!IsDigit(Peek())) return bad("expected digits after \".\"");
        while (IsDigit(Peek())) {
          if (scale < 1000000000000000000) {  // finer than 1e-18 cannot matter
            frac = frac * 10 + (Peek() - '0');
            scale *= 10;
          }
          ++pos_;
        }
      }
      int64_t unit = 0;
      const size_t len = UnitAt(&unit);
      if (len == 0) {
        if (!IsAlpha(Peek()) && !(Peek() & 0x80)) return bad("missing unit (ns, us, ms, s, m, h)");
        return bad("unknown unit (use ns, us, µs, ms, s, m or h)");
      }
      pos_ += len;
      total += whole * unit + frac * unit / scale;
      if (total > std::numeric_limits<int64_t>::max()) return bad("out of range");
    } while (IsDigit(Peek()) || Peek() == '.');
    if (IsIdentChar(Peek())) return bad("unexpected character after the unit");
    t->kind = TokenKind::kDuration;
    t->i = static_cast<int64_t>(negative ? -total : total);
    return Status::Ok();
  }

  std::string_view text_;
  size_t pos_ = 0;
};

}  // namespace

Status ErrorAt(std::string_view text, size_t pos, std::string_view message) {
  size_t line = 1, col = 1;
  for (size_t k = 0; k < pos && k < text.size(); ++k) {
    if (text[k] == '\n') {
      ++line;
      col = 1;
    } else {
      ++col;
    }
  }
  return Status::InvalidArgument("parse error at " + std::to_string(line) + ":" +
                                 std::to_string(col) + ": " + std::string(message));
}

bool IsPlainAttributeName(std::string_view key) {
  if (key.empty()) return false;
  for (char c : key) {
    if (EndsAttribute(c)) return false;
  }
  return true;
}

Result<std::vector<Token>> Lex(std::string_view text) { return Lexer(text).Run(); }

}  // namespace quartet::traceql

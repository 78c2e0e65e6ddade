#include "wire/json/json_parser.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <string>

#include "wire/json/utf8.h"

namespace quartet::json {
namespace {

class Parser {
 public:
  Parser(std::string_view text, const ParseOptions& options)
      : begin_(text.data()), p_(text.data()), end_(text.data() + text.size()), options_(options) {}

  Result<Value> ParseDocument() {
    SkipSpace();
    Value v;
    if (!ParseValue(&v, 0)) return std::move(error_);
    SkipSpace();
    if (p_ != end_) {
      Fail("expected end of input after the top-level value");
      return std::move(error_);
    }
    return v;
  }

 private:
  // Records the first error; always returns false so callers can `return Fail(...)`.
  bool Fail(std::string_view what, StatusCode code = StatusCode::kInvalidArgument) {
    if (!error_.ok()) return false;
    std::string msg = "json: offset " + std::to_string(p_ - begin_) + ": ";
    msg.append(what);
    if (code == StatusCode::kInvalidArgument) {
      if (p_ >= end_) {
        msg += ", got end of input";
      } else {
        const unsigned char c = static_cast<unsigned char>(*p_);
        char buf[16];
        if (c >= 0x21 && c < 0x7F) {
          snprintf(buf, sizeof buf, ", got '%c'", c);
        } else {
          snprintf(buf, sizeof buf, ", got byte 0x%02x", c);
        }
        msg += buf;
      }
    }
    error_ = Status(code, std::move(msg));
    return false;
  }

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }

  bool Literal(std::string_view word) {
    if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
      return Fail("invalid literal (expected true, false or null)");
    }
    p_ += word.size();
    return true;
  }

  bool ParseValue(Value* out, int depth) {
    if (p_ >= end_) return Fail("expected a value");
    switch (*p_) {
      case '{':
        return ParseObject(out, depth + 1);
      case '[':
        return ParseArray(out, depth + 1);
      case '"': {
        std::string s;
        if (!ParseString(&s)) return false;
        *out = Value::String(std::move(s));
        return true;
      }
      case 't':
        *out = Value::Bool(true);
        return Literal("true");
      case 'f':
        *out = Value::Bool(false);
        return Literal("false");
      case 'n':
        *out = Value::Null();
        return Literal("null");
      default:
        if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) return ParseNumber(out);
        return Fail("expected a value");
    }
  }

  bool ParseObject(Value* out, int depth) {
    if (depth > options_.max_depth) {
      return Fail("nesting deeper than " + std::to_string(options_.max_depth),
                  StatusCode::kResourceExhausted);
    }
    ++p_;  // '{'
    std::vector<Member> members;
    SkipSpace();
    if (p_ < end_ && *p_ == '}') {
      ++p_;
      *out = Value::Object();
      return true;
    }
    while (true) {
      if (p_ >= end_ || *p_ != '"') return Fail("expected '\"' to start an object key");
      Member m;
      if (!ParseString(&m.key)) return false;
      SkipSpace();
      if (p_ >= end_ || *p_ != ':') return Fail("expected ':' after object key");
      ++p_;
      SkipSpace();
      if (!ParseValue(&m.value, depth)) return false;
      members.push_back(std::move(m));
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        SkipSpace();
        continue;
      }
      if (p_ < end_ && *p_ == '}') {
        ++p_;
        *out = Value::Object(std::move(members));
        return true;
      }
      return Fail("expected ',' or '}' in object");
    }
  }

  bool ParseArray(Value* out, int depth) {
    if (depth > options_.max_depth) {
      return Fail("nesting deeper than " + std::to_string(options_.max_depth),
                  StatusCode::kResourceExhausted);
    }
    ++p_;  // '['
    std::vector<Value> items;
    SkipSpace();
    if (p_ < end_ && *p_ == ']') {
      ++p_;
      *out = Value::Array();
      return true;
    }
    while (true) {
      Value item;
      if (!ParseValue(&item, depth)) return false;
      items.push_back(std::move(item));
      SkipSpace();
      if (p_ < end_ && *p_ == ',') {
        ++p_;
        SkipSpace();
        continue;
      }
      if (p_ < end_ && *p_ == ']') {
        ++p_;
        *out = Value::Array(std::move(items));
        return true;
      }
      return Fail("expected ',' or ']' in array");
    }
  }

  bool Digits() {
    if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Fail("expected a digit");
    while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
    return true;
  }

  bool ParseNumber(Value* out) {
    const char* start = p_;
    bool integer = true;
    if (*p_ == '-') ++p_;
    if (p_ < end_ && *p_ == '0') {
      ++p_;
      if (p_ < end_ && *p_ >= '0' && *p_ <= '9') return Fail("leading zeros are not allowed");
    } else if (!Digits()) {
      return false;
    }
    if (p_ < end_ && *p_ == '.') {
      integer = false;
      ++p_;
      if (!Digits()) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      integer = false;
      ++p_;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (!Digits()) return false;
    }
    std::optional<int64_t> i;
    if (integer) {
      int64_t v;
      auto r = std::from_chars(start, p_, v);
      if (r.ec == std::errc() && r.ptr == p_) i = v;
    }
    double d = 0;
    auto r = std::from_chars(start, p_, d);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars leaves d unspecified here; decide by the exponent's sign.
      const std::string_view text(start, p_ - start);
      const size_t e = text.find_first_of("eE");
      const bool tiny = e != std::string_view::npos && text.find('-', e) != std::string_view::npos;
      d = tiny ? 0.0 : HUGE_VAL;
      if (*start == '-') d = -d;
    }
    *out = Value::Number(std::string(start, p_), d, i);
    return true;
  }

  static int HexDigit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  // Reads the 4 hex digits after "\u" (p_ at the first digit).
  bool Hex4(uint32_t* out) {
    if (end_ - p_ < 4) return Fail("expected 4 hex digits after \\u");
    uint32_t v = 0;
    for (int i = 0; i < 4; ++i) {
      const int h = HexDigit(p_[i]);
      if (h < 0) {
        p_ += i;
        return Fail("expected 4 hex digits after \\u");
      }
      v = (v << 4) | static_cast<uint32_t>(h);
    }
    p_ += 4;
    *out = v;
    return true;
  }

  bool ParseString(std::string* out) {
    ++p_;  // opening quote
    while (true) {
      const char* run = p_;
      while (p_ < end_) {
        const unsigned char c = static_cast<unsigned char>(*p_);
        if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
        ++p_;
      }
      out->append(run, p_);
      if (p_ >= end_) return Fail("unterminated string");
      const unsigned char c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        ++p_;
        return true;
      }
      if (c < 0x20) return Fail("control characters must be escaped in strings");
      if (c >= 0x80) {
        uint32_t cp;
        const auto* u = reinterpret_cast<const unsigned char*>(p_);
        const size_t n = DecodeUtf8(u, reinterpret_cast<const unsigned char*>(end_), &cp);
        const bool literal_fffd = n == 3 && u[0] == 0xEF && u[1] == 0xBF && u[2] == 0xBD;
        if (cp == kReplacementChar && !literal_fffd) {
          if (options_.reject_invalid_utf8) return Fail("invalid UTF-8 in string");
          out->append("\xEF\xBF\xBD");
        } else {
          out->append(p_, n);
        }
        p_ += n;
        continue;
      }
      // Backslash escape.
      ++p_;
      if (p_ >= end_) return Fail("unterminated escape");
      const char e = *p_++;
      switch (e) {
        case '"':
          out->push_back('"');
          break;
        case '\\':
          out->push_back('\\');
          break;
        case '/':
          out->push_back('/');
          break;
        case 'b':
          out->push_back('\b');
          break;
        case 'f':
          out->push_back('\f');
          break;
        case 'n':
          out->push_back('\n');
          break;
        case 'r':
          out->push_back('\r');
          break;
        case 't':
          out->push_back('\t');
          break;
        case 'u': {
          uint32_t cp = 0;
          if (!Hex4(&cp)) return false;
          if (cp >= 0xD800 && cp <= 0xDBFF) {
            // A high surrogate: only a following \uDC00-\uDFFF completes it.
            uint32_t low = 0;
            if (end_ - p_ >= 6 && p_[0] == '\\' && p_[1] == 'u') {
              const char* save = p_;
              p_ += 2;
              if (!Hex4(&low)) return false;
              if (low >= 0xDC00 && low <= 0xDFFF) {
                cp = 0x10000 + ((cp - 0xD800) << 10) + (low - 0xDC00);
              } else {
                p_ = save;  // the next escape stands on its own
                cp = kReplacementChar;
              }
            } else {
              cp = kReplacementChar;
            }
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            cp = kReplacementChar;  // lone low surrogate
          }
          AppendUtf8(out, cp);
          break;
        }
        default:
          --p_;
          return Fail("invalid escape (expected one of \" \\ / b f n r t u)");
      }
    }
  }

  const char* begin_;
  const char* p_;
  const char* end_;
  const ParseOptions& options_;
  Status error_;
};

}  // namespace

Result<Value> Parse(std::string_view text, const ParseOptions& options) {
  if (text.size() > options.max_bytes) {
    return Status::ResourceExhausted("json: document is " + std::to_string(text.size()) +
                                     " bytes, limit is " + std::to_string(options.max_bytes));
  }
  Parser parser(text, options);
  return parser.ParseDocument();
}

}  // namespace quartet::json

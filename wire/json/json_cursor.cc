#include "wire/json/json_cursor.h"

#include <bit>
#include <cstdio>
#include <string>

#include "wire/json/utf8.h"

namespace quartet::json {
namespace {

// The first byte of a string run that needs a closer look: '"', '\\', a
// control character or a non-ASCII byte. Eight bytes at a time: the masks
// flag exactly those bytes (borrows only spill above the lowest flagged
// byte, so the lowest set bit is exact).
// Inlined: strings with many escapes call it once per escape.
[[gnu::always_inline]] inline const char* ScanPlain(const char* p, const char* end) {
  constexpr uint64_t kOnes = 0x0101010101010101ull;
  constexpr uint64_t kHigh = 0x8080808080808080ull;
  while (end - p >= 8) {
    uint64_t x;
    std::memcpy(&x, p, 8);
    const uint64_t q = x ^ (kOnes * '"');
    const uint64_t b = x ^ (kOnes * '\\');
    const uint64_t hit = ((q - kOnes) & ~q) | ((b - kOnes) & ~b) | ((x - kOnes * 0x20) & ~x) | x;
    const uint64_t flagged = hit & kHigh;
    if (flagged != 0) {
      if constexpr (std::endian::native == std::endian::little) {
        return p + std::countr_zero(flagged) / 8;
      } else {
        return p + std::countl_zero(flagged) / 8;
      }
    }
    p += 8;
  }
  while (p < end) {
    const unsigned char c = static_cast<unsigned char>(*p);
    if (c == '"' || c == '\\' || c < 0x20 || c >= 0x80) break;
    ++p;
  }
  return p;
}

int HexDigit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

// Records the first syntax error; returns false so callers can `return Fail(...)`.
bool JsonCursor::Fail(std::string_view what, StatusCode code) {
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

void JsonCursor::SkipSpace() {
  while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
}

// What the value at p_ is, for schema errors ("got an array"). A bad first
// byte is named too; the syntax error that follows takes precedence.
std::string_view JsonCursor::TypeAt() const {
  if (p_ >= end_) return "nothing";
  switch (*p_) {
    case '{':
      return "an object";
    case '[':
      return "an array";
    case '"':
      return "a string";
    case 't':
    case 'f':
      return "a boolean";
    case 'n':
      return "null";
    default:
      return "a number";
  }
}

bool JsonCursor::Enter(int depth) {
  if (depth <= max_depth_) return true;
  return Fail("nesting deeper than " + std::to_string(max_depth_), StatusCode::kResourceExhausted);
}

// Checks and steps over the value at p_ (a container would be at `depth`).
bool JsonCursor::SkipValue(int depth) {
  if (p_ >= end_) return Fail("expected a value");
  switch (*p_) {
    case '{':
      return Object(depth, [&](std::string_view) { return SkipValue(depth + 1); });
    case '[':
      return Array(depth, [&](size_t) { return SkipValue(depth + 1); });
    case '"':
      return SkipString();
    case 't':
      return Literal("true");
    case 'f':
      return Literal("false");
    case 'n':
      return Literal("null");
    default:
      if (*p_ == '-' || (*p_ >= '0' && *p_ <= '9')) {
        std::string_view text;
        bool integer;
        return Number(&text, &integer);
      }
      return Fail("expected a value");
  }
}

bool JsonCursor::Literal(std::string_view word) {
  if (static_cast<size_t>(end_ - p_) < word.size() || std::string_view(p_, word.size()) != word) {
    return Fail("invalid literal (expected true, false or null)");
  }
  p_ += word.size();
  return true;
}

bool JsonCursor::Digits() {
  if (p_ >= end_ || *p_ < '0' || *p_ > '9') return Fail("expected a digit");
  while (p_ < end_ && *p_ >= '0' && *p_ <= '9') ++p_;
  return true;
}

// The number's source text; `integer` when it has no fraction or exponent.
bool JsonCursor::Number(std::string_view* text, bool* integer) {
  const char* start = p_;
  *integer = true;
  if (*p_ == '-') ++p_;
  if (p_ < end_ && *p_ == '0') {
    ++p_;
    if (p_ < end_ && *p_ >= '0' && *p_ <= '9') return Fail("leading zeros are not allowed");
  } else if (!Digits()) {
    return false;
  }
  if (p_ < end_ && *p_ == '.') {
    *integer = false;
    ++p_;
    if (!Digits()) return false;
  }
  if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
    *integer = false;
    ++p_;
    if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
    if (!Digits()) return false;
  }
  *text = std::string_view(start, p_ - start);
  return true;
}

// The 4 hex digits after "\u" (p_ at the first digit).
bool JsonCursor::Hex4(uint32_t* out) {
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

// True when the UTF-8 sequence at p_ (*p_ >= 0x80) is kept as it is;
// sets *n to its length.
bool JsonCursor::WellFormedAt(size_t* n) const {
  uint32_t cp;
  const auto* u = reinterpret_cast<const unsigned char*>(p_);
  *n = DecodeUtf8(u, reinterpret_cast<const unsigned char*>(end_), &cp);
  return cp != kReplacementChar || (*n == 3 && u[0] == 0xEF && u[1] == 0xBF && u[2] == 0xBD);
}

// The string at p_ (at its opening quote), decoded: a view into the body
// when it has no escapes and well-formed UTF-8 (the common case), else
// into *scratch.
bool JsonCursor::String(std::string_view* out, JsonScratch* scratch) {
  const char* start = ++p_;
  while (true) {
    p_ = ScanPlain(p_, end_);
    if (p_ >= end_) return Fail("unterminated string");
    const unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      *out = std::string_view(start, p_ - start);
      ++p_;
      return true;
    }
    if (c < 0x80) break;
    size_t n;
    if (!WellFormedAt(&n)) break;
    p_ += n;
  }
  scratch->Clear();
  scratch->Append(start, p_ - start);
  if (!Unescape(scratch)) return false;
  *out = scratch->view();
  return true;
}

// Continues a string at p_, appending its decoded bytes to *out, through
// the closing quote.
bool JsonCursor::Unescape(JsonScratch* out) {
  while (true) {
    const char* run = p_;
    p_ = ScanPlain(p_, end_);
    out->Append(run, p_ - run);
    if (p_ >= end_) return Fail("unterminated string");
    const unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      return true;
    }
    if (c < 0x20) return Fail("control characters must be escaped in strings");
    if (c >= 0x80) {
      size_t n;
      if (WellFormedAt(&n)) {
        out->Append(p_, n);
      } else if (reject_invalid_utf8_) {
        return Fail("invalid UTF-8 in string");
      } else {
        out->PushUtf8(kReplacementChar);
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
      case '\\':
      case '/':
        out->Push(e);
        break;
      case 'b':
        out->Push('\b');
        break;
      case 'f':
        out->Push('\f');
        break;
      case 'n':
        out->Push('\n');
        break;
      case 'r':
        out->Push('\r');
        break;
      case 't':
        out->Push('\t');
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
        out->PushUtf8(cp);
        break;
      }
      default:
        --p_;
        return Fail("invalid escape (expected one of \" \\ / b f n r t u)");
    }
  }
}

// Checks a string without decoding it: escapes and control characters
// can be errors, and ill-formed UTF-8 when it is refused rather than
// repaired (reject_invalid_utf8).
bool JsonCursor::SkipString() {
  ++p_;
  while (true) {
    p_ = ScanPlain(p_, end_);
    if (p_ >= end_) return Fail("unterminated string");
    const unsigned char c = static_cast<unsigned char>(*p_);
    if (c == '"') {
      ++p_;
      return true;
    }
    if (c < 0x20) return Fail("control characters must be escaped in strings");
    if (c >= 0x80) {
      size_t n = 1;
      if (reject_invalid_utf8_ && !WellFormedAt(&n)) return Fail("invalid UTF-8 in string");
      p_ += n;
      continue;
    }
    ++p_;
    if (p_ >= end_) return Fail("unterminated escape");
    const char e = *p_++;
    if (e == 'u') {
      uint32_t cp;
      if (!Hex4(&cp)) return false;
    } else if (std::strchr("\"\\/bfnrt", e) == nullptr || e == '\0') {
      --p_;
      return Fail("invalid escape (expected one of \" \\ / b f n r t u)");
    }
  }
}

}  // namespace quartet::json

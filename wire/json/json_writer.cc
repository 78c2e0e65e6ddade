#include "wire/json/json_writer.h"

#include <charconv>
#include <cmath>
#include <cstring>

#include "wire/json/utf8.h"

namespace quartet::json {
namespace {

// 1 for bytes that can be copied verbatim: printable ASCII except '"' and '\'.
constexpr auto kPlain = [] {
  struct Table {
    bool v[256];
  } t{};
  for (int c = 0x20; c < 0x80; ++c) t.v[c] = (c != '"' && c != '\\');
  return t;
}();

// True when any of the 8 bytes in w needs attention (control, quote,
// backslash or non-ASCII). Classic SWAR "has zero byte" tests.
inline bool NeedsWork(uint64_t w) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL;
  constexpr uint64_t kHigh = 0x8080808080808080ULL;
  auto has_zero = [](uint64_t x) { return (x - kOnes) & ~x & kHigh; };
  const uint64_t control = (w - kOnes * 0x20) & ~w & kHigh;  // byte < 0x20
  return ((w & kHigh) | control | has_zero(w ^ (kOnes * '"')) | has_zero(w ^ (kOnes * '\\'))) != 0;
}

const char kHex[] = "0123456789abcdef";

}  // namespace

void AppendEscaped(std::string* out, std::string_view s) {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    // Copy the longest run of plain bytes in one append.
    const unsigned char* run = p;
    while (end - p >= 8) {
      uint64_t w;
      std::memcpy(&w, p, 8);
      if (NeedsWork(w)) break;
      p += 8;
    }
    while (p < end && kPlain.v[*p]) ++p;
    if (p > run) out->append(reinterpret_cast<const char*>(run), p - run);
    if (p >= end) break;

    const unsigned char c = *p;
    if (c >= 0x80) {
      uint32_t cp;
      const size_t n = DecodeUtf8(p, end, &cp);
      if (cp == kReplacementChar) {
        out->append("\xEF\xBF\xBD");  // also right for a literal, valid U+FFFD
      } else {
        out->append(reinterpret_cast<const char*>(p), n);
      }
      p += n;
      continue;
    }
    ++p;
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\b':
        out->append("\\b");
        break;
      case '\f':
        out->append("\\f");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default: {
        const char esc[6] = {'\\', 'u', '0', '0', kHex[c >> 4], kHex[c & 0xF]};
        out->append(esc, 6);
      }
    }
  }
}

void AppendString(std::string* out, std::string_view s) {
  out->reserve(out->size() + s.size() + 2);
  out->push_back('"');
  AppendEscaped(out, s);
  out->push_back('"');
}

void AppendInt(std::string* out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr - buf);
}

void AppendUint(std::string* out, uint64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out->append(buf, r.ptr - buf);
}

void AppendDouble(std::string* out, double v) {
  if (std::isnan(v)) {
    out->append("\"NaN\"");
    return;
  }
  if (std::isinf(v)) {
    out->append(v > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    return;
  }
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, v);  // shortest round-trip form
  out->append(buf, r.ptr - buf);
}

}  // namespace quartet::json

#include "server/query/promql/format.h"

#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <limits>

namespace quartet::promql {
namespace {

void AppendUtf8(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

// Length of the valid UTF-8 sequence at s[i], or 0.
size_t Utf8Len(std::string_view s, size_t i) {
  auto c = static_cast<unsigned char>(s[i]);
  size_t n = c >= 0xF0 && c <= 0xF4 ? 4 : c >= 0xE0 ? 3 : c >= 0xC2 && c < 0xE0 ? 2 : 0;
  if (n == 0 || i + n > s.size()) return 0;
  uint32_t r = c & (n == 2 ? 0x1F : n == 3 ? 0x0F : 0x07);
  for (size_t k = 1; k < n; ++k) {
    auto d = static_cast<unsigned char>(s[i + k]);
    if ((d & 0xC0) != 0x80) return 0;
    r = (r << 6) | (d & 0x3F);
  }
  if ((n == 3 && (r < 0x800 || (r >= 0xD800 && r < 0xE000))) ||
      (n == 4 && (r < 0x10000 || r > 0x10FFFF))) {
    return 0;
  }
  return n;
}

int HexVal(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bool EqualFold(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i] >= 'A' && a[i] <= 'Z' ? static_cast<char>(a[i] + 32) : a[i];
    if (x != b[i]) return false;
  }
  return true;
}

}  // namespace

std::string FormatFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];
  auto res = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  return std::string(buf, res.ptr);
}

std::string FormatDuration(int64_t ms) {
  if (ms == 0) return "0s";
  std::string r;
  if (ms < 0) {
    r = "-";
    ms = -ms;
  }
  auto unit = [&](const char* name, int64_t mult, bool exact) {
    if (exact && ms % mult != 0) return;
    if (int64_t v = ms / mult; v > 0) {
      r += std::to_string(v);
      r += name;
      ms -= v * mult;
    }
  };
  constexpr int64_t kDay = 24LL * 3600 * 1000;
  unit("y", 365 * kDay, true);
  unit("w", 7 * kDay, true);
  unit("d", kDay, false);
  unit("h", 3600 * 1000, false);
  unit("m", 60 * 1000, false);
  unit("s", 1000, false);
  unit("ms", 1, false);
  return r;
}

std::optional<int64_t> ParseDurationMs(std::string_view s) {
  if (s == "0") return 0;
  if (s.empty()) return std::nullopt;
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 86400000},
                                    {"w", 7LL * 86400000},
                                    {"d", 86400000},
                                    {"h", 3600000},
                                    {"m", 60000},
                                    {"s", 1000},
                                    {"ms", 1}};
  size_t next_unit = 0;
  int64_t total = 0;
  size_t i = 0;
  while (i < s.size()) {
    size_t start = i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i;
    if (i == start) return std::nullopt;
    std::string_view digits = s.substr(start, i - start);
    size_t ustart = i;
    while (i < s.size() && ((s[i] >= 'a' && s[i] <= 'z'))) ++i;
    std::string_view u = s.substr(ustart, i - ustart);
    size_t k = next_unit;
    while (k < std::size(kUnits) && kUnits[k].name != u) ++k;
    if (k == std::size(kUnits)) return std::nullopt;
    next_unit = k + 1;
    int64_t n = 0;
    for (char c : digits) {
      if (n > (std::numeric_limits<int64_t>::max() - (c - '0')) / 10) return std::nullopt;
      n = n * 10 + (c - '0');
    }
    if (n > (std::numeric_limits<int64_t>::max() - total) / kUnits[k].ms) return std::nullopt;
    total += n * kUnits[k].ms;
  }
  return total;
}

std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  static const char kHex[] = "0123456789abcdef";
  for (size_t i = 0; i < s.size();) {
    auto c = static_cast<unsigned char>(s[i]);
    if (c >= 0x80) {
      size_t n = Utf8Len(s, i);
      if (n > 0) {
        out.append(s.substr(i, n));
        i += n;
      } else {
        out += "\\x";
        out += kHex[c >> 4];
        out += kHex[c & 15];
        ++i;
      }
      continue;
    }
    switch (c) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out += "\\x";
          out += kHex[c >> 4];
          out += kHex[c & 15];
        } else {
          out += static_cast<char>(c);
        }
    }
    ++i;
  }
  out += '"';
  return out;
}

std::optional<std::string> GoUnquote(std::string_view s) {
  if (s.size() < 2) return std::nullopt;
  char quote = s[0];
  if (quote != s.back()) return std::nullopt;
  s = s.substr(1, s.size() - 2);
  std::string out;
  if (quote == '`') {
    for (char c : s) {
      if (c == '`') return std::nullopt;
      if (c != '\r') out += c;
    }
    return out;
  }
  if (quote != '"' && quote != '\'') return std::nullopt;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (c == quote || c == '\n') return std::nullopt;
    if (c != '\\') {
      out += c;
      ++i;
      continue;
    }
    if (i + 1 >= s.size()) return std::nullopt;
    char e = s[i + 1];
    i += 2;
    switch (e) {
      case 'a':
        out += '\a';
        break;
      case 'b':
        out += '\b';
        break;
      case 'f':
        out += '\f';
        break;
      case 'n':
        out += '\n';
        break;
      case 'r':
        out += '\r';
        break;
      case 't':
        out += '\t';
        break;
      case 'v':
        out += '\v';
        break;
      case '\\':
        out += '\\';
        break;
      case '\'':
      case '"':
        if (e != quote) return std::nullopt;
        out += e;
        break;
      case 'x':
      case 'u':
      case 'U': {
        size_t n = e == 'x' ? 2 : e == 'u' ? 4 : 8;
        if (i + n > s.size()) return std::nullopt;
        uint32_t v = 0;
        for (size_t k = 0; k < n; ++k) {
          int h = HexVal(s[i + k]);
          if (h < 0) return std::nullopt;
          v = v * 16 + static_cast<uint32_t>(h);
        }
        i += n;
        if (e == 'x') {
          out += static_cast<char>(v);
        } else {
          if (v > 0x10FFFF || (v >= 0xD800 && v < 0xE000)) return std::nullopt;
          AppendUtf8(&out, v);
        }
        break;
      }
      default:
        if (e >= '0' && e <= '7') {
          if (i + 2 > s.size()) return std::nullopt;
          uint32_t v = static_cast<uint32_t>(e - '0');
          for (size_t k = 0; k < 2; ++k) {
            char d = s[i + k];
            if (d < '0' || d > '7') return std::nullopt;
            v = v * 8 + static_cast<uint32_t>(d - '0');
          }
          if (v > 255) return std::nullopt;
          i += 2;
          out += static_cast<char>(v);
          break;
        }
        return std::nullopt;
    }
  }
  return out;
}

std::optional<double> GoParseFloat(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  bool neg = false;
  if (body[0] == '+' || body[0] == '-') {
    neg = body[0] == '-';
    body.remove_prefix(1);
  }
  if (EqualFold(body, "inf") || EqualFold(body, "infinity")) {
    return neg ? -std::numeric_limits<double>::infinity() : std::numeric_limits<double>::infinity();
  }
  if (EqualFold(body, "nan")) return std::numeric_limits<double>::quiet_NaN();
  if (body.empty()) return std::nullopt;
  bool hex = body.size() > 1 && body[0] == '0' && (body[1] == 'x' || body[1] == 'X');
  bool digit_seen = false;
  for (size_t i = hex ? 2 : 0; i < body.size(); ++i) {
    char c = body[i];
    bool ok = (c >= '0' && c <= '9') || c == '.' ||
              (hex ? (HexVal(c) >= 0 || c == 'p' || c == 'P') : (c == 'e' || c == 'E')) ||
              ((c == '+' || c == '-') && i > 0 &&
               (hex ? (body[i - 1] == 'p' || body[i - 1] == 'P')
                    : (body[i - 1] == 'e' || body[i - 1] == 'E')));
    if (!ok) return std::nullopt;
    if (c >= '0' && c <= '9') digit_seen = true;
    if (hex && HexVal(c) >= 0 && c != 'e' && c != 'E') digit_seen = true;
  }
  if (!digit_seen) return std::nullopt;
  if (hex && body.find_first_of("pP") == std::string_view::npos) return std::nullopt;
  std::string str(s);
  errno = 0;
  char* end = nullptr;
  double v = std::strtod(str.c_str(), &end);
  if (end != str.c_str() + str.size()) return std::nullopt;
  if (std::isinf(v)) return std::nullopt;  // out of range
  return v;
}

std::optional<int64_t> GoParseInt(std::string_view s) {
  if (s.empty()) return std::nullopt;
  bool neg = false;
  if (s[0] == '+' || s[0] == '-') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  int base = 10;
  if (s.size() > 1 && s[0] == '0') {
    char p = s[1];
    if (p == 'x' || p == 'X') {
      base = 16;
      s.remove_prefix(2);
    } else if (p == 'o' || p == 'O') {
      base = 8;
      s.remove_prefix(2);
    } else if (p == 'b' || p == 'B') {
      base = 2;
      s.remove_prefix(2);
    } else {
      base = 8;
      s.remove_prefix(1);
    }
  }
  if (s.empty()) return std::nullopt;
  unsigned __int128 v = 0;
  for (char c : s) {
    int d = HexVal(c);
    if (d < 0 || d >= base) return std::nullopt;
    v = v * static_cast<unsigned>(base) + static_cast<unsigned>(d);
    if (v > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()) + 1)
      return std::nullopt;
  }
  if (!neg && v > static_cast<unsigned __int128>(std::numeric_limits<int64_t>::max()))
    return std::nullopt;
  return neg ? static_cast<int64_t>(-static_cast<__int128>(v)) : static_cast<int64_t>(v);
}

}  // namespace quartet::promql

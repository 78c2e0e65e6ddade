#include "server/query/logql/literals.h"

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>

namespace quartet::logql {
namespace {

constexpr int64_t kNs = 1;
constexpr int64_t kUs = 1000;
constexpr int64_t kMs = 1000 * kUs;
constexpr int64_t kSec = 1000 * kMs;
constexpr int64_t kMin = 60 * kSec;
constexpr int64_t kHour = 60 * kMin;
constexpr int64_t kDay = 24 * kHour;
constexpr int64_t kWeek = 7 * kDay;
constexpr int64_t kYear = 365 * kDay;

std::optional<int64_t> UnitNanos(std::string_view u) {
  if (u == "ns") return kNs;
  if (u == "us" || u == "\xC2\xB5s" || u == "\xCE\xBCs") return kUs;
  if (u == "ms") return kMs;
  if (u == "s") return kSec;
  if (u == "m") return kMin;
  if (u == "h") return kHour;
  if (u == "d") return kDay;
  if (u == "w") return kWeek;
  if (u == "y") return kYear;
  return std::nullopt;
}

bool IsDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

std::optional<int64_t> ParseDuration(std::string_view s) {
  bool negative = false;
  if (!s.empty() && (s[0] == '-' || s[0] == '+')) {
    negative = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s.empty()) return std::nullopt;
  if (s == "0") return 0;
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (IsDigit(s[i]) || s[i] == '.')) ++i;
    if (i == 0) return std::nullopt;
    double number = 0;
    auto [p, ec] = std::from_chars(s.data(), s.data() + i, number);
    if (ec != std::errc() || p != s.data() + i) return std::nullopt;
    s.remove_prefix(i);
    size_t j = 0;
    while (j < s.size() && !IsDigit(s[j]) && s[j] != '.') ++j;
    auto unit = UnitNanos(s.substr(0, j));
    if (!unit) return std::nullopt;
    s.remove_prefix(j);
    total += number * static_cast<double>(*unit);
    if (total > 9.2e18) return std::nullopt;
  }
  int64_t ns = static_cast<int64_t>(std::llround(total));
  return negative ? -ns : ns;
}

std::string FormatDuration(int64_t ns) {
  if (ns == 0) return "0s";
  std::string out;
  uint64_t rest = ns < 0 ? -static_cast<uint64_t>(ns) : static_cast<uint64_t>(ns);
  if (ns < 0) out += '-';
  static constexpr std::pair<int64_t, const char*> kUnits[] = {
      {kYear, "y"}, {kWeek, "w"}, {kDay, "d"}, {kHour, "h"}, {kMin, "m"},
      {kSec, "s"},  {kMs, "ms"},  {kUs, "us"}, {kNs, "ns"}};
  for (const auto& [unit, name] : kUnits) {
    if (rest >= static_cast<uint64_t>(unit)) {
      out += std::to_string(rest / unit);
      out += name;
      rest %= unit;
    }
  }
  return out;
}

std::optional<double> ParseBytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (IsDigit(s[i]) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double number = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + i, number);
  if (ec != std::errc() || p != s.data() + i) return std::nullopt;
  std::string_view unit = s.substr(i);
  while (!unit.empty() && unit[0] == ' ') unit.remove_prefix(1);
  if (unit.empty()) return number;
  static constexpr char kPrefixes[] = "kmgtpe";
  char first = static_cast<char>(unit[0] | 0x20);
  if (unit.size() == 1 && first == 'b') return number;
  double multiplier = 0;
  for (int k = 0; kPrefixes[k] != 0; ++k) {
    if (kPrefixes[k] == first) multiplier = k + 1;
  }
  if (multiplier == 0) return std::nullopt;
  std::string_view suffix = unit.substr(1);
  double base = 1000;
  if (suffix.size() == 2 && (suffix[0] | 0x20) == 'i' && (suffix[1] | 0x20) == 'b') {
    base = 1024;
  } else if (!(suffix.empty() || (suffix.size() == 1 && (suffix[0] | 0x20) == 'b'))) {
    return std::nullopt;
  }
  return number * std::pow(base, multiplier);
}

std::optional<double> ParseNumber(std::string_view s) {
  if (s.empty()) return std::nullopt;
  std::string_view body = s;
  bool negative = false;
  if (body[0] == '+' || body[0] == '-') {
    negative = body[0] == '-';
    body.remove_prefix(1);
  }
  if (body == "Inf" || body == "inf" || body == "+Inf") {
    return negative ? -std::numeric_limits<double>::infinity()
                    : std::numeric_limits<double>::infinity();
  }
  if (body == "NaN" || body == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (body.empty() || (!IsDigit(body[0]) && body[0] != '.')) return std::nullopt;
  double v = 0;
  auto [p, ec] = std::from_chars(body.data(), body.data() + body.size(), v);
  if (ec != std::errc() || p != body.data() + body.size()) return std::nullopt;
  return negative ? -v : v;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, p);
}

std::string Quote(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '"';
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out += "\\\"";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\r':
        out += "\\r";
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          char buf[8];
          std::snprintf(buf, sizeof buf, "\\x%02x", c);
          out += buf;
        } else {
          out += static_cast<char>(c);
        }
    }
  }
  out += '"';
  return out;
}

}  // namespace quartet::logql

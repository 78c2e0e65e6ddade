#include "tools/quartet/incident/time_spec.h"

#include <cctype>
#include <charconv>
#include <ctime>
#include <string>

namespace quartet::cli {
namespace {

constexpr int64_t kSec = 1000000000;

Status Bad(std::string_view text) {
  return Status::InvalidArgument("cannot parse time \"" + std::string(text) +
                                 "\" (want unix seconds, RFC 3339 or now-15m)");
}

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (!std::isdigit(static_cast<unsigned char>(s[i]))) return false;
    v = v * 10 + (s[i] - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil), so no time zone of the machine is involved.
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

}  // namespace

Result<int64_t> ParseRfc3339(std::string_view s) {
  int y, mo, d, h, mi, sec;
  if (!Digits(s, 0, 4, &y) || s.size() < 19 || s[4] != '-' || !Digits(s, 5, 2, &mo) ||
      s[7] != '-' || !Digits(s, 8, 2, &d) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, &h) || s[13] != ':' || !Digits(s, 14, 2, &mi) || s[16] != ':' ||
      !Digits(s, 17, 2, &sec)) {
    return Bad(s);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || sec > 60) return Bad(s);
  size_t pos = 19;
  int64_t frac_ns = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    int64_t scale = kSec / 10;
    const size_t start = pos;
    while (pos < s.size() && std::isdigit(static_cast<unsigned char>(s[pos]))) {
      frac_ns += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return Bad(s);
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om)) {
      return Bad(s);
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '+' ? 1 : -1);
    pos += 6;
  } else {
    return Bad(s);
  }
  if (pos != s.size()) return Bad(s);
  const int64_t secs = DaysFromCivil(y, mo, d) * 86400 + h * 3600 + mi * 60 + sec - offset_s;
  return secs * kSec + frac_ns;
}

Result<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ns) {
  if (text == "now") return now_ns;
  if (text.rfind("now-", 0) == 0) {
    std::string_view rest = text.substr(4);
    if (rest.empty()) return Bad(text);
    int64_t total = 0;
    while (!rest.empty()) {
      int64_t n = 0;
      auto [p, ec] = std::from_chars(rest.data(), rest.data() + rest.size(), n);
      if (ec != std::errc() || p == rest.data() + rest.size() || n < 0) return Bad(text);
      int64_t unit;
      switch (*p) {
        case 's':
          unit = kSec;
          break;
        case 'm':
          unit = 60 * kSec;
          break;
        case 'h':
          unit = 3600 * kSec;
          break;
        case 'd':
          unit = 86400 * kSec;
          break;
        default:
          return Bad(text);
      }
      if (n > int64_t{100} * 365 * 86400 * kSec / unit) return Bad(text);
      total += n * unit;
      rest = rest.substr(static_cast<size_t>(p - rest.data()) + 1);
    }
    return now_ns - total;
  }
  if (!text.empty() && std::isdigit(static_cast<unsigned char>(text[0])) &&
      text.find_first_not_of("0123456789.") == std::string_view::npos) {
    // Integer seconds and fraction apart: a double would lose the
    // nanoseconds of today's times.
    const size_t dot = text.find('.');
    std::string_view whole = text.substr(0, dot);
    int64_t secs = 0;
    auto [p, ec] = std::from_chars(whole.data(), whole.data() + whole.size(), secs);
    if (ec != std::errc() || p != whole.data() + whole.size() || secs > 10000000000) {
      return Bad(text);
    }
    int64_t frac_ns = 0;
    if (dot != std::string_view::npos) {
      std::string_view frac = text.substr(dot + 1);
      if (frac.empty() || frac.find('.') != std::string_view::npos) return Bad(text);
      int64_t scale = kSec / 10;
      for (char c : frac) {
        frac_ns += (c - '0') * scale;
        scale /= 10;
      }
    }
    return secs * kSec + frac_ns;
  }
  return ParseRfc3339(text);
}

}  // namespace quartet::cli

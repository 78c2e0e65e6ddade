#include "base/duration.h"

#include <charconv>
#include <cmath>
#include <string>

namespace quartet {

Result<int64_t> ParseDuration(std::string_view text) {
  const std::string original(text);
  if (text.empty()) return Status::InvalidArgument("empty duration");
  double seconds = 0;
  auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), seconds);
  if (ec == std::errc() && p == text.data() + text.size()) {
    if (!(seconds >= 0) || seconds > 9.2e9) {
      return Status::InvalidArgument("duration \"" + original + "\" out of range");
    }
    return static_cast<int64_t>(std::llround(seconds * 1e9));
  }
  double total_ns = 0;
  while (!text.empty()) {
    double value = 0;
    auto [q, err] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (err != std::errc() || q == text.data() || value < 0) {
      return Status::InvalidArgument("cannot parse \"" + original +
                                     "\" as a duration (e.g. 250ms, 1h30m, 30)");
    }
    text.remove_prefix(q - text.data());
    size_t unit_len = 0;
    while (unit_len < text.size() && ((text[unit_len] >= 'a' && text[unit_len] <= 'z') ||
                                      text[unit_len] == '\xc2' || text[unit_len] == '\xb5')) {
      ++unit_len;
    }
    const std::string_view unit = text.substr(0, unit_len);
    text.remove_prefix(unit_len);
    double scale;
    if (unit == "ns") {
      scale = 1;
    } else if (unit == "us" || unit == "\xc2\xb5s" || unit == "\xb5s") {
      scale = 1e3;
    } else if (unit == "ms") {
      scale = 1e6;
    } else if (unit == "s") {
      scale = 1e9;
    } else if (unit == "m") {
      scale = 60e9;
    } else if (unit == "h") {
      scale = 3600e9;
    } else if (unit == "d") {
      scale = 86400e9;
    } else if (unit == "w") {
      scale = 7 * 86400e9;
    } else if (unit == "y") {
      scale = 365 * 86400e9;
    } else {
      return Status::InvalidArgument("unknown unit \"" + std::string(unit) + "\" in duration \"" +
                                     original + "\"");
    }
    total_ns += value * scale;
  }
  if (total_ns > 9.2e18) {
    return Status::InvalidArgument("duration \"" + original + "\" out of range");
  }
  return static_cast<int64_t>(std::llround(total_ns));
}

}  // namespace quartet

#include "wire/prometheus/content_type.h"

#include <charconv>

#include "base/strings.h"

namespace quartet::prometheus {
namespace {

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

std::string_view Unquote(std::string_view v) {
  if (v.size() >= 2 && v.front() == '"' && v.back() == '"') return v.substr(1, v.size() - 2);
  return v;
}

struct MediaRange {
  std::string_view type;  // "application/openmetrics-text", "*/*", ...
  std::string_view version;
  double q = 1.0;
  bool valid = true;
};

MediaRange ParseRange(std::string_view part) {
  MediaRange r;
  size_t semi = part.find(';');
  r.type = TrimSpace(part.substr(0, semi));
  while (semi != std::string_view::npos) {
    part.remove_prefix(semi + 1);
    semi = part.find(';');
    std::string_view param = TrimSpace(part.substr(0, semi));
    size_t eq = param.find('=');
    if (eq == std::string_view::npos) continue;
    std::string_view key = TrimSpace(param.substr(0, eq));
    std::string_view value = Unquote(TrimSpace(param.substr(eq + 1)));
    if (EqualsIgnoreCase(key, "q")) {
      double q = 0;
      auto res = std::from_chars(value.data(), value.data() + value.size(), q);
      if (res.ec != std::errc() || res.ptr != value.data() + value.size() || q < 0 || q > 1) {
        r.valid = false;
      } else {
        r.q = q;
      }
    } else if (EqualsIgnoreCase(key, "version")) {
      r.version = value;
    }
  }
  return r;
}

}  // namespace

Format ChooseFormat(std::string_view accept_header) {
  double best_openmetrics = 0;
  double best_text = 0;
  while (!accept_header.empty()) {
    size_t comma = accept_header.find(',');
    MediaRange r = ParseRange(accept_header.substr(0, comma));
    accept_header.remove_prefix(comma == std::string_view::npos ? accept_header.size() : comma + 1);
    if (!r.valid || r.q <= 0) continue;
    if (EqualsIgnoreCase(r.type, "application/openmetrics-text")) {
      if (r.version.empty() || r.version == "1.0.0" || r.version == "0.0.1") {
        if (r.q > best_openmetrics) best_openmetrics = r.q;
      }
    } else if (EqualsIgnoreCase(r.type, "text/plain")) {
      if (r.version.empty() || r.version == "0.0.4") {
        if (r.q > best_text) best_text = r.q;
      }
    } else if (EqualsIgnoreCase(r.type, "*/*") || EqualsIgnoreCase(r.type, "text/*")) {
      if (r.q > best_text) best_text = r.q;
    }
  }
  return best_openmetrics > 0 && best_openmetrics >= best_text ? Format::kOpenMetrics1
                                                               : Format::kText004;
}

std::string_view ContentType(Format format) {
  return format == Format::kOpenMetrics1 ? kOpenMetricsContentType : kText004ContentType;
}

}  // namespace quartet::prometheus

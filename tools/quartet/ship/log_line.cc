#include "tools/quartet/ship/log_line.h"

#include <algorithm>

#include "wire/json/json_parser.h"

namespace quartet::ship {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int* out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = 0; i < n; ++i) {
    char c = s[pos + i];
    if (c < '0' || c > '9') return false;
    v = v * 10 + (c - '0');
  }
  *out = v;
  return true;
}

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil algorithm).
int64_t DaysFromCivil(int64_t y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

void AddLabel(loki::Labels* labels, std::string name, std::string value) {
  auto it = std::lower_bound(labels->begin(), labels->end(), name,
                             [](const auto& l, const std::string& n) { return l.first < n; });
  if (it != labels->end() && it->first == name) return;  // the static label wins
  labels->emplace(it, std::move(name), std::move(value));
}

}  // namespace

std::optional<int64_t> ParseRfc3339Nanos(std::string_view s) {
  int year, month, day, hour, minute, second;
  if (!Digits(s, 0, 4, &year) || s.size() < 20 || s[4] != '-' || !Digits(s, 5, 2, &month) ||
      s[7] != '-' || !Digits(s, 8, 2, &day) || (s[10] != 'T' && s[10] != 't' && s[10] != ' ') ||
      !Digits(s, 11, 2, &hour) || s[13] != ':' || !Digits(s, 14, 2, &minute) || s[16] != ':' ||
      !Digits(s, 17, 2, &second)) {
    return std::nullopt;
  }
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60) {
    return std::nullopt;
  }
  size_t pos = 19;
  int64_t nanos = 0;
  if (pos < s.size() && s[pos] == '.') {
    ++pos;
    size_t digits = 0;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      if (digits < 9) nanos = nanos * 10 + (s[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0) return std::nullopt;
    for (size_t i = digits; i < 9; ++i) nanos *= 10;
  }
  int64_t offset_s = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    int oh, om;
    if (!Digits(s, pos + 1, 2, &oh) || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        !Digits(s, pos + 4, 2, &om) || oh > 23 || om > 59) {
      return std::nullopt;
    }
    offset_s = (oh * 3600 + om * 60) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return std::nullopt;
  }
  if (pos != s.size()) return std::nullopt;
  int64_t days = DaysFromCivil(year, month, day);
  int64_t secs = days * 86400 + hour * 3600 + minute * 60 + second - offset_s;
  if (secs < 0 || secs > INT64_MAX / 1'000'000'000 - 1) return std::nullopt;
  return secs * 1'000'000'000 + nanos;
}

ShippedLine ParseLine(std::string text, int64_t read_time_ns, const loki::Labels& static_labels) {
  ShippedLine out{static_labels, loki::Entry{read_time_ns, {}, {}}};
  // Only objects can be SDK lines; skip the parse for anything else.
  size_t first = text.find_first_not_of(" \t");
  if (first != std::string::npos && text[first] == '{') {
    Result<json::Value> doc = json::Parse(text);
    if (doc.ok() && doc->is_object()) {
      const json::Value* time = doc->Find("time");
      std::optional<int64_t> ts;
      if (time != nullptr && time->is_string()) ts = ParseRfc3339Nanos(time->string_value());
      if (ts.has_value()) out.entry.timestamp_ns = *ts;
      const json::Value* service = doc->Find("service");
      if (service != nullptr && service->is_string() && !service->string_value().empty()) {
        AddLabel(&out.labels, "service_name", service->string_value());
      }
      const json::Value* level = doc->Find("level");
      if (level != nullptr && level->is_string() && !level->string_value().empty()) {
        std::string lower = level->string_value();
        std::transform(lower.begin(), lower.end(), lower.begin(),
                       [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
        AddLabel(&out.labels, "level", std::move(lower));
      }
      for (const char* key : {"trace_id", "span_id", "request_id"}) {
        const json::Value* v = doc->Find(key);
        if (v != nullptr && v->is_string() && !v->string_value().empty()) {
          out.entry.structured_metadata.emplace_back(key, v->string_value());
        }
      }
    }
  }
  out.entry.line = std::move(text);
  return out;
}

Result<loki::Labels> ParseLabelsFlag(std::string_view text) {
  loki::Labels labels;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view pair = text.substr(0, comma);
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (pair.empty()) continue;
    size_t eq = pair.find('=');
    std::string_view name = eq == std::string_view::npos ? pair : pair.substr(0, eq);
    if (eq == std::string_view::npos || !loki::IsValidLabelName(name)) {
      return Status::InvalidArgument("label '" + std::string(pair) +
                                     "' is not name=value with a valid label name");
    }
    labels.emplace_back(std::string(name), std::string(pair.substr(eq + 1)));
  }
  RETURN_IF_ERROR(loki::SortLabels(&labels));
  return labels;
}

}  // namespace quartet::ship

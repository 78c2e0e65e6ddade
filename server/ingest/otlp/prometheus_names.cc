#include "server/ingest/otlp/prometheus_names.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <vector>

namespace quartet::ingest {
namespace {

bool IsAlnum(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

// Words of `s`: maximal runs of letters and digits. Non-ASCII bytes separate
// words too (Prometheus's legacy names are ASCII-only).
std::vector<std::string> Words(std::string_view s) {
  std::vector<std::string> words;
  size_t i = 0;
  while (i < s.size()) {
    while (i < s.size() && !IsAlnum(s[i])) ++i;
    const size_t start = i;
    while (i < s.size() && IsAlnum(s[i])) ++i;
    if (i > start) words.emplace_back(s.substr(start, i - start));
  }
  return words;
}

std::string JoinWords(const std::vector<std::string>& words) {
  std::string out;
  for (const std::string& w : words) {
    if (!out.empty()) out += '_';
    out += w;
  }
  return out;
}

// The OTel (UCUM) units the specification names, and their Prometheus words.
std::string_view MainUnitWord(std::string_view unit) {
  static constexpr std::pair<std::string_view, std::string_view> kUnits[] = {
      {"d", "days"},
      {"h", "hours"},
      {"min", "minutes"},
      {"s", "seconds"},
      {"ms", "milliseconds"},
      {"us", "microseconds"},
      {"ns", "nanoseconds"},
      {"By", "bytes"},
      {"KiBy", "kibibytes"},
      {"MiBy", "mebibytes"},
      {"GiBy", "gibibytes"},
      {"TiBy", "tibibytes"},
      {"KBy", "kilobytes"},
      {"MBy", "megabytes"},
      {"GBy", "gigabytes"},
      {"TBy", "terabytes"},
      {"m", "meters"},
      {"V", "volts"},
      {"A", "amperes"},
      {"J", "joules"},
      {"W", "watts"},
      {"g", "grams"},
      {"Cel", "celsius"},
      {"Hz", "hertz"},
      {"1", ""},
      {"%", "percent"},
  };
  for (const auto& [otel, prom] : kUnits) {
    if (otel == unit) return prom;
  }
  return unit;
}

std::string_view PerUnitWord(std::string_view unit) {
  static constexpr std::pair<std::string_view, std::string_view> kUnits[] = {
      {"s", "second"}, {"m", "minute"}, {"h", "hour"}, {"d", "day"},
      {"w", "week"},   {"mo", "month"}, {"y", "year"},
  };
  for (const auto& [otel, prom] : kUnits) {
    if (otel == unit) return prom;
  }
  return unit;
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

bool Annotation(std::string_view unit) {
  return unit.find_first_of("{}") != std::string_view::npos;
}

// The unit's words to append, main then "per" and the per-unit, each skipped
// when the name already has that word.
struct UnitWords {
  std::string main;  // e.g. "seconds"; "" when none
  std::string per;   // e.g. "second"; "" when none
};

UnitWords UnitWordsOf(std::string_view unit) {
  UnitWords words;
  const size_t slash = unit.find('/');
  const std::string_view main = Trim(unit.substr(0, slash));
  if (!main.empty() && !Annotation(main)) words.main = JoinWords(Words(MainUnitWord(main)));
  if (slash != std::string_view::npos) {
    const std::string_view per = Trim(unit.substr(slash + 1));
    if (!per.empty() && !Annotation(per)) words.per = JoinWords(Words(PerUnitWord(per)));
  }
  return words;
}

bool Contains(const std::vector<std::string>& words, std::string_view w) {
  return std::find(words.begin(), words.end(), w) != words.end();
}

}  // namespace

std::string PrometheusMetricName(const otlp::Metric& metric) {
  std::vector<std::string> words = Words(metric.name);
  if (words.empty()) return "";
  const UnitWords unit = UnitWordsOf(metric.unit);
  if (!unit.main.empty() && !Contains(words, unit.main)) words.push_back(unit.main);
  if (!unit.per.empty() && !Contains(words, unit.per)) {
    words.push_back("per");
    words.push_back(unit.per);
  }
  if (metric.type == otlp::Metric::Type::kSum && metric.is_monotonic) {
    std::erase(words, "total");
    words.push_back("total");
  }
  if (metric.unit == "1" && metric.type == otlp::Metric::Type::kGauge) {
    std::erase(words, "ratio");
    words.push_back("ratio");
  }
  std::string name = JoinWords(words);
  if (name.front() >= '0' && name.front() <= '9') name.insert(name.begin(), '_');
  return name;
}

std::string PrometheusUnit(std::string_view otel_unit, bool ratio_allowed) {
  if (otel_unit == "1") return ratio_allowed ? "ratio" : "";
  const UnitWords unit = UnitWordsOf(otel_unit);
  if (unit.per.empty()) return unit.main;
  return unit.main.empty() ? "per_" + unit.per : unit.main + "_per_" + unit.per;
}

std::string PrometheusLabelName(std::string_view key) {
  std::string out(key);
  for (char& c : out) {
    if (!IsAlnum(c) && c != '_') c = '_';
  }
  if (out.empty()) return out;
  if (out[0] >= '0' && out[0] <= '9') return "key_" + out;
  if (out[0] == '_' && (out.size() == 1 || out[1] != '_')) return "key" + out;
  return out;
}

std::string FormatLabelFloat(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[400];  // a fixed-form double has at most ~330 characters
  const auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::fixed);
  if (ec != std::errc()) return "NaN";
  return std::string(buf, end);
}

}  // namespace quartet::ingest

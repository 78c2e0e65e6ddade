// Writers for the Prometheus text exposition formats: text 0.0.4 and
// OpenMetrics 1.0. A pure codec: callers describe metric families as plain
// structs (already read from wherever they live) and get text back; nothing
// here knows about registries, threads or I/O. Format notes: PROTOCOLS.md
// "Prometheus exposition" (/work/shared) and the OpenMetrics 1.0 spec.
//
// Naming convention of Family::name (the *base* name, as OpenMetrics uses it):
//   counter    "http_requests"  -> samples "http_requests_total" (both formats;
//              0.0.4 HELP/TYPE also use "http_requests_total", as the Python
//              client does, so the two formats agree on the series name)
//   info       "target"         -> sample "target_info" (type "info" in
//              OpenMetrics, "gauge" in 0.0.4, which has no info type)
//   histogram  "latency_seconds" -> _bucket{le=..}, _sum, _count
//   gauge / unknown: the name as is.
//
// Thread-safety: pure functions over caller-owned data.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quartet::prometheus {

enum class MetricType { kCounter, kGauge, kHistogram, kInfo, kUnknown };

struct Label {
  std::string name;
  std::string value;
};

// An OpenMetrics exemplar: `# {labels} value [timestamp]`. Written only in
// OpenMetrics, and dropped when its label names and values together exceed
// kMaxExemplarCodePoints (the spec's limit) rather than producing text a
// parser must reject.
struct Exemplar {
  std::vector<Label> labels;
  double value = 0;
  int64_t unix_nanos = 0;  // 0: no timestamp
};

inline constexpr size_t kMaxExemplarCodePoints = 128;

struct Bucket {
  double upper_bound = 0;  // the `le` value; the last bucket must be +Inf
  uint64_t cumulative_count = 0;
  std::optional<Exemplar> exemplar;
};

// One labelled series of a family (a "MetricPoint" in OpenMetrics terms).
struct Point {
  std::vector<Label> labels;
  double value = 0;                  // counter, gauge, unknown (info writes 1)
  std::optional<Exemplar> exemplar;  // counters only
  std::vector<Bucket> buckets;       // histograms: ascending, ending at +Inf
  double sum = 0;                    // histograms (OpenMetrics omits it when < 0 or NaN)
  uint64_t count = 0;                // histograms: equals the +Inf bucket
};

struct Family {
  std::string name;  // base name, see the header comment
  std::string help;  // HELP line omitted when empty
  MetricType type = MetricType::kUnknown;
  std::vector<Point> points;
};

// Appends one family in text format 0.0.4 (no exemplars, no timestamps).
void AppendText004(const Family& family, std::string* out);
// Appends one family in OpenMetrics 1.0 text, without the final "# EOF".
void AppendOpenMetrics(const Family& family, std::string* out);

// Whole expositions. OpenMetrics output ends with "# EOF\n".
std::string WriteText004(const std::vector<Family>& families);
std::string WriteOpenMetrics(const std::vector<Family>& families);

// Escaping, exposed for tests and for other writers of the same syntax.
// Label values: backslash, double quote and newline. HELP in 0.0.4:
// backslash and newline; HELP in OpenMetrics also escapes double quotes.
void AppendEscapedLabelValue(std::string_view value, std::string* out);
void AppendEscapedHelp004(std::string_view help, std::string* out);
void AppendEscapedHelpOpenMetrics(std::string_view help, std::string* out);

// Number of UTF-8 code points in `s` (continuation bytes not counted).
size_t CountCodePoints(std::string_view s);

}  // namespace quartet::prometheus

#include "wire/prometheus/text_format.h"

#include <cmath>

#include "wire/prometheus/number_format.h"

namespace quartet::prometheus {
namespace {

enum class Syntax { k004, kOpenMetrics };

void AppendFloat(Syntax syntax, double v, std::string* out) {
  if (syntax == Syntax::kOpenMetrics) {
    AppendOpenMetricsFloat(v, out);
  } else {
    AppendGoFloat(v, out);
  }
}

// Writes `{a="x",b="y"}` (nothing when there are no labels and no `le`).
void AppendLabels(const std::vector<Label>& labels, const std::string* le, std::string* out) {
  if (labels.empty() && le == nullptr) return;
  out->push_back('{');
  bool first = true;
  for (const Label& l : labels) {
    if (!first) out->push_back(',');
    first = false;
    out->append(l.name);
    out->append("=\"");
    AppendEscapedLabelValue(l.value, out);
    out->push_back('"');
  }
  if (le != nullptr) {
    if (!first) out->push_back(',');
    out->append("le=\"");
    out->append(*le);
    out->push_back('"');
  }
  out->push_back('}');
}

void AppendExemplar(const std::optional<Exemplar>& exemplar, std::string* out) {
  if (!exemplar.has_value()) return;
  size_t code_points = 0;
  for (const Label& l : exemplar->labels) {
    code_points += CountCodePoints(l.name) + CountCodePoints(l.value);
  }
  if (code_points > kMaxExemplarCodePoints) return;
  out->append(" # ");
  out->push_back('{');
  for (size_t i = 0; i < exemplar->labels.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append(exemplar->labels[i].name);
    out->append("=\"");
    AppendEscapedLabelValue(exemplar->labels[i].value, out);
    out->push_back('"');
  }
  out->append("} ");
  AppendOpenMetricsFloat(exemplar->value, out);
  if (exemplar->unix_nanos != 0) {
    out->push_back(' ');
    AppendUnixSeconds(exemplar->unix_nanos, out);
  }
}

void AppendSampleName(std::string_view base, std::string_view suffix, std::string* out) {
  out->append(base);
  out->append(suffix);
}

void AppendFamily(Syntax syntax, const Family& f, std::string* out) {
  bool om = syntax == Syntax::kOpenMetrics;
  // The name on HELP/TYPE lines: OpenMetrics uses the base name; 0.0.4 has no
  // notion of suffixed families except for histograms, so it names the series.
  std::string meta_name = f.name;
  std::string_view type_word = "untyped";
  switch (f.type) {
    case MetricType::kCounter:
      type_word = "counter";
      if (!om) meta_name += "_total";
      break;
    case MetricType::kGauge:
      type_word = "gauge";
      break;
    case MetricType::kHistogram:
      type_word = "histogram";
      break;
    case MetricType::kInfo:
      type_word = om ? "info" : "gauge";
      if (!om) meta_name += "_info";
      break;
    case MetricType::kUnknown:
      type_word = om ? "unknown" : "untyped";
      break;
  }
  if (!f.help.empty()) {
    out->append("# HELP ");
    out->append(meta_name);
    out->push_back(' ');
    if (om) {
      AppendEscapedHelpOpenMetrics(f.help, out);
    } else {
      AppendEscapedHelp004(f.help, out);
    }
    out->push_back('\n');
  }
  out->append("# TYPE ");
  out->append(meta_name);
  out->push_back(' ');
  out->append(type_word);
  out->push_back('\n');

  std::string le;
  for (const Point& p : f.points) {
    switch (f.type) {
      case MetricType::kCounter:
        AppendSampleName(f.name, "_total", out);
        AppendLabels(p.labels, nullptr, out);
        out->push_back(' ');
        AppendFloat(syntax, p.value, out);
        if (om) AppendExemplar(p.exemplar, out);
        out->push_back('\n');
        break;
      case MetricType::kInfo:
        AppendSampleName(f.name, "_info", out);
        AppendLabels(p.labels, nullptr, out);
        out->append(" 1\n");
        break;
      case MetricType::kGauge:
      case MetricType::kUnknown:
        out->append(f.name);
        AppendLabels(p.labels, nullptr, out);
        out->push_back(' ');
        AppendFloat(syntax, p.value, out);
        out->push_back('\n');
        break;
      case MetricType::kHistogram:
        for (const Bucket& b : p.buckets) {
          le.clear();
          AppendFloat(syntax, b.upper_bound, &le);
          AppendSampleName(f.name, "_bucket", out);
          AppendLabels(p.labels, &le, out);
          out->push_back(' ');
          AppendUint(b.cumulative_count, out);
          if (om) AppendExemplar(b.exemplar, out);
          out->push_back('\n');
        }
        // OpenMetrics: _sum is a counter, so a negative or NaN sum (negative
        // observations) MUST be left out; 0.0.4 has no such rule.
        if (!om || p.sum >= 0) {
          AppendSampleName(f.name, "_sum", out);
          AppendLabels(p.labels, nullptr, out);
          out->push_back(' ');
          AppendFloat(syntax, p.sum, out);
          out->push_back('\n');
        }
        AppendSampleName(f.name, "_count", out);
        AppendLabels(p.labels, nullptr, out);
        out->push_back(' ');
        AppendUint(p.count, out);
        out->push_back('\n');
        break;
    }
  }
}

}  // namespace

void AppendText004(const Family& family, std::string* out) {
  AppendFamily(Syntax::k004, family, out);
}

void AppendOpenMetrics(const Family& family, std::string* out) {
  AppendFamily(Syntax::kOpenMetrics, family, out);
}

// A guess at the output size, so appending rarely reallocates.
size_t EstimateSize(const std::vector<Family>& families) {
  size_t n = 16;
  for (const Family& f : families) {
    n += 2 * f.name.size() + f.help.size() + 32;
    for (const Point& p : f.points)
      n += (p.buckets.size() + 3) * (f.name.size() + 48 * (p.labels.size() + 1));
  }
  return n;
}

std::string WriteText004(const std::vector<Family>& families) {
  std::string out;
  out.reserve(EstimateSize(families));
  for (const Family& f : families) AppendText004(f, &out);
  return out;
}

std::string WriteOpenMetrics(const std::vector<Family>& families) {
  std::string out;
  out.reserve(EstimateSize(families));
  for (const Family& f : families) AppendOpenMetrics(f, &out);
  out.append("# EOF\n");
  return out;
}

namespace {

// Appends `in` with backslash, newline and (optionally) double quote escaped; runs without specials
// are copied whole (the common case: no escaping at all).
void AppendEscaped(std::string_view in, bool escape_quote, std::string* out) {
  while (!in.empty()) {
    size_t pos = 0;
    while (pos < in.size() && in[pos] != '\\' && in[pos] != '\n' &&
           !(escape_quote && in[pos] == '"')) {
      ++pos;
    }
    out->append(in.data(), pos);
    if (pos == in.size()) return;
    switch (in[pos]) {
      case '\\':
        out->append("\\\\");
        break;
      case '"':
        out->append("\\\"");
        break;
      default:
        out->append("\\n");
        break;  // '\n'
    }
    in.remove_prefix(pos + 1);
  }
}

}  // namespace

void AppendEscapedLabelValue(std::string_view value, std::string* out) {
  AppendEscaped(value, /*escape_quote=*/true, out);
}

void AppendEscapedHelp004(std::string_view help, std::string* out) {
  AppendEscaped(help, /*escape_quote=*/false, out);
}

void AppendEscapedHelpOpenMetrics(std::string_view help, std::string* out) {
  AppendEscapedLabelValue(help, out);
}

size_t CountCodePoints(std::string_view s) {
  size_t n = 0;
  for (unsigned char c : s) {
    if ((c & 0xC0) != 0x80) ++n;
  }
  return n;
}

}  // namespace quartet::prometheus

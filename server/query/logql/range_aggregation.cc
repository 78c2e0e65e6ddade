#include "server/query/logql/range_aggregation.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_map>

#include "server/query/logql/pipeline.h"

namespace quartet::logql::internal {
namespace {

struct RawSeries {
  Labels labels;
  std::vector<int64_t> ts;
  std::vector<double> values;
};

void ApplyGrouping(const Grouping& g, Labels* labels) {
  auto listed = [&](const std::string& name) {
    return std::find(g.labels.begin(), g.labels.end(), name) != g.labels.end();
  };
  std::erase_if(*labels, [&](const auto& l) { return listed(l.first) == g.without; });
}

double Quantile(double q, std::vector<double>* values) {
  // Prometheus' quantile: linear interpolation between closest ranks.
  if (values->empty()) return std::nan("");
  if (q < 0) return -INFINITY;
  if (q > 1) return INFINITY;
  std::sort(values->begin(), values->end());
  double rank = q * static_cast<double>(values->size() - 1);
  size_t lo = static_cast<size_t>(std::floor(rank));
  size_t hi = std::min(lo + 1, values->size() - 1);
  double w = rank - static_cast<double>(lo);
  return (*values)[lo] * (1 - w) + (*values)[hi] * w;
}

Status PipelineError(const Labels& labels) {
  std::string err;
  for (const auto& [k, v] : labels) {
    if (k == kErrorLabel) err = v;
  }
  Labels shown;
  for (const auto& l : labels) {
    if (l.first != kErrorDetailsLabel) shown.push_back(l);
  }
  return Status::InvalidArgument(
      "pipeline error: '" + err + "' for series: '" + LabelsToString(shown) +
      "'. Use a label filter to intentionally skip this error (e.g. | __error__!=\"" + err +
      "\"); to skip all potential errors match empty errors (e.g. | __error__=\"\"); the label "
      "filter can also be specified after unwrap (e.g. | unwrap latency | __error__=\"\")");
}

}  // namespace

void LabelsKey(const Labels& labels, std::string* key) {
  key->clear();
  for (const auto& [k, v] : labels) {
    key->append(k);
    key->push_back('\0');
    key->append(v);
    key->push_back('\0');
  }
}

Result<std::vector<Series>> EvaluateRangeAggregation(const MetricExpr& node, LogSource& source,
                                                     const StepRange& steps,
                                                     const EvalLimits& limits) {
  const LogRange& range = node.range;
  const RangeOp op = node.range_op;
  const int64_t off = range.offset_ns;
  // Entries in (start - range - offset, end - offset] feed some step.
  const int64_t scan_start = steps.start_ns - range.range_ns - off + 1;
  const int64_t scan_end = steps.end_ns - off + 1;
  const bool bytes = op == RangeOp::kBytesOverTime || op == RangeOp::kBytesRate;

  Pipeline pipeline(range.query, range.unwrap ? &*range.unwrap : nullptr);
  std::vector<RawSeries> series;
  std::unordered_map<std::string, size_t> index;
  std::string key, out_line;
  Labels labels;
  size_t samples = 0;
  Status limit_error;
  Status scan = source.Scan(
      range.query.selector, pipeline.leading_filters(), scan_start, scan_end, Direction::kForward,
      [&](const Labels& stream, int64_t ts, std::string_view line, const Labels& metadata) {
        double value;
        if (!pipeline.ProcessSample(stream, metadata, line, &labels, &out_line, &value)) {
          return true;
        }
        if (bytes) value = static_cast<double>(out_line.size());
        if (node.grouping) ApplyGrouping(*node.grouping, &labels);
        LabelsKey(labels, &key);
        auto it = index.find(key);
        if (it == index.end()) {
          if (series.size() >= limits.max_series) {
            limit_error = Status::ResourceExhausted(
                "maximum number of series (" + std::to_string(limits.max_series) +
                ") reached for a single query; narrow the stream selector or aggregate with "
                "sum by (...)");
            return false;
          }
          it = index.emplace(key, series.size()).first;
          series.push_back({labels, {}, {}});
        }
        if (++samples > limits.max_samples) {
          limit_error = Status::ResourceExhausted(
              "query would buffer more than " + std::to_string(limits.max_samples) +
              " samples; shorten the time range or the [range], or filter more lines");
          return false;
        }
        RawSeries& s = series[it->second];
        s.ts.push_back(ts);
        s.values.push_back(value);
        return true;
      });
  RETURN_IF_ERROR(scan);
  RETURN_IF_ERROR(limit_error);
  for (const RawSeries& s : series) {
    for (const auto& l : s.labels) {
      if (l.first == kErrorLabel) return PipelineError(s.labels);
    }
  }
  // The source orders entries globally; keep a guard for sources that do not.
  for (RawSeries& s : series) {
    if (std::is_sorted(s.ts.begin(), s.ts.end())) continue;
    std::vector<size_t> order(s.ts.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    std::stable_sort(order.begin(), order.end(),
                     [&](size_t a, size_t b) { return s.ts[a] < s.ts[b]; });
    RawSeries sorted{s.labels, {}, {}};
    for (size_t i : order) {
      sorted.ts.push_back(s.ts[i]);
      sorted.values.push_back(s.values[i]);
    }
    s = std::move(sorted);
  }

  const double range_s = static_cast<double>(range.range_ns) / 1e9;
  const size_t nsteps = steps.count();
  std::vector<Series> out;
  if (op == RangeOp::kAbsentOverTime) {
    std::vector<int64_t> all;
    for (const RawSeries& s : series) all.insert(all.end(), s.ts.begin(), s.ts.end());
    std::sort(all.begin(), all.end());
    Series absent;
    for (const LabelMatcher& m : range.query.selector) {
      if (m.type == LabelMatcher::Type::kEq) absent.labels.emplace_back(m.name, m.value);
    }
    std::sort(absent.labels.begin(), absent.labels.end());
    absent.labels.erase(
        std::unique(absent.labels.begin(), absent.labels.end(),
                    [](const auto& a, const auto& b) { return a.first == b.first; }),
        absent.labels.end());
    for (size_t i = 0; i < nsteps; ++i) {
      int64_t t = steps.at(i) - off;
      auto it = std::upper_bound(all.begin(), all.end(), t - range.range_ns);
      if (it == all.end() || *it > t) absent.points.emplace_back(steps.at(i), 1.0);
    }
    if (!absent.points.empty()) out.push_back(std::move(absent));
    return out;
  }

  std::vector<double> window;
  std::vector<double> prefix;
  for (RawSeries& s : series) {
    Series result{std::move(s.labels), {}};
    prefix.assign(1, 0.0);
    for (double v : s.values) prefix.push_back(prefix.back() + v);
    size_t a = 0, b = 0;
    for (size_t i = 0; i < nsteps; ++i) {
      const int64_t t = steps.at(i) - off;
      while (a < s.ts.size() && s.ts[a] <= t - range.range_ns) ++a;
      if (b < a) b = a;
      while (b < s.ts.size() && s.ts[b] <= t) ++b;
      if (a == b) continue;
      const double n = static_cast<double>(b - a);
      const double sum = prefix[b] - prefix[a];
      double v = 0;
      switch (op) {
        case RangeOp::kCountOverTime:
          v = n;
          break;
        case RangeOp::kRate:
          v = (range.unwrap ? sum : n) / range_s;
          break;
        case RangeOp::kBytesOverTime:
        case RangeOp::kSumOverTime:
          v = sum;
          break;
        case RangeOp::kBytesRate:
          v = sum / range_s;
          break;
        case RangeOp::kAvgOverTime:
          v = sum / n;
          break;
        case RangeOp::kMaxOverTime:
          v = *std::max_element(s.values.begin() + a, s.values.begin() + b);
          break;
        case RangeOp::kMinOverTime:
          v = *std::min_element(s.values.begin() + a, s.values.begin() + b);
          break;
        case RangeOp::kFirstOverTime:
          v = s.values[a];
          break;
        case RangeOp::kLastOverTime:
          v = s.values[b - 1];
          break;
        case RangeOp::kStddevOverTime:
        case RangeOp::kStdvarOverTime: {
          double mean = sum / n, acc = 0;
          for (size_t j = a; j < b; ++j) acc += (s.values[j] - mean) * (s.values[j] - mean);
          v = acc / n;
          if (op == RangeOp::kStddevOverTime) v = std::sqrt(v);
          break;
        }
        case RangeOp::kQuantileOverTime:
          window.assign(s.values.begin() + a, s.values.begin() + b);
          v = Quantile(node.quantile, &window);
          break;
        case RangeOp::kAbsentOverTime:
          break;
      }
      result.points.emplace_back(steps.at(i), v);
    }
    if (!result.points.empty()) out.push_back(std::move(result));
  }
  return out;
}

}  // namespace quartet::logql::internal

#include "server/ingest/otlp/metric_mapping.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <set>
#include <unordered_map>
#include <utility>

#include "server/ingest/otlp/prometheus_names.h"
#include "wire/otlp/encode_json.h"

namespace quartet::ingest {

double StaleMarker() {
  constexpr uint64_t kBits = 0x7ff0000000000002ULL;
  double d;
  std::memcpy(&d, &kBits, sizeof d);
  return d;
}

bool IsStaleMarker(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == 0x7ff0000000000002ULL;
}

namespace {

using otlp::Metric;

// DataPointFlags.FLAG_NO_RECORDED_VALUE.
constexpr uint32_t kNoRecordedValue = 1;

std::string Path(std::string_view prefix, size_t i) {
  return std::string(prefix) + "[" + std::to_string(i) + "]";
}

// Attributes as labels: sorted by the original key, sanitised, values of
// keys that sanitise alike joined with ';'.
std::map<std::string, std::string> AttributeLabels(const std::vector<otlp::KeyValue>& attributes) {
  std::vector<const otlp::KeyValue*> sorted;
  sorted.reserve(attributes.size());
  for (const otlp::KeyValue& kv : attributes) sorted.push_back(&kv);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const auto* a, const auto* b) { return a->key < b->key; });
  std::map<std::string, std::string> labels;
  for (const otlp::KeyValue* kv : sorted) {
    std::string name = PrometheusLabelName(kv->key);
    if (name.empty()) continue;
    std::string value = otlp::AnyValueText(kv->value);
    auto [it, inserted] = labels.try_emplace(std::move(name), value);
    if (!inserted) it->second += ";" + value;
  }
  return labels;
}

// What a resource contributes to every series, and its target_info.
struct ResourceLabels {
  std::string job, instance;
  std::map<std::string, std::string> info;  // non-identifying attributes
};

ResourceLabels ResourceLabelsOf(const otlp::Resource& resource) {
  ResourceLabels out;
  std::vector<otlp::KeyValue> others;
  std::string name, ns;
  for (const otlp::KeyValue& kv : resource.attributes) {
    if (kv.key == "service.name") {
      name = otlp::AnyValueText(kv.value);
    } else if (kv.key == "service.namespace") {
      ns = otlp::AnyValueText(kv.value);
    } else if (kv.key == "service.instance.id") {
      out.instance = otlp::AnyValueText(kv.value);
    } else {
      others.push_back(kv);
    }
  }
  out.job = ns.empty() ? name : (name.empty() ? ns + "/" : ns + "/" + name);
  out.info = AttributeLabels(others);
  return out;
}

// Collects series by label set (a request may carry several points of one
// series) and metadata by family.
class BatchBuilder {
 public:
  // The series for `labels` (empty values dropped, sorted by name).
  store::SeriesSamples* Series(const std::map<std::string, std::string>& labels) {
    std::string key;
    for (const auto& [n, v] : labels) {
      if (v.empty()) continue;
      key += n;
      key += '\xff';
      key += v;
      key += '\xfe';
    }
    auto [it, inserted] = index_.try_emplace(key, batch_.series.size());
    if (inserted) {
      store::SeriesSamples& s = batch_.series.emplace_back();
      for (const auto& [n, v] : labels) {
        if (!v.empty()) s.labels.emplace_back(n, v);
      }
    }
    return &batch_.series[it->second];
  }
  void Add(const std::map<std::string, std::string>& labels, int64_t t_ms, double v) {
    Series(labels)->samples.push_back({.t_ms = t_ms, .v = v});
  }
  void Metadata(store::MetricMetadata m) {
    if (families_.insert(m.family).second) batch_.metadata.push_back(std::move(m));
  }
  store::MetricBatch Finish() {
    for (store::SeriesSamples& s : batch_.series) {
      std::stable_sort(
          s.samples.begin(), s.samples.end(),
          [](const store::Sample& a, const store::Sample& b) { return a.t_ms < b.t_ms; });
    }
    return std::move(batch_);
  }

 private:
  store::MetricBatch batch_;
  std::unordered_map<std::string, size_t> index_;
  std::set<std::string> families_;
};

std::string StreamKey(const std::map<std::string, std::string>& labels) {
  std::string key;
  for (const auto& [n, v] : labels) {
    key += n;
    key += '\xff';
    key += v;
    key += '\xfe';
  }
  return key;
}

store::Exemplar ExemplarOf(const otlp::Exemplar& e) {
  store::Exemplar out;
  for (auto& [n, v] : AttributeLabels(e.filtered_attributes)) {
    if (!v.empty()) out.labels.emplace_back(n, v);
  }
  if (e.trace_id.valid()) out.labels.emplace_back("trace_id", e.trace_id.ToHex());
  if (e.span_id.valid()) out.labels.emplace_back("span_id", e.span_id.ToHex());
  std::sort(out.labels.begin(), out.labels.end());
  out.labels.erase(std::unique(out.labels.begin(), out.labels.end(),
                               [](const auto& a, const auto& b) { return a.first == b.first; }),
                   out.labels.end());
  out.value = e.kind == otlp::NumberKind::kInt ? static_cast<double>(e.as_int) : e.as_double;
  out.t_ms = static_cast<int64_t>(e.time_unix_nano / 1'000'000);
  return out;
}

Status CheckHistogram(const otlp::HistogramDataPoint& p, const std::string& path) {
  if (!p.bucket_counts.empty() && p.bucket_counts.size() != p.explicit_bounds.size() + 1) {
    return Status::InvalidArgument(
        path + ": " + std::to_string(p.bucket_counts.size()) + " bucket_counts for " +
        std::to_string(p.explicit_bounds.size()) + " explicit_bounds (must be one more)");
  }
  for (size_t i = 0; i < p.explicit_bounds.size(); ++i) {
    if (std::isnan(p.explicit_bounds[i]) ||
        (i > 0 && !(p.explicit_bounds[i] > p.explicit_bounds[i - 1]))) {
      return Status::InvalidArgument(path + ".explicit_bounds[" + std::to_string(i) +
                                     "]: bounds must increase strictly");
    }
  }
  return Status::Ok();
}

// The checks that fail a whole export, done before any mapping so that a
// refused export leaves no trace in the delta streams.
Status CheckExport(const otlp::ExportMetricsServiceRequest& request) {
  for (size_t r = 0; r < request.resource_metrics.size(); ++r) {
    const otlp::ResourceMetrics& rm = request.resource_metrics[r];
    for (size_t s = 0; s < rm.scope_metrics.size(); ++s) {
      const otlp::ScopeMetrics& sm = rm.scope_metrics[s];
      for (size_t m = 0; m < sm.metrics.size(); ++m) {
        const Metric& metric = sm.metrics[m];
        const std::string path =
            Path("resource_metrics", r) + Path(".scope_metrics", s) + Path(".metrics", m);
        if (PrometheusMetricName(metric).empty()) {
          return Status::InvalidArgument(path + ".name: \"" + metric.name +
                                         "\" has no letter or digit to make a Prometheus name of");
        }
        for (size_t i = 0; i < metric.histogram_points.size(); ++i) {
          RETURN_IF_ERROR(
              CheckHistogram(metric.histogram_points[i], path + Path(".histogram.data_points", i)));
        }
      }
    }
  }
  return Status::Ok();
}

class Mapper {
 public:
  Mapper(DeltaToCumulative* deltas, int64_t now_ns, const MetricMappingOptions& options)
      : deltas_(deltas), now_ns_(now_ns), options_(options) {}

  void Map(const otlp::ExportMetricsServiceRequest& request);
  MappedMetrics Finish() {
    out_.batch = builder_.Finish();
    return std::move(out_);
  }

 private:
  void MapMetric(const Metric& metric);
  void MapNumber(const Metric& metric, const std::string& name, const otlp::NumberDataPoint& p);
  void MapHistogram(const Metric& metric, const std::string& name,
                    const otlp::HistogramDataPoint& p);
  void MapExponential(const Metric& metric, const std::string& name,
                      const otlp::ExponentialHistogramDataPoint& p);
  void MapSummary(const std::string& name, const otlp::SummaryDataPoint& p);

  // The labels of a point: attributes, then job/instance, then __name__.
  std::map<std::string, std::string> Labels(const std::vector<otlp::KeyValue>& attributes,
                                            const std::string& name) const {
    std::map<std::string, std::string> labels = AttributeLabels(attributes);
    if (!resource_.job.empty()) labels["job"] = resource_.job;
    if (!resource_.instance.empty()) labels["instance"] = resource_.instance;
    labels["__name__"] = name;
    return labels;
  }
  // False (and the point counted as refused) when the point has no time.
  bool Timed(uint64_t time_ns) {
    if (time_ns != 0) {
      latest_ms_ = std::max(latest_ms_, static_cast<int64_t>(time_ns / 1'000'000));
      return true;
    }
    Reject(1, "data point without time_unix_nano");
    return false;
  }
  void Reject(int64_t n, std::string_view why) {
    out_.rejected_points += n;
    if (out_.rejection_message.empty()) out_.rejection_message = std::string(why);
  }
  void RejectDelta(DeltaToCumulative::Verdict v, const std::string& name) {
    Reject(1, v == DeltaToCumulative::Verdict::kOutOfOrder
                  ? "delta data point of " + name + " not after the previous one: dropped"
                  : "too many delta streams to keep running totals for: " + name + " refused");
  }

  DeltaToCumulative* deltas_;
  int64_t now_ns_;
  MetricMappingOptions options_;
  BatchBuilder builder_;
  MappedMetrics out_;
  ResourceLabels resource_;
  int64_t latest_ms_ = 0;
};

void Mapper::Map(const otlp::ExportMetricsServiceRequest& request) {
  for (size_t r = 0; r < request.resource_metrics.size(); ++r) {
    const otlp::ResourceMetrics& rm = request.resource_metrics[r];
    resource_ = ResourceLabelsOf(rm.resource);
    latest_ms_ = 0;
    for (size_t s = 0; s < rm.scope_metrics.size(); ++s) {
      const otlp::ScopeMetrics& sm = rm.scope_metrics[s];
      for (size_t m = 0; m < sm.metrics.size(); ++m) {
        MapMetric(sm.metrics[m]);
      }
    }
    if (!resource_.info.empty() && latest_ms_ > 0) {
      std::map<std::string, std::string> labels = resource_.info;
      if (!resource_.job.empty()) labels["job"] = resource_.job;
      if (!resource_.instance.empty()) labels["instance"] = resource_.instance;
      labels["__name__"] = "target_info";
      builder_.Add(labels, latest_ms_, 1);
      builder_.Metadata(
          {.family = "target_info", .type = store::MetricType::kGauge, .help = "Target metadata"});
    }
  }
}

void Mapper::MapMetric(const Metric& metric) {
  const std::string name = PrometheusMetricName(metric);
  store::MetricMetadata meta{.family = name, .help = metric.description};
  using Type = Metric::Type;
  const bool temporal = metric.type == Type::kSum || metric.type == Type::kHistogram ||
                        metric.type == Type::kExponentialHistogram;
  if (temporal && metric.temporality != otlp::AggregationTemporality::kDelta &&
      metric.temporality != otlp::AggregationTemporality::kCumulative) {
    const size_t n = metric.number_points.size() + metric.histogram_points.size() +
                     metric.exponential_histogram_points.size();
    Reject(static_cast<int64_t>(n), "metric " + metric.name + ": aggregation temporality " +
                                        std::to_string(static_cast<int>(metric.temporality)) +
                                        " is neither delta nor cumulative");
    return;
  }
  switch (metric.type) {
    case Type::kNone:
      Reject(1, "metric " + metric.name + " has no data (no gauge, sum, histogram or summary)");
      return;
    case Type::kGauge:
    case Type::kSum:
      meta.type = metric.type == Type::kSum && metric.is_monotonic ? store::MetricType::kCounter
                                                                   : store::MetricType::kGauge;
      meta.unit = PrometheusUnit(metric.unit, metric.type == Type::kGauge);
      for (const otlp::NumberDataPoint& p : metric.number_points) MapNumber(metric, name, p);
      break;
    case Type::kHistogram:
      meta.type = store::MetricType::kHistogram;
      meta.unit = PrometheusUnit(metric.unit, false);
      for (const auto& p : metric.histogram_points) MapHistogram(metric, name, p);
      break;
    case Type::kExponentialHistogram:
      meta.type = store::MetricType::kHistogram;
      meta.unit = PrometheusUnit(metric.unit, false);
      for (const auto& p : metric.exponential_histogram_points) MapExponential(metric, name, p);
      break;
    case Type::kSummary:
      meta.type = store::MetricType::kSummary;
      meta.unit = PrometheusUnit(metric.unit, false);
      for (const otlp::SummaryDataPoint& p : metric.summary_points) MapSummary(name, p);
      break;
  }
  builder_.Metadata(std::move(meta));
}

void Mapper::MapNumber(const Metric& metric, const std::string& name,
                       const otlp::NumberDataPoint& p) {
  if (!Timed(p.time_unix_nano)) return;
  const std::map<std::string, std::string> labels = Labels(p.attributes, name);
  const int64_t t_ms = static_cast<int64_t>(p.time_unix_nano / 1'000'000);
  const bool delta = metric.type == Metric::Type::kSum &&
                     metric.temporality == otlp::AggregationTemporality::kDelta;
  if (p.flags & kNoRecordedValue) {
    if (delta) deltas_->Forget(StreamKey(labels));
    builder_.Add(labels, t_ms, StaleMarker());
    ++out_.data_points;
    return;
  }
  if (p.kind == otlp::NumberKind::kNone) {
    Reject(1, "data point of " + metric.name + " has no value");
    return;
  }
  double v = p.kind == otlp::NumberKind::kInt ? static_cast<double>(p.as_int) : p.as_double;
  if (delta) {
    const auto verdict = deltas_->AddSum(StreamKey(labels), p.time_unix_nano, &v, now_ns_);
    if (verdict != DeltaToCumulative::Verdict::kOk) return RejectDelta(verdict, name);
  }
  store::SeriesSamples* series = builder_.Series(labels);
  series->samples.push_back({.t_ms = t_ms, .v = v});
  for (const otlp::Exemplar& e : p.exemplars) series->exemplars.push_back(ExemplarOf(e));
  ++out_.data_points;
}

// Writes one classic histogram: `bounds` ascending, `counts` per bucket
// (bounds.size() + 1, the last one above every bound), cumulated here.
void AddClassic(BatchBuilder* builder, std::map<std::string, std::string> labels,
                const std::string& name, int64_t t_ms, const std::vector<double>& bounds,
                const std::vector<uint64_t>& counts, uint64_t count, std::optional<double> sum,
                bool stale, const std::vector<otlp::Exemplar>& exemplars) {
  const double stale_v = StaleMarker();
  labels["__name__"] = name + "_count";
  builder->Add(labels, t_ms, stale ? stale_v : static_cast<double>(count));
  if (sum || stale) {
    labels["__name__"] = name + "_sum";
    builder->Add(labels, t_ms, stale ? stale_v : *sum);
  }
  labels["__name__"] = name + "_bucket";
  uint64_t cumulative = 0;
  for (size_t i = 0; i <= bounds.size(); ++i) {
    const double le = i < bounds.size() ? bounds[i] : INFINITY;
    if (i < bounds.size() && i < counts.size()) cumulative += counts[i];
    labels["le"] = FormatLabelFloat(le);
    store::SeriesSamples* series = builder->Series(labels);
    series->samples.push_back(
        {.t_ms = t_ms,
         .v = stale ? stale_v : static_cast<double>(i < bounds.size() ? cumulative : count)});
    for (const otlp::Exemplar& e : exemplars) {
      const double v =
          e.kind == otlp::NumberKind::kInt ? static_cast<double>(e.as_int) : e.as_double;
      // The bucket holding v: the first bound >= v (the last one for +Inf).
      const bool here = (i == bounds.size() || v <= le) && (i == 0 || v > bounds[i - 1]);
      if (here) series->exemplars.push_back(ExemplarOf(e));
    }
  }
}

void Mapper::MapHistogram(const Metric& metric, const std::string& name,
                          const otlp::HistogramDataPoint& p) {
  if (!Timed(p.time_unix_nano)) return;
  std::map<std::string, std::string> labels = Labels(p.attributes, name);
  const int64_t t_ms = static_cast<int64_t>(p.time_unix_nano / 1'000'000);
  const bool stale = (p.flags & kNoRecordedValue) != 0;
  const bool delta = metric.temporality == otlp::AggregationTemporality::kDelta;
  std::vector<uint64_t> counts = p.bucket_counts;
  uint64_t count = p.count;
  std::optional<double> sum = p.sum;
  if (delta) {
    const std::string key = StreamKey(labels) + "\x01histogram";
    if (stale) {
      deltas_->Forget(key);
    } else {
      double s = sum.value_or(0);
      const auto verdict = deltas_->AddHistogram(key, p.time_unix_nano, p.explicit_bounds, &counts,
                                                 &count, &s, now_ns_);
      if (verdict != DeltaToCumulative::Verdict::kOk) {
        RejectDelta(verdict, name);
        return;
      }
      if (sum) sum = s;
    }
  }
  AddClassic(&builder_, std::move(labels), name, t_ms, p.explicit_bounds, counts, count, sum, stale,
             p.exemplars);
  ++out_.data_points;
}

void Mapper::MapExponential(const Metric& metric, const std::string& name,
                            const otlp::ExponentialHistogramDataPoint& p) {
  if (metric.temporality == otlp::AggregationTemporality::kDelta) {
    Reject(1, "delta exponential histogram " + metric.name +
                  " not supported (its buckets move with the scale): send cumulative");
    return;
  }
  if (!Timed(p.time_unix_nano)) return;
  // Lower the scale: bucket index i at scale s is index i >> (s - target).
  const int target = std::min(p.scale, options_.max_exponential_scale);
  const int shift = p.scale - target;
  const double step = std::ldexp(1.0, -target);  // log2 of the bucket base
  auto merge = [shift](const otlp::ExponentialBuckets& b) {
    std::map<int64_t, uint64_t> out;  // index -> count
    for (size_t i = 0; i < b.bucket_counts.size(); ++i) {
      const int64_t index = (static_cast<int64_t>(b.offset) + static_cast<int64_t>(i)) >> shift;
      out[index] += b.bucket_counts[i];
    }
    return out;
  };
  std::vector<double> bounds;
  std::vector<uint64_t> counts;
  // Negative buckets, most negative first: index j holds (-base^(j+1),
  // -base^j], so its upper bound is -base^j.
  const std::map<int64_t, uint64_t> negative = merge(p.negative);
  for (auto it = negative.rbegin(); it != negative.rend(); ++it) {
    bounds.push_back(-std::exp2(static_cast<double>(it->first) * step));
    counts.push_back(it->second);
  }
  if (p.zero_count > 0 || !negative.empty()) {
    bounds.push_back(p.zero_threshold);
    counts.push_back(p.zero_count);
  }
  for (const auto& [index, n] : merge(p.positive)) {
    const double upper = std::exp2(static_cast<double>(index + 1) * step);
    if (!bounds.empty() && !(upper > bounds.back())) {
      counts.back() += n;  // inside the zero bucket's threshold
      continue;
    }
    bounds.push_back(upper);
    counts.push_back(n);
  }
  uint64_t in_buckets = 0;
  for (uint64_t n : counts) in_buckets += n;
  counts.push_back(p.count > in_buckets ? p.count - in_buckets : 0);
  AddClassic(&builder_, Labels(p.attributes, name), name,
             static_cast<int64_t>(p.time_unix_nano / 1'000'000), bounds, counts, p.count, p.sum,
             (p.flags & kNoRecordedValue) != 0, p.exemplars);
  ++out_.data_points;
}

void Mapper::MapSummary(const std::string& name, const otlp::SummaryDataPoint& p) {
  if (!Timed(p.time_unix_nano)) return;
  std::map<std::string, std::string> labels = Labels(p.attributes, name);
  const int64_t t_ms = static_cast<int64_t>(p.time_unix_nano / 1'000'000);
  const bool stale = (p.flags & kNoRecordedValue) != 0;
  auto value = [&](double v) { return stale ? StaleMarker() : v; };
  labels["__name__"] = name + "_count";
  builder_.Add(labels, t_ms, value(static_cast<double>(p.count)));
  labels["__name__"] = name + "_sum";
  builder_.Add(labels, t_ms, value(p.sum));
  labels["__name__"] = name;
  for (const otlp::ValueAtQuantile& q : p.quantile_values) {
    labels["quantile"] = FormatLabelFloat(q.quantile);
    builder_.Add(labels, t_ms, value(q.value));
  }
  ++out_.data_points;
}

}  // namespace

Result<MappedMetrics> MapOtlpMetrics(const otlp::ExportMetricsServiceRequest& request,
                                     DeltaToCumulative* deltas, int64_t now_ns,
                                     const MetricMappingOptions& options) {
  RETURN_IF_ERROR(CheckExport(request));
  Mapper mapper(deltas, now_ns, options);
  mapper.Map(request);
  return mapper.Finish();
}

}  // namespace quartet::ingest

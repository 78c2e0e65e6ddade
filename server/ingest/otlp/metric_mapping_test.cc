// OTLP metrics -> Prometheus series: every data type and temporality, labels
// from attributes and resources, target_info, staleness, exemplars,
// metadata, refusals and bad data.
#include "server/ingest/otlp/metric_mapping.h"

#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "server/ingest/otlp/prometheus_names.h"

namespace quartet::ingest {
namespace {

using otlp::AnyValue;
using otlp::KeyValue;
using Type = otlp::Metric::Type;
using Temporality = otlp::AggregationTemporality;

constexpr uint64_t kT0 = 1'700'000'000'000'000'000ULL;  // ns
constexpr int64_t kT0Ms = 1'700'000'000'000;
constexpr uint64_t kSecond = 1'000'000'000ULL;

otlp::ExportMetricsServiceRequest Request(std::vector<otlp::Metric> metrics,
                                          std::vector<KeyValue> resource = {
                                              {"service.name", AnyValue::String("checkout")}}) {
  otlp::ExportMetricsServiceRequest r;
  otlp::ResourceMetrics& rm = r.resource_metrics.emplace_back();
  rm.resource.attributes = std::move(resource);
  rm.scope_metrics.emplace_back().metrics = std::move(metrics);
  return r;
}

otlp::NumberDataPoint Number(uint64_t t, double v, std::vector<KeyValue> attrs = {}) {
  otlp::NumberDataPoint p;
  p.time_unix_nano = t;
  p.kind = otlp::NumberKind::kDouble;
  p.as_double = v;
  p.attributes = std::move(attrs);
  return p;
}

otlp::Metric Sum(std::string name, std::string unit, bool monotonic, Temporality temporality,
                 std::vector<otlp::NumberDataPoint> points) {
  otlp::Metric m;
  m.name = std::move(name);
  m.unit = std::move(unit);
  m.type = Type::kSum;
  m.is_monotonic = monotonic;
  m.temporality = temporality;
  m.number_points = std::move(points);
  return m;
}

otlp::HistogramDataPoint Histogram(uint64_t t, std::vector<double> bounds,
                                   std::vector<uint64_t> counts, double sum) {
  otlp::HistogramDataPoint p;
  p.time_unix_nano = t;
  p.explicit_bounds = std::move(bounds);
  p.bucket_counts = std::move(counts);
  for (uint64_t c : p.bucket_counts) p.count += c;
  p.sum = sum;
  return p;
}

// "name{a="b",...}" -> samples, for readable expectations.
std::string SeriesName(const store::Labels& labels) {
  std::string name, rest;
  for (const auto& [n, v] : labels) {
    if (n == "__name__") {
      name = v;
    } else {
      rest += (rest.empty() ? "" : ",") + n + "=\"" + v + "\"";
    }
  }
  return name + "{" + rest + "}";
}

std::map<std::string, std::vector<store::Sample>> ByName(const store::MetricBatch& batch) {
  std::map<std::string, std::vector<store::Sample>> out;
  for (const store::SeriesSamples& s : batch.series) {
    EXPECT_TRUE(std::is_sorted(s.labels.begin(), s.labels.end()));
    out[SeriesName(s.labels)] = s.samples;
  }
  return out;
}

MappedMetrics Map(const otlp::ExportMetricsServiceRequest& request, DeltaToCumulative* deltas) {
  Result<MappedMetrics> mapped = MapOtlpMetrics(request, deltas, 0);
  EXPECT_TRUE(mapped.ok()) << mapped.status().message();
  return mapped.ok() ? std::move(*mapped) : MappedMetrics{};
}

TEST(MetricMappingTest, GaugeAndSumsWithLabels) {
  otlp::Metric gauge;
  gauge.name = "process.cpu.utilization";
  gauge.unit = "1";
  gauge.type = Type::kGauge;
  gauge.description = "CPU share";
  gauge.number_points = {Number(kT0, 0.25, {{"cpu.mode", AnyValue::String("user")}})};
  otlp::NumberDataPoint int_point;
  int_point.time_unix_nano = kT0;
  int_point.kind = otlp::NumberKind::kInt;
  int_point.as_int = 42;
  int_point.attributes = {{"http.route", AnyValue::String("/checkout")},
                          {"http.response.status_code", AnyValue::Int(200)},
                          {"ok", AnyValue::Bool(true)}};
  otlp::Metric counter =
      Sum("http.requests", "{request}", true, Temporality::kCumulative, {int_point});
  otlp::Metric updown = Sum("queue.size", "By", false, Temporality::kCumulative, {Number(kT0, -3)});
  DeltaToCumulative deltas;
  MappedMetrics m =
      Map(Request({gauge, counter, updown}, {{"service.name", AnyValue::String("checkout")},
                                             {"service.namespace", AnyValue::String("shop")},
                                             {"service.instance.id", AnyValue::String("pod-1")}}),
          &deltas);
  EXPECT_EQ(m.data_points, 3);
  EXPECT_EQ(m.rejected_points, 0);
  const auto series = ByName(m.batch);
  ASSERT_EQ(series.size(), 3u) << "no target_info: only identifying resource attributes";
  const auto at = [&](const std::string& s) {
    auto it = series.find(s);
    EXPECT_NE(it, series.end()) << s;
    return it == series.end() ? std::vector<store::Sample>{} : it->second;
  };
  EXPECT_EQ(at("process_cpu_utilization_ratio{cpu_mode=\"user\",instance=\"pod-1\",job=\"shop/"
               "checkout\"}")[0]
                .v,
            0.25);
  const auto c =
      at("http_requests_total{http_response_status_code=\"200\",http_route=\"/"
         "checkout\",instance=\"pod-1\",job=\"shop/checkout\",ok=\"true\"}");
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].t_ms, kT0Ms);
  EXPECT_EQ(c[0].v, 42);
  EXPECT_EQ(at("queue_size_bytes{instance=\"pod-1\",job=\"shop/checkout\"}")[0].v, -3);

  std::map<std::string, store::MetricMetadata> meta;
  for (const auto& md : m.batch.metadata) meta[md.family] = md;
  ASSERT_EQ(meta.size(), 3u);
  EXPECT_EQ(meta["process_cpu_utilization_ratio"].type, store::MetricType::kGauge);
  EXPECT_EQ(meta["process_cpu_utilization_ratio"].unit, "ratio");
  EXPECT_EQ(meta["process_cpu_utilization_ratio"].help, "CPU share");
  EXPECT_EQ(meta["http_requests_total"].type, store::MetricType::kCounter);
  EXPECT_EQ(meta["queue_size_bytes"].type, store::MetricType::kGauge);
  EXPECT_EQ(meta["queue_size_bytes"].unit, "bytes");
}

TEST(MetricMappingTest, CollidingAttributesJoinAndResourceOverrides) {
  otlp::Metric g;
  g.name = "g";
  g.type = Type::kGauge;
  g.number_points = {Number(kT0, 1,
                            {{"a.b", AnyValue::String("dot")},
                             {"a-b", AnyValue::String("dash")},
                             {"job", AnyValue::String("from-attribute")},
                             {"empty", AnyValue::String("")}})};
  DeltaToCumulative deltas;
  MappedMetrics m = Map(Request({g}), &deltas);
  const auto series = ByName(m.batch);
  // Sorted by original key: "a-b" < "a.b".
  EXPECT_EQ(series.count("g{a_b=\"dash;dot\",job=\"checkout\"}"), 1u) << series.begin()->first;
}

TEST(MetricMappingTest, TargetInfoFromOtherResourceAttributes) {
  otlp::Metric g;
  g.name = "g";
  g.type = Type::kGauge;
  g.number_points = {Number(kT0, 1), Number(kT0 + 15 * kSecond, 2)};
  DeltaToCumulative deltas;
  MappedMetrics m = Map(Request({g}, {{"service.name", AnyValue::String("checkout")},
                                      {"service.version", AnyValue::String("1.2.3")},
                                      {"host.name", AnyValue::String("box")}}),
                        &deltas);
  const auto series = ByName(m.batch);
  const auto it =
      series.find("target_info{host_name=\"box\",job=\"checkout\",service_version=\"1.2.3\"}");
  ASSERT_NE(it, series.end());
  ASSERT_EQ(it->second.size(), 1u);
  EXPECT_EQ(it->second[0].t_ms, kT0Ms + 15000) << "at the latest data point";
  EXPECT_EQ(it->second[0].v, 1);
  EXPECT_EQ(series.at("g{job=\"checkout\"}").size(), 2u);
  EXPECT_EQ(m.data_points, 2) << "target_info is not a data point";
}

TEST(MetricMappingTest, HistogramBucketsCumulativeWithExemplars) {
  otlp::Metric h;
  h.name = "http.server.request.duration";
  h.unit = "s";
  h.type = Type::kHistogram;
  h.temporality = Temporality::kCumulative;
  otlp::HistogramDataPoint p = Histogram(kT0, {0.005, 0.1, 1}, {1, 2, 3, 4}, 12.5);
  otlp::Exemplar e;
  e.kind = otlp::NumberKind::kDouble;
  e.as_double = 0.05;
  e.time_unix_nano = kT0 - kSecond;
  e.trace_id.bytes[15] = 1;
  e.span_id.bytes[7] = 2;
  p.exemplars = {e};
  h.histogram_points = {p};
  DeltaToCumulative deltas;
  MappedMetrics m = Map(Request({h}), &deltas);
  const auto series = ByName(m.batch);
  const std::string base = "http_server_request_duration_seconds";
  EXPECT_EQ(series.at(base + "_bucket{job=\"checkout\",le=\"0.005\"}")[0].v, 1);
  EXPECT_EQ(series.at(base + "_bucket{job=\"checkout\",le=\"0.1\"}")[0].v, 3);
  EXPECT_EQ(series.at(base + "_bucket{job=\"checkout\",le=\"1\"}")[0].v, 6);
  EXPECT_EQ(series.at(base + "_bucket{job=\"checkout\",le=\"+Inf\"}")[0].v, 10);
  EXPECT_EQ(series.at(base + "_count{job=\"checkout\"}")[0].v, 10);
  EXPECT_EQ(series.at(base + "_sum{job=\"checkout\"}")[0].v, 12.5);
  EXPECT_EQ(series.size(), 6u);
  int exemplars = 0;
  for (const store::SeriesSamples& s : m.batch.series) {
    for (const store::Exemplar& ex : s.exemplars) {
      ++exemplars;
      EXPECT_EQ(SeriesName(s.labels), base + "_bucket{job=\"checkout\",le=\"0.1\"}");
      EXPECT_EQ(ex.value, 0.05);
      EXPECT_EQ(ex.t_ms, kT0Ms - 1000);
      ASSERT_EQ(ex.labels.size(), 2u);
      EXPECT_EQ(ex.labels[0], (std::pair<std::string, std::string>{"span_id", "0000000000000002"}));
      EXPECT_EQ(ex.labels[1].first, "trace_id");
      EXPECT_EQ(ex.labels[1].second, "00000000000000000000000000000001");
    }
  }
  EXPECT_EQ(exemplars, 1);
  ASSERT_EQ(m.batch.metadata.size(), 1u);
  EXPECT_EQ(m.batch.metadata[0].family, base);
  EXPECT_EQ(m.batch.metadata[0].type, store::MetricType::kHistogram);
  EXPECT_EQ(m.batch.metadata[0].unit, "seconds");
}

TEST(MetricMappingTest, CounterExemplarsKeepTraceAndAttributes) {
  otlp::NumberDataPoint p = Number(kT0, 9);
  otlp::Exemplar e;
  e.kind = otlp::NumberKind::kInt;
  e.as_int = 1;
  e.time_unix_nano = kT0 - 2 * kSecond;
  e.trace_id.bytes[0] = 0xab;
  e.filtered_attributes = {{"user.id", AnyValue::Int(7)}};
  p.exemplars = {e};
  DeltaToCumulative deltas;
  MappedMetrics m = Map(Request({Sum("orders", "", true, Temporality::kCumulative, {p})}), &deltas);
  ASSERT_EQ(m.batch.series.size(), 1u);
  ASSERT_EQ(m.batch.series[0].exemplars.size(), 1u);
  const store::Exemplar& got = m.batch.series[0].exemplars[0];
  EXPECT_EQ(got.value, 1);
  EXPECT_EQ(got.t_ms, kT0Ms - 2000);
  EXPECT_EQ(got.labels,
            (store::Labels{{"trace_id", "ab000000000000000000000000000000"}, {"user_id", "7"}}))
      << "no span_id label when the exemplar has none";
}

TEST(MetricMappingTest, HistogramWithoutSumOrBuckets) {
  otlp::Metric h;
  h.name = "h";
  h.type = Type::kHistogram;
  h.temporality = Temporality::kCumulative;
  otlp::HistogramDataPoint p;
  p.time_unix_nano = kT0;
  p.count = 7;
  h.histogram_points = {p};
  DeltaToCumulative deltas;
  const auto series = ByName(Map(Request({h}), &deltas).batch);
  EXPECT_EQ(series.size(), 2u);
  EXPECT_EQ(series.at("h_bucket{job=\"checkout\",le=\"+Inf\"}")[0].v, 7);
  EXPECT_EQ(series.at("h_count{job=\"checkout\"}")[0].v, 7);
}

TEST(MetricMappingTest, DeltaSumsAndHistogramsBecomeCumulative) {
  DeltaToCumulative deltas;
  // Three exports of one delta counter, one of them repeated (a retry).
  const double deltas_in[] = {5, 3, 0, 2};
  const uint64_t times[] = {kT0, kT0 + 10 * kSecond, kT0 + 10 * kSecond, kT0 + 20 * kSecond};
  std::vector<double> got;
  int64_t rejected = 0;
  for (int i = 0; i < 4; ++i) {
    MappedMetrics m =
        Map(Request({Sum("jobs", "", true, Temporality::kDelta, {Number(times[i], deltas_in[i])})}),
            &deltas);
    rejected += m.rejected_points;
    for (const auto& [name, samples] : ByName(m.batch)) {
      if (name == "jobs_total{job=\"checkout\"}") got.push_back(samples[0].v);
    }
  }
  EXPECT_EQ(got, (std::vector<double>{5, 8, 10}));
  EXPECT_EQ(rejected, 1) << "the repeated delta is dropped, not counted twice";

  // A delta up-down counter (non-monotonic) accumulates too, as a gauge.
  std::vector<double> updown;
  for (int i = 0; i < 3; ++i) {
    MappedMetrics m = Map(Request({Sum("conns", "", false, Temporality::kDelta,
                                       {Number(kT0 + i * kSecond, i == 1 ? -1 : 2)})}),
                          &deltas);
    updown.push_back(ByName(m.batch).at("conns{job=\"checkout\"}")[0].v);
  }
  EXPECT_EQ(updown, (std::vector<double>{2, 1, 3}));

  // Delta histograms: buckets, count and sum add up.
  otlp::Metric h;
  h.name = "lat";
  h.unit = "ms";
  h.type = Type::kHistogram;
  h.temporality = Temporality::kDelta;
  h.histogram_points = {Histogram(kT0, {10, 100}, {1, 1, 0}, 60)};
  Map(Request({h}), &deltas);
  h.histogram_points = {Histogram(kT0 + kSecond, {10, 100}, {2, 0, 1}, 500)};
  const auto series = ByName(Map(Request({h}), &deltas).batch);
  EXPECT_EQ(series.at("lat_milliseconds_bucket{job=\"checkout\",le=\"10\"}")[0].v, 3);
  EXPECT_EQ(series.at("lat_milliseconds_bucket{job=\"checkout\",le=\"100\"}")[0].v, 4);
  EXPECT_EQ(series.at("lat_milliseconds_bucket{job=\"checkout\",le=\"+Inf\"}")[0].v, 5);
  EXPECT_EQ(series.at("lat_milliseconds_count{job=\"checkout\"}")[0].v, 5);
  EXPECT_EQ(series.at("lat_milliseconds_sum{job=\"checkout\"}")[0].v, 560);
}

TEST(MetricMappingTest, NoRecordedValueWritesStaleMarkers) {
  otlp::Metric g;
  g.name = "g";
  g.type = Type::kGauge;
  otlp::NumberDataPoint stale;
  stale.time_unix_nano = kT0 + kSecond;
  stale.flags = 1;
  g.number_points = {Number(kT0, 1), stale};
  otlp::Metric h;
  h.name = "h";
  h.type = Type::kHistogram;
  h.temporality = Temporality::kCumulative;
  otlp::HistogramDataPoint hp = Histogram(kT0, {1}, {1, 1}, 3);
  hp.flags = 1;
  h.histogram_points = {hp};
  otlp::Metric s;
  s.name = "s";
  s.type = Type::kSummary;
  otlp::SummaryDataPoint sp;
  sp.time_unix_nano = kT0;
  sp.flags = 1;
  sp.quantile_values = {{0.5, 1}};
  s.summary_points = {sp};
  DeltaToCumulative deltas;
  const auto series = ByName(Map(Request({g, h, s}), &deltas).batch);
  const auto& gs = series.at("g{job=\"checkout\"}");
  ASSERT_EQ(gs.size(), 2u);
  EXPECT_EQ(gs[0].v, 1);
  EXPECT_TRUE(IsStaleMarker(gs[1].v));
  int stale_series = 0;
  for (const auto& [name, samples] : series) {
    if (name.starts_with("h_") || name.starts_with("s")) {
      ASSERT_EQ(samples.size(), 1u);
      EXPECT_TRUE(IsStaleMarker(samples[0].v)) << name;
      ++stale_series;
    }
  }
  EXPECT_EQ(stale_series, 4 + 3) << "h: 2 buckets, sum, count; s: quantile, sum, count";
  EXPECT_FALSE(IsStaleMarker(NAN));
}

TEST(MetricMappingTest, Summary) {
  otlp::Metric s;
  s.name = "rpc.duration";
  s.unit = "s";
  s.type = Type::kSummary;
  otlp::SummaryDataPoint p;
  p.time_unix_nano = kT0;
  p.count = 100;
  p.sum = 42;
  p.quantile_values = {{0.5, 0.3}, {0.99, 1.5}};
  s.summary_points = {p};
  DeltaToCumulative deltas;
  MappedMetrics m = Map(Request({s}), &deltas);
  const auto series = ByName(m.batch);
  EXPECT_EQ(series.at("rpc_duration_seconds{job=\"checkout\",quantile=\"0.5\"}")[0].v, 0.3);
  EXPECT_EQ(series.at("rpc_duration_seconds{job=\"checkout\",quantile=\"0.99\"}")[0].v, 1.5);
  EXPECT_EQ(series.at("rpc_duration_seconds_sum{job=\"checkout\"}")[0].v, 42);
  EXPECT_EQ(series.at("rpc_duration_seconds_count{job=\"checkout\"}")[0].v, 100);
  EXPECT_EQ(m.batch.metadata[0].type, store::MetricType::kSummary);
}

TEST(MetricMappingTest, ExponentialHistogramToClassicBuckets) {
  otlp::Metric e;
  e.name = "size";
  e.unit = "By";
  e.type = Type::kExponentialHistogram;
  e.temporality = Temporality::kCumulative;
  otlp::ExponentialHistogramDataPoint p;
  p.time_unix_nano = kT0;
  p.scale = 0;  // base 2: bucket i holds (2^i, 2^(i+1)]
  p.positive.offset = 1;
  p.positive.bucket_counts = {3, 0, 5};  // (2,4], (4,8], (8,16]
  p.negative.offset = 0;
  p.negative.bucket_counts = {2};  // [-2,-1)
  p.zero_count = 1;
  p.count = 11;
  p.sum = 50;
  e.exponential_histogram_points = {p};
  DeltaToCumulative deltas;
  auto series = ByName(Map(Request({e}), &deltas).batch);
  const std::string b = "size_bytes_bucket{job=\"checkout\",le=\"";
  EXPECT_EQ(series.at(b + "-1\"}")[0].v, 2);
  EXPECT_EQ(series.at(b + "0\"}")[0].v, 3);
  EXPECT_EQ(series.at(b + "4\"}")[0].v, 6);
  EXPECT_EQ(series.at(b + "8\"}")[0].v, 6);
  EXPECT_EQ(series.at(b + "16\"}")[0].v, 11);
  EXPECT_EQ(series.at(b + "+Inf\"}")[0].v, 11);
  EXPECT_EQ(series.at("size_bytes_count{job=\"checkout\"}")[0].v, 11);

  // A fine scale is lowered to 3: bounds on the 2^(k/8) grid.
  p.scale = 5;  // buckets 2^(i/32); index 32..39 -> scale-3 index 8..9
  p.negative = {};
  p.zero_count = 0;
  p.positive.offset = 32;
  p.positive.bucket_counts = {1, 1, 1, 1, 1, 1, 1, 1};
  p.count = 8;
  p.time_unix_nano = kT0 + kSecond;
  e.exponential_histogram_points = {p};
  series = ByName(Map(Request({e}), &deltas).batch);
  EXPECT_EQ(series.at(b + FormatLabelFloat(std::exp2(9.0 / 8)) + "\"}")[0].v, 4);
  EXPECT_EQ(series.at(b + FormatLabelFloat(std::exp2(10.0 / 8)) + "\"}")[0].v, 8);

  // Delta exponential histograms are refused, with the reason.
  e.temporality = Temporality::kDelta;
  MappedMetrics m = Map(Request({e}), &deltas);
  EXPECT_EQ(m.rejected_points, 1);
  EXPECT_NE(m.rejection_message.find("delta exponential histogram"), std::string::npos);
  EXPECT_TRUE(m.batch.series.empty());
}

TEST(MetricMappingTest, RefusedPointsAreCountedWithTheFirstReason) {
  otlp::Metric no_time = Sum("a", "", true, Temporality::kCumulative, {Number(0, 1)});
  otlp::Metric unspecified =
      Sum("b", "", true, Temporality::kUnspecified, {Number(kT0, 1), Number(kT0 + 1, 2)});
  otlp::Metric no_data;
  no_data.name = "c";
  otlp::NumberDataPoint no_value;
  no_value.time_unix_nano = kT0;
  otlp::Metric valueless = Sum("d", "", true, Temporality::kCumulative, {no_value});
  otlp::Metric good = Sum("e", "", true, Temporality::kCumulative, {Number(kT0, 1)});
  DeltaToCumulative deltas;
  MappedMetrics m = Map(Request({no_time, unspecified, no_data, valueless, good}), &deltas);
  EXPECT_EQ(m.rejected_points, 1 + 2 + 1 + 1);
  EXPECT_EQ(m.data_points, 1);
  EXPECT_EQ(m.rejection_message, "data point without time_unix_nano");
  EXPECT_EQ(ByName(m.batch).count("e_total{job=\"checkout\"}"), 1u);
}

TEST(MetricMappingTest, BadDataFailsTheExportNamingTheField) {
  struct Case {
    otlp::Metric metric;
    std::string want;
  };
  otlp::Metric unnamed = Sum("..", "", true, Temporality::kCumulative, {Number(kT0, 1)});
  otlp::Metric mismatch;
  mismatch.name = "h";
  mismatch.type = Type::kHistogram;
  mismatch.temporality = Temporality::kCumulative;
  mismatch.histogram_points = {Histogram(kT0, {1, 2}, {1, 1}, 1)};
  otlp::Metric unordered = mismatch;
  unordered.histogram_points = {Histogram(kT0, {2, 1}, {1, 1, 1}, 1)};
  const Case cases[] = {
      {unnamed, "resource_metrics[0].scope_metrics[0].metrics[1].name: \"..\" has no letter"},
      {mismatch,
       "resource_metrics[0].scope_metrics[0].metrics[1].histogram.data_points[0]: 2 "
       "bucket_counts for 2 explicit_bounds"},
      {unordered,
       "resource_metrics[0].scope_metrics[0].metrics[1].histogram.data_points[0]."
       "explicit_bounds[1]: bounds must increase strictly"},
  };
  for (const Case& c : cases) {
    DeltaToCumulative deltas;
    // A delta counter before the bad metric must not start a stream.
    otlp::Metric delta = Sum("d", "", true, Temporality::kDelta, {Number(kT0, 1)});
    Result<MappedMetrics> m = MapOtlpMetrics(Request({delta, c.metric}), &deltas, 0);
    ASSERT_FALSE(m.ok()) << c.want;
    EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(m.status().message().find(c.want), std::string::npos) << m.status().message();
    EXPECT_EQ(deltas.stats().streams, 0);
  }
}

}  // namespace
}  // namespace quartet::ingest

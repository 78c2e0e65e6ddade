#include "server/ingest/spanmetrics/span_metrics.h"

#include <gtest/gtest.h>

#include <map>
#include <thread>

#include "base/clock.h"
#include "server/store/append_only_metric_store.h"

namespace quartet::ingest {
namespace {

// Keeps every appended series, keyed by its labels as text.
class CapturingStore final : public store::AppendOnlyMetricStore {
 public:
  Result<store::MetricAppendResult> Append(const store::MetricBatch& batch) override {
    store::MetricAppendResult r;
    for (const store::SeriesSamples& s : batch.series) {
      std::string key;
      for (const auto& [n, v] : s.labels) key += n + "=" + v + ",";
      Captured& c = series[key];
      c.samples.insert(c.samples.end(), s.samples.begin(), s.samples.end());
      c.exemplars.insert(c.exemplars.end(), s.exemplars.begin(), s.exemplars.end());
      r.accepted_samples += static_cast<int64_t>(s.samples.size());
      r.accepted_exemplars += static_cast<int64_t>(s.exemplars.size());
      EXPECT_TRUE(std::is_sorted(s.labels.begin(), s.labels.end())) << key;
    }
    metadata = batch.metadata;
    return r;
  }
  std::vector<store::MetricMetadata> Metadata(std::string_view) const override { return metadata; }

  struct Captured {
    std::vector<store::Sample> samples;
    std::vector<store::Exemplar> exemplars;
  };
  std::map<std::string, Captured> series;
  std::vector<store::MetricMetadata> metadata;
};

constexpr int64_t kNowMs = 1'700'000'000'000;

struct SpanSpec {
  std::string service = "checkout";
  std::string name = "GET /checkout";
  otlp::SpanKind kind = otlp::SpanKind::kServer;
  otlp::SpanStatusCode status = otlp::SpanStatusCode::kUnset;
  double seconds = 0.001;
  int64_t end_ms = kNowMs;
  std::vector<otlp::KeyValue> attributes;
  uint8_t id = 1;  // trace and span id bytes
};

otlp::ExportTraceServiceRequest Request(const std::vector<SpanSpec>& specs) {
  otlp::ExportTraceServiceRequest r;
  for (const SpanSpec& spec : specs) {
    otlp::ResourceSpans rs;
    rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String(spec.service)});
    otlp::Span span;
    span.name = spec.name;
    span.kind = spec.kind;
    span.status.code = spec.status;
    span.end_time_unix_nano = static_cast<uint64_t>(spec.end_ms) * 1'000'000;
    span.start_time_unix_nano =
        span.end_time_unix_nano - static_cast<uint64_t>(spec.seconds * 1e9 + 0.5);
    span.attributes = spec.attributes;
    span.trace_id.bytes.fill(spec.id);
    span.span_id.bytes.fill(spec.id);
    rs.scope_spans.emplace_back();
    rs.scope_spans[0].spans.push_back(span);
    r.resource_spans.push_back(rs);
  }
  return r;
}

const std::string kBase =
    "service=checkout,span_kind=SPAN_KIND_SERVER,span_name=GET /checkout,"
    "status_code=STATUS_CODE_UNSET,";

class SpanMetricsTest : public ::testing::Test {
 protected:
  SpanMetrics Make(SpanMetricsOptions options = {}) {
    options.now_ms = [this] { return now_; };
    return SpanMetrics(&store_, std::move(options));
  }
  // The last sample value of a series, -1 when absent.
  double Last(const std::string& key) {
    auto it = store_.series.find(key);
    return it == store_.series.end() || it->second.samples.empty() ? -1
                                                                   : it->second.samples.back().v;
  }
  CapturingStore store_;
  int64_t now_ = kNowMs;
};

TEST_F(SpanMetricsTest, CountsBucketsAndSumExactly) {
  SpanMetrics m = Make();
  // le is inclusive: exactly 2 ms is in the 0.002 bucket.
  m.OnSpansStored(Request({{.seconds = 0.001},
                           {.seconds = 0.002},
                           {.seconds = 0.003},
                           {.seconds = 0.5},
                           {.seconds = 20}}));
  m.OnSpansStored(Request({{.status = otlp::SpanStatusCode::kError, .seconds = 0.010}}));
  now_ += 15'000;
  ASSERT_TRUE(m.Flush().ok());
  EXPECT_EQ(Last("__name__=traces_spanmetrics_calls_total," + kBase), 5);
  const std::string err =
      "__name__=traces_spanmetrics_calls_total,service=checkout,"
      "span_kind=SPAN_KIND_SERVER,span_name=GET /checkout,"
      "status_code=STATUS_CODE_ERROR,";
  EXPECT_EQ(Last(err), 1);
  struct Bucket {
    std::string le;
    double want;
  };
  for (const Bucket& b : std::vector<Bucket>{
           {"0.002", 2}, {"0.004", 3}, {"0.256", 3}, {"0.512", 4}, {"16.384", 4}, {"+Inf", 5}}) {
    std::string key = "__name__=traces_spanmetrics_latency_bucket,le=" + b.le + "," + kBase;
    EXPECT_EQ(Last(key), b.want) << b.le;
  }
  EXPECT_EQ(Last("__name__=traces_spanmetrics_latency_count," + kBase), 5);
  EXPECT_NEAR(Last("__name__=traces_spanmetrics_latency_sum," + kBase), 20.506, 1e-9);
  // 4 kinds of series per label set: calls, 15 buckets, sum, count.
  EXPECT_EQ(store_.series.size(), 2u * (1 + 15 + 2));
  ASSERT_EQ(store_.metadata.size(), 2u);
  EXPECT_EQ(store_.metadata[1].type, store::MetricType::kHistogram);
  EXPECT_EQ(m.stats().spans_counted, 6);
}

TEST_F(SpanMetricsTest, NewSeriesStartFromZeroAtTheirFirstSpan) {
  SpanMetrics m = Make();
  m.OnSpansStored(Request({{}}));
  const int64_t first_seen = now_;
  now_ += 10'000;
  ASSERT_TRUE(m.Flush().ok());
  now_ += 15'000;
  m.OnSpansStored(Request({{}, {}}));
  ASSERT_TRUE(m.Flush().ok());
  const auto& samples = store_.series["__name__=traces_spanmetrics_calls_total," + kBase].samples;
  ASSERT_EQ(samples.size(), 3u);
  EXPECT_EQ(samples[0].t_ms, first_seen);
  EXPECT_EQ(samples[0].v, 0);
  EXPECT_EQ(samples[1].t_ms, first_seen + 10'000);
  EXPECT_EQ(samples[1].v, 1);
  EXPECT_EQ(samples[2].t_ms, now_);
  EXPECT_EQ(samples[2].v, 3);  // cumulative
}

TEST_F(SpanMetricsTest, ExemplarsAreTheLatestSpansOfEachBucket) {
  SpanMetrics m = Make({.exemplars_per_bucket = 2});
  m.OnSpansStored(Request({{.seconds = 0.001, .id = 0x11},
                           {.seconds = 0.001, .id = 0x22},
                           {.seconds = 0.0015, .end_ms = kNowMs + 1, .id = 0x33},
                           {.seconds = 1.5, .id = 0x44}}));
  now_ += 1000;
  ASSERT_TRUE(m.Flush().ok());
  const auto& low =
      store_.series["__name__=traces_spanmetrics_latency_bucket,le=0.002," + kBase].exemplars;
  ASSERT_EQ(low.size(), 2u);
  EXPECT_EQ(low[0].labels,
            (store::Labels{{"span_id", std::string(16, '2')}, {"trace_id", std::string(32, '2')}}));
  EXPECT_EQ(low[1].labels[1].second, std::string(32, '3'));
  EXPECT_DOUBLE_EQ(low[1].value, 0.0015);
  EXPECT_EQ(low[1].t_ms, kNowMs + 1);
  const auto& high =
      store_.series["__name__=traces_spanmetrics_latency_bucket,le=2.048," + kBase].exemplars;
  ASSERT_EQ(high.size(), 1u);
  EXPECT_EQ(high[0].labels[1].second, std::string(32, '4'));
  EXPECT_TRUE(store_.series["__name__=traces_spanmetrics_latency_bucket,le=4.096," + kBase]
                  .exemplars.empty());
  const auto& calls = store_.series["__name__=traces_spanmetrics_calls_total," + kBase].exemplars;
  ASSERT_EQ(calls.size(), 1u);
  EXPECT_EQ(calls[0].labels[1].second, std::string(32, '4'));
  // Exemplars go out once.
  now_ += 1000;
  ASSERT_TRUE(m.Flush().ok());
  EXPECT_EQ(low.size(), 2u);
  EXPECT_EQ(m.stats().exemplars_written, 4);
}

TEST_F(SpanMetricsTest, LateAndFutureSpansAreNotCounted) {
  SpanMetrics m = Make({.ingestion_slack = std::chrono::milliseconds(30'000)});
  m.OnSpansStored(Request({{.end_ms = kNowMs - 30'001},
                           {.end_ms = kNowMs - 30'000},
                           {.end_ms = kNowMs + 30'001},
                           {.end_ms = 0}}));
  EXPECT_EQ(m.stats().late_spans, 3);
  EXPECT_EQ(m.stats().spans_counted, 1);
}

TEST_F(SpanMetricsTest, SeriesLimitDropsNewLabelSetsAndReportsOnce) {
  std::vector<std::pair<int64_t, size_t>> reports;
  SpanMetrics m = Make(
      {.max_series = 2, .on_limit = [&](int64_t n, size_t max) { reports.emplace_back(n, max); }});
  m.OnSpansStored(
      Request({{.name = "a"}, {.name = "b"}, {.name = "c"}, {.name = "a"}, {.name = "d"}}));
  EXPECT_EQ(m.stats().series, 2);
  EXPECT_EQ(m.stats().series_limit_spans, 2);
  ASSERT_TRUE(m.Flush().ok());
  ASSERT_TRUE(m.Flush().ok());
  EXPECT_EQ(reports, (std::vector<std::pair<int64_t, size_t>>{{2, 2}}));
  EXPECT_EQ(Last("__name__=traces_spanmetrics_calls_total,service=checkout,"
                 "span_kind=SPAN_KIND_SERVER,span_name=a,status_code=STATUS_CODE_UNSET,"),
            2);
}

TEST_F(SpanMetricsTest, RouteAndHttpStatusLabels) {
  SpanMetrics m = Make();
  using otlp::AnyValue;
  m.OnSpansStored(Request({
      {.attributes = {{"http.route", AnyValue::String("/checkout/:id")},
                      {"http.response.status_code", AnyValue::Int(500)}}},
      {.kind = otlp::SpanKind::kClient,
       .attributes = {{"http.status_code", AnyValue::String("404")}}},
      {.service = "",
       .name = "",
       .kind = otlp::SpanKind::kInternal,
       .status = otlp::SpanStatusCode::kOk,
       .attributes = {{"http.route", AnyValue::Int(3)}}},
  }));
  ASSERT_TRUE(m.Flush().ok());
  for (std::string key : std::vector<std::string>{
           "__name__=traces_spanmetrics_calls_total,http_response_status_code=500,"
           "http_route=/checkout/:id," +
               kBase,
           "__name__=traces_spanmetrics_calls_total,http_response_status_code=404,"
           "service=checkout,span_kind=SPAN_KIND_CLIENT,span_name=GET /checkout,"
           "status_code=STATUS_CODE_UNSET,",
           // Absent (or empty, or non-string) values leave their label out.
           std::string("__name__=traces_spanmetrics_calls_total,span_kind=SPAN_KIND_INTERNAL,"
                       "status_code=STATUS_CODE_OK,"),
       }) {
    EXPECT_EQ(Last(key), 1) << key;
  }
}

TEST_F(SpanMetricsTest, StaleSeriesAreForgotten) {
  SpanMetrics m = Make({.stale_after = std::chrono::milliseconds(60'000)});
  m.OnSpansStored(Request({{}}));
  now_ += 60'000;
  ASSERT_TRUE(m.Flush().ok());
  EXPECT_EQ(m.stats().series, 1);
  now_ += 1;
  ASSERT_TRUE(m.Flush().ok());  // written a last time, then forgotten
  EXPECT_EQ(m.stats().series, 0);
  EXPECT_EQ(store_.series["__name__=traces_spanmetrics_calls_total," + kBase].samples.size(), 3u);
}

TEST_F(SpanMetricsTest, StartAndStopFlushInTheBackground) {
  SpanMetrics m(&store_, {.interval = std::chrono::milliseconds(10)});
  m.Start();
  m.OnSpansStored(Request({{.end_ms = UnixNanos() / 1'000'000}}));
  for (int i = 0; i < 500 && m.stats().samples_written == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  m.Stop();
  EXPECT_GT(m.stats().samples_written, 0);
  EXPECT_GE(m.stats().flushes, 2);  // at least one in the background and the last one
}

// The trace store takes the spans between Observe and Commit: what was
// observed must not point into them. Labels (long ones, beyond any
// small-string buffer, and a route) come out whole after the request is
// gone; a batch never committed counts nothing, not even as late.
TEST_F(SpanMetricsTest, ObservedBatchOutlivesItsRequestAndCountsOnlyOnCommit) {
  SpanMetrics m = Make();
  const std::string service(40, 's');
  const std::string name = "GET /a/rather/long/route/{id}/with/parts";
  std::unique_ptr<SpanObserver::Pending> observed;
  {
    otlp::ExportTraceServiceRequest r =
        Request({{.service = service,
                  .name = name,
                  .attributes = {{"http.route", otlp::AnyValue::String("/route/{id}/long-enough")},
                                 {"http.response.status_code", otlp::AnyValue::Int(503)}}}});
    observed = m.Observe(r);
    otlp::ExportTraceServiceRequest taken = std::move(r);  // as the store does
  }
  std::unique_ptr<SpanObserver::Pending> dropped =
      m.Observe(Request({{}, {.end_ms = kNowMs - 3'600'000}}));
  dropped.reset();  // the store refused this batch
  m.Commit(std::move(observed));
  EXPECT_EQ(m.stats().spans_counted, 1);
  EXPECT_EQ(m.stats().late_spans, 0);
  now_ += 1000;
  ASSERT_TRUE(m.Flush().ok());
  EXPECT_EQ(Last("__name__=traces_spanmetrics_calls_total,http_response_status_code=503,"
                 "http_route=/route/{id}/long-enough,service=" +
                 service + ",span_kind=SPAN_KIND_SERVER,span_name=" + name +
                 ",status_code=STATUS_CODE_UNSET,"),
            1);
  EXPECT_EQ(Last("__name__=traces_spanmetrics_calls_total," + kBase), -1);
}

}  // namespace
}  // namespace quartet::ingest

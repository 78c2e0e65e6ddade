#include "server/ingest/prometheus/scrape_loop.h"

#include <gtest/gtest.h>

#include <cmath>

namespace quartet::ingest {
namespace {

constexpr std::string_view kOpenMetrics = "application/openmetrics-text; version=1.0.0";
constexpr std::string_view kText = "text/plain; version=0.0.4";

class ScrapeLoopTest : public ::testing::Test {
 protected:
  // A loop for one target of a job written as in prometheus.yml.
  void Configure(const std::string& job_yaml) {
    Result<server::PrometheusConfig> c = server::ParsePrometheusYaml(
        "scrape_configs:\n- job_name: app\n  static_configs: [{targets: ['h:1'], labels: {env: "
        "prod}}]\n" +
        job_yaml);
    ASSERT_TRUE(c.ok()) << c.status().message();
    config_ = c->scrape_configs[0];
    JobTargets t = BuildTargets(config_);
    ASSERT_EQ(t.targets.size(), 1u);
    loop_ = std::make_unique<ScrapeLoop>(&config_, t.targets[0]);
  }
  store::MetricBatch Scrape(int64_t t, std::string_view body, std::string_view type = kText,
                            Status error = Status::Ok()) {
    return loop_->Scrape(t, 0.25, body, type, error, &report_);
  }
  // The series of `batch` whose labels (other than job, instance, env) are
  // `name` plus `extra`, or null.
  static const store::SeriesSamples* Find(const store::MetricBatch& batch, std::string_view name,
                                          store::Labels extra = {}) {
    store::Labels want = {
        {"__name__", std::string(name)}, {"env", "prod"}, {"instance", "h:1"}, {"job", "app"}};
    for (auto& l : extra) want.push_back(l);
    std::sort(want.begin(), want.end());
    for (const store::SeriesSamples& s : batch.series) {
      if (s.labels == want) return &s;
    }
    return nullptr;
  }
  static double Value(const store::MetricBatch& batch, std::string_view name) {
    const store::SeriesSamples* s = Find(batch, name);
    return s == nullptr ? -1 : s->samples.at(0).v;
  }

  server::ScrapeConfig config_;
  std::unique_ptr<ScrapeLoop> loop_;
  ScrapeReport report_;
};

TEST_F(ScrapeLoopTest, SamplesExemplarsMetadataAndReportSeries) {
  Configure("");
  const std::string body =
      "# TYPE http_seconds histogram\n"
      "# HELP http_seconds Request latency.\n"
      "# UNIT http_seconds seconds\n"
      "http_seconds_bucket{le=\"0.1\"} 3 # {trace_id=\"0af7651916cd43dd8448eb211c80319c\","
      "span_id=\"b7ad6b7169203331\"} 0.05 1700000000.5\n"
      "http_seconds_bucket{le=\"+Inf\"} 4 # {trace_id=\"ff\"} 2.5\n"
      "http_seconds_count 4\nhttp_seconds_sum 2.7\n# EOF\n";
  store::MetricBatch b = Scrape(1'000'000, body, kOpenMetrics);
  ASSERT_TRUE(report_.up) << report_.error.message();
  const store::SeriesSamples* bucket = Find(b, "http_seconds_bucket", {{"le", "0.1"}});
  ASSERT_NE(bucket, nullptr);
  ASSERT_EQ(bucket->samples.size(), 1u);
  EXPECT_EQ(bucket->samples[0].t_ms, 1'000'000);  // the scrape's time
  EXPECT_EQ(bucket->samples[0].v, 3);
  ASSERT_EQ(bucket->exemplars.size(), 1u);
  EXPECT_EQ(bucket->exemplars[0].labels,
            (store::Labels{{"span_id", "b7ad6b7169203331"},
                           {"trace_id", "0af7651916cd43dd8448eb211c80319c"}}));
  EXPECT_EQ(bucket->exemplars[0].t_ms, 1'700'000'000'500);
  EXPECT_EQ(bucket->exemplars[0].value, 0.05);
  // An exemplar without a timestamp takes its sample's.
  const store::SeriesSamples* inf = Find(b, "http_seconds_bucket", {{"le", "+Inf"}});
  ASSERT_NE(inf, nullptr);
  ASSERT_EQ(inf->exemplars.size(), 1u);
  EXPECT_EQ(inf->exemplars[0].t_ms, 1'000'000);
  EXPECT_EQ(report_.exemplars, 2);

  ASSERT_EQ(b.metadata.size(), 1u);
  EXPECT_EQ(b.metadata[0].family, "http_seconds");
  EXPECT_EQ(b.metadata[0].type, store::MetricType::kHistogram);
  EXPECT_EQ(b.metadata[0].help, "Request latency.");
  EXPECT_EQ(b.metadata[0].unit, "seconds");

  EXPECT_EQ(Value(b, "up"), 1);
  EXPECT_EQ(Value(b, "scrape_duration_seconds"), 0.25);
  EXPECT_EQ(Value(b, "scrape_samples_scraped"), 4);
  EXPECT_EQ(Value(b, "scrape_samples_post_metric_relabeling"), 4);
  EXPECT_EQ(Value(b, "scrape_series_added"), 4);
  EXPECT_EQ(b.series.size(), 4u + 5u);

  // Same body again: nothing new, metadata unchanged so not re-sent.
  store::MetricBatch again = Scrape(1'005'000, body, kOpenMetrics);
  EXPECT_TRUE(again.metadata.empty());
  EXPECT_EQ(Value(again, "scrape_series_added"), 0);
  EXPECT_EQ(report_.stale_markers, 0);
}

TEST_F(ScrapeLoopTest, DisappearingSeriesGetStaleMarkersAtTheScrapeTime) {
  Configure("");
  Scrape(1000, "a 1\nb 2\nc{x=\"1\"} 3\n");
  store::MetricBatch b = Scrape(2000, "a 1\nd 4\n");
  EXPECT_EQ(report_.stale_markers, 2);
  EXPECT_EQ(report_.series_added, 1);  // d
  for (const auto& [name, extra] :
       std::vector<std::pair<std::string, store::Labels>>{{"b", {}}, {"c", {{"x", "1"}}}}) {
    const store::SeriesSamples* s = Find(b, name, extra);
    ASSERT_NE(s, nullptr) << name;
    ASSERT_EQ(s->samples.size(), 1u);
    EXPECT_EQ(s->samples[0].t_ms, 2000);
    EXPECT_TRUE(IsStaleNaN(s->samples[0].v)) << name;
  }
  EXPECT_FALSE(IsStaleNaN(Find(b, "a")->samples[0].v));
  // A stale marker is written once, not at every later scrape.
  Scrape(3000, "a 1\nd 4\n");
  EXPECT_EQ(report_.stale_markers, 0);
}

TEST_F(ScrapeLoopTest, AFailedScrapeWritesUpZeroAndMarksEverySeriesStale) {
  Configure("");
  Scrape(1000, "a 1\nb 2\n");
  store::MetricBatch b =
      Scrape(2000, "", kText, Status::Unavailable("server returned HTTP status 500"));
  EXPECT_FALSE(report_.up);
  EXPECT_EQ(Value(b, "up"), 0);
  EXPECT_EQ(Value(b, "scrape_samples_scraped"), 0);
  EXPECT_TRUE(IsStaleNaN(Find(b, "a")->samples[0].v));
  EXPECT_TRUE(IsStaleNaN(Find(b, "b")->samples[0].v));
  // Back up: every series counts as added again (Prometheus's cache was flushed).
  Scrape(3000, "a 1\nb 2\n");
  EXPECT_TRUE(report_.up);
  EXPECT_EQ(report_.series_added, 2);
}

TEST_F(ScrapeLoopTest, ParseErrorsAndLimitsFailTheWholeScrape) {
  struct Case {
    std::string job_yaml;
    std::string body;
    std::string want_error;
    int64_t scraped, post_relabel;
  };
  const Case cases[] = {
      {"", "a 1\nb{x=\"1\" 2\n", "line 2", 1, 1},
      {"  sample_limit: 2\n", "a 1\nb 2\nc 3\nd 4\n", "sample limit exceeded", 4, 4},
      {"  sample_limit: 2\n  metric_relabel_configs: [{source_labels: [__name__], regex: "
       "'[cd]', action: drop}]\n",
       "a 1\nb 2\nc 3\nd 4\n", "", 4, 2},
      {"  label_limit: 4\n", "a{x=\"1\",y=\"2\"} 1\n",
       "label_limit exceeded (metric: a, number of labels: 6, limit: 4)", 1, 1},
      {"  label_value_length_limit: 3\n", "a{x=\"long\"} 1\n", "label_value_length_limit exceeded",
       1, 1},
      {"", "a{x=\"1\",x=\"2\"} 1\n", "label name \"x\" is not unique", 1, 0},
      {"  metric_relabel_configs: [{regex: __name__, action: labeldrop}]\n", "a 1\n",
       "missing metric name", 1, 0},
  };
  for (const Case& c : cases) {
    Configure(c.job_yaml);
    store::MetricBatch b = Scrape(1000, c.body);
    EXPECT_EQ(report_.up, c.want_error.empty()) << c.body;
    if (!c.want_error.empty()) {
      EXPECT_NE(report_.error.message().find(c.want_error), std::string::npos)
          << report_.error.message();
      EXPECT_EQ(b.series.size(), 5u) << "only the report series";
    }
    EXPECT_EQ(Value(b, "scrape_samples_scraped"), c.scraped) << c.body;
    EXPECT_EQ(Value(b, "scrape_samples_post_metric_relabeling"), c.post_relabel) << c.body;
  }
}

TEST_F(ScrapeLoopTest, TargetLabelsWinUnlessHonorLabels) {
  const std::string body = "m{job=\"exp\",exported_job=\"taken\",instance=\"i2\"} 1\n";
  Configure("");
  store::MetricBatch b = Scrape(1000, body);
  EXPECT_NE(Find(b, "m",
                 {{"exported_exported_job", "exp"},
                  {"exported_job", "taken"},
                  {"exported_instance", "i2"}}),
            nullptr);
  Configure("  honor_labels: true\n");
  b = Scrape(1000, body);
  ASSERT_EQ(b.series.size(), 6u);
  EXPECT_EQ(b.series[0].labels, (store::Labels{{"__name__", "m"},
                                               {"env", "prod"},
                                               {"exported_job", "taken"},
                                               {"instance", "i2"},
                                               {"job", "exp"}}));
  // Empty exposed values count as absent: the target's label applies.
  Configure("");
  b = Scrape(1000, "m{env=\"\"} 1\n");
  EXPECT_NE(Find(b, "m"), nullptr);
}

TEST_F(ScrapeLoopTest, HonorTimestamps) {
  Configure("");
  store::MetricBatch b = Scrape(5000, "a 1 1234\nb 2\n");
  EXPECT_EQ(Find(b, "a")->samples[0].t_ms, 1234);
  EXPECT_EQ(Find(b, "b")->samples[0].t_ms, 5000);
  // Series with their own timestamps are not marked stale (Prometheus).
  b = Scrape(6000, "");
  EXPECT_EQ(Find(b, "a"), nullptr);
  EXPECT_NE(Find(b, "b"), nullptr);

  Configure("  honor_timestamps: false\n");
  b = Scrape(5000, "a 1 1234\n");
  EXPECT_EQ(Find(b, "a")->samples[0].t_ms, 5000);
  b = Scrape(6000, "");
  ASSERT_NE(Find(b, "a"), nullptr);
  EXPECT_TRUE(IsStaleNaN(Find(b, "a")->samples[0].v));
}

TEST_F(ScrapeLoopTest, MetricRelabelingRewritesAndDrops) {
  Configure(
      "  metric_relabel_configs:\n"
      "    - {source_labels: [__name__], regex: 'go_.*', action: drop}\n"
      "    - {source_labels: [method], target_label: method, action: lowercase}\n");
  store::MetricBatch b = Scrape(1000, "go_goroutines 9\nreq{method=\"GET\"} 1\n");
  EXPECT_EQ(Find(b, "go_goroutines"), nullptr);
  EXPECT_NE(Find(b, "req", {{"method", "get"}}), nullptr);
  EXPECT_EQ(report_.samples_scraped, 2);
  EXPECT_EQ(report_.samples_post_relabel, 1);
}

TEST_F(ScrapeLoopTest, StaleBatchEndsEverySeriesAndTheReport) {
  Configure("");
  Scrape(1000, "a 1\n");
  store::MetricBatch b = loop_->StaleBatch(2000);
  EXPECT_EQ(b.series.size(), 6u);
  for (const store::SeriesSamples& s : b.series) {
    EXPECT_TRUE(IsStaleNaN(s.samples.at(0).v));
    EXPECT_EQ(s.samples[0].t_ms, 2000);
  }
  EXPECT_TRUE(std::isnan(StaleNaN()));
  EXPECT_FALSE(IsStaleNaN(std::nan("")));
}

}  // namespace
}  // namespace quartet::ingest

// Golden expositions of a small registry in both formats.
#include <gtest/gtest.h>

#include "quartet/metrics.h"

namespace quartet {
namespace {

void Fill(MetricRegistry& r) {
  auto requests = r.Counter("http_server_requests_total", "Requests served.", {"method", "status"});
  requests.WithLabels({"GET", "200"}).Add(3);
  requests.WithLabels({"GET", "500"}).Inc();
  r.Gauge("queue_depth", "Items \"queued\"\nnow.").Set(2.5);
  auto latency =
      r.Histogram("http_server_request_duration_seconds", "Latency.", {"route"}, {0.1, 1});
  Histogram h = latency.WithLabels({"/a\"b"});
  h.Observe(0.05);
  h.Observe(2);
  r.SetResource({{"service.name", "checkout"},
                 {"service.version", "1.2.3"},
                 {"deployment.environment", "prod"}});
}

TEST(RenderTest, Text004Golden) {
  MetricRegistry r;
  Fill(r);
  EXPECT_EQ(r.Render(MetricsFormat::kText004),
            "# HELP http_server_request_duration_seconds Latency.\n"
            "# TYPE http_server_request_duration_seconds histogram\n"
            "http_server_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"0.1\"} 1\n"
            "http_server_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"1\"} 1\n"
            "http_server_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"+Inf\"} 2\n"
            "http_server_request_duration_seconds_sum{route=\"/a\\\"b\"} 2.05\n"
            "http_server_request_duration_seconds_count{route=\"/a\\\"b\"} 2\n"
            "# HELP http_server_requests_total Requests served.\n"
            "# TYPE http_server_requests_total counter\n"
            "http_server_requests_total{method=\"GET\",status=\"200\"} 3\n"
            "http_server_requests_total{method=\"GET\",status=\"500\"} 1\n"
            "# HELP queue_depth Items \"queued\"\\nnow.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 2.5\n"
            "# HELP target_info Target metadata.\n"
            "# TYPE target_info gauge\n"
            "target_info{deployment_environment=\"prod\",service_name=\"checkout\","
            "service_version=\"1.2.3\"} 1\n");
}

TEST(RenderTest, OpenMetricsGolden) {
  MetricRegistry r;
  Fill(r);
  EXPECT_EQ(r.Render(MetricsFormat::kOpenMetrics1),
            "# HELP http_server_request_duration_seconds Latency.\n"
            "# TYPE http_server_request_duration_seconds histogram\n"
            "http_server_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"0.1\"} 1\n"
            "http_server_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"1.0\"} 1\n"
            "http_server_request_duration_seconds_bucket{route=\"/a\\\"b\",le=\"+Inf\"} 2\n"
            "http_server_request_duration_seconds_sum{route=\"/a\\\"b\"} 2.05\n"
            "http_server_request_duration_seconds_count{route=\"/a\\\"b\"} 2\n"
            "# HELP http_server_requests Requests served.\n"
            "# TYPE http_server_requests counter\n"
            "http_server_requests_total{method=\"GET\",status=\"200\"} 3.0\n"
            "http_server_requests_total{method=\"GET\",status=\"500\"} 1.0\n"
            "# HELP queue_depth Items \\\"queued\\\"\\nnow.\n"
            "# TYPE queue_depth gauge\n"
            "queue_depth 2.5\n"
            "# HELP target Target metadata.\n"
            "# TYPE target info\n"
            "target_info{deployment_environment=\"prod\",service_name=\"checkout\","
            "service_version=\"1.2.3\"} 1\n"
            "# EOF\n");
}

TEST(RenderTest, ResourceKeysMergedAndCleared) {
  MetricRegistry r;
  r.SetResource({{"a.b", "1"}, {"a-b", "2"}});
  EXPECT_NE(r.Render(MetricsFormat::kText004).find("target_info{a_b=\"1;2\"} 1\n"),
            std::string::npos);
  r.SetResource({});
  EXPECT_EQ(r.Render(MetricsFormat::kText004), "");
}

TEST(RenderTest, ChooseMetricsFormat) {
  EXPECT_EQ(ChooseMetricsFormat("application/openmetrics-text;version=1.0.0"),
            MetricsFormat::kOpenMetrics1);
  EXPECT_EQ(ChooseMetricsFormat(""), MetricsFormat::kText004);
  EXPECT_EQ(MetricsContentType(MetricsFormat::kText004),
            "text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace
}  // namespace quartet

// OTLP -> Prometheus names, table-driven: the cases of the OpenTelemetry
// compatibility specification and of Prometheus's translator tests.
#include "server/ingest/otlp/prometheus_names.h"

#include <gtest/gtest.h>

#include <cmath>

namespace quartet::ingest {
namespace {

using Type = otlp::Metric::Type;

struct NameCase {
  std::string name;
  std::string unit;
  Type type;
  bool monotonic;
  std::string want;
};

TEST(PrometheusNamesTest, MetricNames) {
  const NameCase cases[] = {
      {"http.server.request.duration", "s", Type::kHistogram, false,
       "http_server_request_duration_seconds"},
      {"http.server.active_requests", "{request}", Type::kSum, false,
       "http_server_active_requests"},
      {"requests", "{request}", Type::kSum, true, "requests_total"},
      {"requests", "1", Type::kSum, true, "requests_total"},
      {"requests.total", "", Type::kSum, true, "requests_total"},
      {"total.requests", "", Type::kSum, true, "requests_total"},
      {"system.memory.usage", "By", Type::kGauge, false, "system_memory_usage_bytes"},
      {"memory_bytes", "By", Type::kGauge, false, "memory_bytes"},
      {"cpu.utilization", "1", Type::kGauge, false, "cpu_utilization_ratio"},
      {"cpu.ratio", "1", Type::kGauge, false, "cpu_ratio"},
      {"errors", "1", Type::kSum, false, "errors"},
      {"network.io", "By/s", Type::kGauge, false, "network_io_bytes_per_second"},
      {"throughput", "{packets}/s", Type::kGauge, false, "throughput_per_second"},
      {"latency", "ms", Type::kHistogram, false, "latency_milliseconds"},
      {"temp", "Cel", Type::kGauge, false, "temp_celsius"},
      {"disk", "MiBy", Type::kGauge, false, "disk_mebibytes"},
      {"uptime", "d", Type::kSum, true, "uptime_days_total"},
      {"odd unit", "foo.bar", Type::kGauge, false, "odd_unit_foo_bar"},
      {"rate", "m/mo", Type::kGauge, false, "rate_meters_per_month"},
      {"pct", "%", Type::kGauge, false, "pct_percent"},
      {"2xx.count", "", Type::kSum, true, "_2xx_count_total"},
      {"a..b--c", "", Type::kGauge, false, "a_b_c"},
      {"__weird__name__", "", Type::kGauge, false, "weird_name"},
      {"caf\xc3\xa9.hits", "", Type::kSum, true, "caf_hits_total"},
      {"queue.size", " s ", Type::kGauge, false, "queue_size_seconds"},
      {"...", "", Type::kGauge, false, ""},
  };
  for (const NameCase& c : cases) {
    otlp::Metric m;
    m.name = c.name;
    m.unit = c.unit;
    m.type = c.type;
    m.is_monotonic = c.monotonic;
    EXPECT_EQ(PrometheusMetricName(m), c.want) << c.name << " [" << c.unit << "]";
  }
}

TEST(PrometheusNamesTest, Units) {
  EXPECT_EQ(PrometheusUnit("s", false), "seconds");
  EXPECT_EQ(PrometheusUnit("By/s", false), "bytes_per_second");
  EXPECT_EQ(PrometheusUnit("1", true), "ratio");
  EXPECT_EQ(PrometheusUnit("1", false), "");
  EXPECT_EQ(PrometheusUnit("{request}", false), "");
  EXPECT_EQ(PrometheusUnit("{packet}/s", false), "per_second");
  EXPECT_EQ(PrometheusUnit("", false), "");
}

TEST(PrometheusNamesTest, LabelNames) {
  const std::pair<std::string, std::string> cases[] = {
      {"http.route", "http_route"},
      {"http.response.status_code", "http_response_status_code"},
      {"service-name", "service_name"},
      {"1st", "key_1st"},
      {"_private", "key_private"},
      {"__reserved", "__reserved"},
      {"_", "key_"},
      {"caf\xc3\xa9", "caf__"},
      {"", ""},
      {"ok_name", "ok_name"},
  };
  for (const auto& [key, want] : cases) EXPECT_EQ(PrometheusLabelName(key), want) << key;
}

TEST(PrometheusNamesTest, LabelFloats) {
  const std::pair<double, std::string> cases[] = {
      {0.005, "0.005"},   {1, "1"},
      {2.5, "2.5"},       {1e6, "1000000"},
      {0, "0"},           {-0.25, "-0.25"},
      {INFINITY, "+Inf"}, {-INFINITY, "-Inf"},
      {0.99, "0.99"},     {1e-7, "0.0000001"},
      {NAN, "NaN"},       {10000, "10000"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(FormatLabelFloat(v), want) << v;
}

}  // namespace
}  // namespace quartet::ingest

#include "sdk/metrics/otlp_metric_exporter.h"

#include <gtest/gtest.h>

#include "sdk/context/current.h"
#include "tests/support/otlp_receiver.h"
#include "wire/otlp/decode.h"

namespace quartet {
namespace {

using namespace std::chrono_literals;

const otlp::Metric* Find(const otlp::ExportMetricsServiceRequest& req, std::string_view name) {
  for (const auto& rm : req.resource_metrics) {
    for (const auto& sm : rm.scope_metrics) {
      for (const auto& m : sm.metrics) {
        if (m.name == name) return &m;
      }
    }
  }
  return nullptr;
}

TEST(OtlpMetricExporterTest, PushesSumsGaugesAndHistogramsWithExemplars) {
  testing::OtlpReceiver receiver;
  MetricRegistry registry;
  auto orders = registry.Counter("orders_total", "Orders placed.", {"route"});
  orders.WithLabels({"/checkout"}).Add(3);
  registry.Gauge("pool_in_use", "Connections in use.").Set(7);
  auto latency = registry.Histogram("latency_seconds", "Latency.", {}, {0.1, 1});
  Histogram h = latency.WithLabels(std::span<const std::string_view>());
  SpanContext span;
  span.trace_id.bytes[0] = 0xaa;
  span.span_id.bytes[0] = 0xbb;
  span.trace_flags = kTraceFlagSampled;
  context_internal::Frame frame{.span = &span};
  context_internal::Push(&frame);
  h.Observe(0.05);
  h.Observe(0.5);
  h.Observe(5);
  context_internal::Pop(&frame);

  OtlpMetricExporterOptions options;
  options.endpoint.url = receiver.endpoint() + "/v1/metrics";
  options.endpoint.timeout = 2s;
  options.resource = {{"service.name", otlp::AnyValue::String("checkout")}};
  options.interval = 50ms;
  options.registry = &registry;
  OtlpMetricExporter exporter(options);
  ASSERT_TRUE(exporter.Shutdown(2s));  // the final push, at least
  EXPECT_GE(exporter.exports(), 1u);

  auto requests = receiver.Requests("/v1/metrics");
  ASSERT_FALSE(requests.empty());
  auto decoded = otlp::DecodeMetrics(requests.back().body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(otlp::FindAttribute(decoded->resource_metrics[0].resource.attributes, "service.name")
                ->string_value,
            "checkout");
  EXPECT_EQ(Find(*decoded, "target"), nullptr);  // target_info travels as the resource

  const otlp::Metric* sum = Find(*decoded, "orders");
  ASSERT_NE(sum, nullptr);
  EXPECT_EQ(sum->type, otlp::Metric::Type::kSum);
  EXPECT_TRUE(sum->is_monotonic);
  EXPECT_EQ(sum->temporality, otlp::AggregationTemporality::kCumulative);
  ASSERT_EQ(sum->number_points.size(), 1u);
  EXPECT_DOUBLE_EQ(sum->number_points[0].as_double, 3);
  EXPECT_EQ(otlp::FindAttribute(sum->number_points[0].attributes, "route")->string_value,
            "/checkout");

  const otlp::Metric* gauge = Find(*decoded, "pool_in_use");
  ASSERT_NE(gauge, nullptr);
  EXPECT_EQ(gauge->type, otlp::Metric::Type::kGauge);
  EXPECT_DOUBLE_EQ(gauge->number_points[0].as_double, 7);

  const otlp::Metric* hist = Find(*decoded, "latency_seconds");
  ASSERT_NE(hist, nullptr);
  ASSERT_EQ(hist->histogram_points.size(), 1u);
  const auto& p = hist->histogram_points[0];
  EXPECT_EQ(p.count, 3u);
  EXPECT_DOUBLE_EQ(*p.sum, 5.55);
  EXPECT_EQ(p.explicit_bounds, (std::vector<double>{0.1, 1}));
  EXPECT_EQ(p.bucket_counts, (std::vector<uint64_t>{1, 1, 1}));  // per bucket, not cumulative
  ASSERT_FALSE(p.exemplars.empty());
  EXPECT_EQ(p.exemplars[0].trace_id, span.trace_id);
  EXPECT_EQ(p.exemplars[0].span_id, span.span_id);
}

TEST(OtlpMetricExporterTest, UnreachableCollectorCountsFailuresAndStopsInTime) {
  MetricRegistry registry;
  registry.Counter("x_total", "x").Inc();
  OtlpMetricExporterOptions options;
  options.endpoint.url = "http://127.0.0.1:1/v1/metrics";
  options.interval = 20ms;
  options.retry.initial_backoff = 10ms;
  options.registry = &registry;
  OtlpMetricExporter exporter(options);
  std::this_thread::sleep_for(200ms);
  auto start = std::chrono::steady_clock::now();
  EXPECT_FALSE(exporter.Shutdown(300ms));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_GE(exporter.failures(), 1u);
  EXPECT_EQ(exporter.exports(), 0u);
}

}  // namespace
}  // namespace quartet

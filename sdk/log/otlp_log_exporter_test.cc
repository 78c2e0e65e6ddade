#include "sdk/log/otlp_log_exporter.h"

#include <gtest/gtest.h>

#include "sdk/context/current.h"
#include "sdk/log/log_pipeline.h"
#include "tests/support/otlp_receiver.h"
#include "wire/otlp/decode.h"

namespace quartet {
namespace {

using namespace std::chrono_literals;

OtlpLogExporterOptions Options(const std::string& url) {
  OtlpLogExporterOptions o;
  o.endpoint.url = url;
  o.endpoint.timeout = 2s;
  o.resource = {{"service.name", otlp::AnyValue::String("checkout")},
                {"process.pid", otlp::AnyValue::Int(7)}};
  o.schedule_delay = 50ms;
  o.retry.initial_backoff = 10ms;
  o.retry.max_backoff = 20ms;
  return o;
}

TEST(OtlpLogExporterTest, RecordsCarryTraceContextAndAttributes) {
  testing::OtlpReceiver receiver;
  auto exporter = std::make_shared<OtlpLogExporter>(Options(receiver.endpoint() + "/v1/logs"));
  auto pipeline =
      *LogPipeline::Start({.service = "checkout", .output = "/dev/null", .sink = exporter});

  SpanContext span;
  span.trace_id.bytes[15] = 0xab;
  span.span_id.bytes[7] = 0xcd;
  span.trace_flags = kTraceFlagSampled;
  context_internal::Frame frame{.span = &span, .request_id = "req-1"};
  context_internal::Push(&frame);
  pipeline->logger().Warn("db query", {{"rows", 42}, {"query", "SELECT 1"}});
  context_internal::Pop(&frame);
  pipeline->logger().Info("no span");

  ASSERT_TRUE(pipeline->Shutdown(2s));
  ASSERT_TRUE(exporter->Shutdown(2s));
  EXPECT_EQ(exporter->exported_records(), 2u);
  EXPECT_EQ(exporter->dropped_records(), 0u);

  std::vector<otlp::LogRecord> records;
  for (const auto& request : receiver.Requests("/v1/logs")) {
    auto decoded = otlp::DecodeLogs(request.body);
    ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
    for (const auto& rl : decoded->resource_logs) {
      EXPECT_EQ(otlp::FindAttribute(rl.resource.attributes, "service.name")->string_value,
                "checkout");
      EXPECT_EQ(otlp::FindAttribute(rl.resource.attributes, "process.pid")->int_value, 7);
      for (const auto& sl : rl.scope_logs)
        records.insert(records.end(), sl.log_records.begin(), sl.log_records.end());
    }
  }
  ASSERT_EQ(records.size(), 2u);
  EXPECT_EQ(records[0].body.string_value, "db query");
  EXPECT_EQ(records[0].severity_number, 13);
  EXPECT_EQ(records[0].severity_text, "WARN");
  EXPECT_EQ(records[0].trace_id, span.trace_id);
  EXPECT_EQ(records[0].span_id, span.span_id);
  EXPECT_EQ(records[0].flags, 1u);
  EXPECT_EQ(otlp::FindAttribute(records[0].attributes, "rows")->int_value, 42);
  EXPECT_EQ(otlp::FindAttribute(records[0].attributes, "request_id")->string_value, "req-1");
  EXPECT_FALSE(records[1].trace_id.valid());
}

TEST(OtlpLogExporterTest, UnreachableCollectorDropsAndShutsDownInTime) {
  auto options = Options("http://127.0.0.1:1/v1/logs");
  options.max_batch_records = 4;
  options.max_queued_batches = 2;
  auto exporter = std::make_shared<OtlpLogExporter>(options);
  auto pipeline = *LogPipeline::Start({.service = "x", .output = "/dev/null", .sink = exporter});
  for (int i = 0; i < 200; ++i) pipeline->logger().Info("line", {{"i", i}});
  ASSERT_TRUE(pipeline->Shutdown(2s));
  auto start = std::chrono::steady_clock::now();
  exporter->Shutdown(300ms);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1s);
  EXPECT_EQ(exporter->exported_records(), 0u);
  EXPECT_EQ(exporter->dropped_records(), 200u);  // every record accounted for
}

}  // namespace
}  // namespace quartet

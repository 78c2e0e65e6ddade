// Init end to end, in process: one service name on all three signals, the
// trace context on log lines, and bounded behaviour when the collector is down.
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <chrono>
#include <thread>

#include "quartet/quartet.h"
#include "tests/support/otlp_receiver.h"
#include "tests/support/process.h"
#include "wire/json/json_parser.h"
#include "wire/otlp/decode.h"
#include "wire/pprof/profile.h"

namespace quartet {
namespace {

using namespace std::chrono_literals;

std::vector<json::Value> JsonLines(const std::string& text) {
  std::vector<json::Value> out;
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    if (end > start) {
      auto doc = json::Parse(std::string_view(text).substr(start, end - start));
      EXPECT_TRUE(doc.ok()) << text.substr(start, end - start);
      if (doc.ok()) out.push_back(*doc);
    }
    start = end + 1;
  }
  return out;
}

std::string Str(const json::Value& v, std::string_view key) {
  const json::Value* f = v.Find(key);
  return f && f->is_string() ? f->string_value() : "<absent>";
}

std::string ResourceAttr(const otlp::Resource& resource, std::string_view key) {
  const otlp::AnyValue* v = otlp::FindAttribute(resource.attributes, key);
  return v != nullptr ? v->string_value : "<absent>";
}

TEST(InitTest, OneServiceNameAndTraceContextOnEverySignal) {
  testing::OtlpReceiver receiver;
  std::string dir = testing::TempDir("init");
  Config config;
  config.service_name = "checkout";
  config.service_version = "1.2.3";
  config.otlp_endpoint = receiver.endpoint();
  config.schedule_delay = 20ms;
  config.log_output = dir + "/log.jsonl";
  config.admin_listen = "127.0.0.1:0";
  config.logs_exporter = "otlp";
  config.metrics_exporter = "otlp";
  Telemetry telemetry = Init(config);
  ASSERT_FALSE(telemetry.admin_address().empty());
  EXPECT_EQ(telemetry.service_name(), "checkout");

  std::string trace_id, span_id;
  {
    Span span = Tracer().StartSpan("GET /checkout", {.kind = SpanKind::kServer});
    trace_id = span.context().trace_id.ToHex();
    span_id = span.context().span_id.ToHex();
    Scope scope(Context::Current().WithSpan(span).WithRequestId("req-7"));
    Log().Info("db query", {{"rows", 42}});
  }
  Log().Info("outside");

  httplib::Client admin("http://" + telemetry.admin_address());
  auto scrape = admin.Get("/metrics");
  ASSERT_TRUE(scrape);
  EXPECT_EQ(scrape->status, 200);
  EXPECT_NE(scrape->body.find("service_name=\"checkout\""), std::string::npos) << scrape->body;

  ASSERT_TRUE(telemetry.Shutdown(5s));

  auto lines = JsonLines(testing::ReadFile(dir + "/log.jsonl"));
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_EQ(Str(lines[0], "service"), "checkout");
  EXPECT_EQ(Str(lines[0], "trace_id"), trace_id);
  EXPECT_EQ(Str(lines[0], "span_id"), span_id);
  EXPECT_EQ(Str(lines[0], "request_id"), "req-7");
  ASSERT_NE(lines[0].Find("sampled"), nullptr);
  EXPECT_TRUE(lines[0].Find("sampled")->bool_value());
  EXPECT_EQ(lines[1].Find("trace_id"), nullptr);

  auto requests = receiver.Requests("/v1/traces");
  ASSERT_FALSE(requests.empty());
  auto decoded = otlp::DecodeTraces(requests[0].body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->resource_spans.size(), 1u);
  EXPECT_EQ(ResourceAttr(decoded->resource_spans[0].resource, "service.name"), "checkout");
  EXPECT_EQ(ResourceAttr(decoded->resource_spans[0].resource, "service.version"), "1.2.3");

  // The same line over OTLP, with the same trace context and service.
  auto log_requests = receiver.Requests("/v1/logs");
  ASSERT_FALSE(log_requests.empty());
  auto logs = otlp::DecodeLogs(log_requests[0].body);
  ASSERT_TRUE(logs.ok()) << logs.status().ToString();
  EXPECT_EQ(ResourceAttr(logs->resource_logs[0].resource, "service.name"), "checkout");
  const otlp::LogRecord& record = logs->resource_logs[0].scope_logs[0].log_records[0];
  EXPECT_EQ(record.body.string_value, "db query");
  EXPECT_EQ(record.trace_id.ToHex(), trace_id);
  EXPECT_EQ(record.span_id.ToHex(), span_id);

  // And the metrics, pushed at shutdown, under the same resource.
  auto metric_requests = receiver.Requests("/v1/metrics");
  ASSERT_FALSE(metric_requests.empty());
  auto metrics = otlp::DecodeMetrics(metric_requests.back().body);
  ASSERT_TRUE(metrics.ok()) << metrics.status().ToString();
  EXPECT_EQ(ResourceAttr(metrics->resource_metrics[0].resource, "service.name"), "checkout");
  bool spans_started = false;
  for (const auto& m : metrics->resource_metrics[0].scope_metrics[0].metrics) {
    spans_started |= m.name == "quartet_sdk_spans_started";
  }
  EXPECT_TRUE(spans_started);
}

TEST(InitTest, CollectorDownDropsAndCountsAndShutsDownInTime) {
  std::string dir = testing::TempDir("init-down");
  Config config;
  config.service_name = "burst";
  config.otlp_endpoint = "http://127.0.0.1:1";  // nothing listens there
  config.max_queue_size = 64;
  config.max_export_batch_size = 16;
  config.schedule_delay = 10ms;
  config.log_output = dir + "/log.jsonl";
  config.admin_listen = "127.0.0.1:0";
  Telemetry telemetry = Init(config);

  for (int i = 0; i < 640; ++i) {  // 10x the queue
    Span span = Tracer().StartSpan("burst");
  }
  httplib::Client admin("http://" + telemetry.admin_address());
  auto scrape = admin.Get("/metrics");
  ASSERT_TRUE(scrape);
  const std::string sample = "\nquartet_sdk_spans_dropped_total ";
  size_t at = scrape->body.find(sample);
  ASSERT_NE(at, std::string::npos) << scrape->body;
  double dropped = std::strtod(scrape->body.c_str() + at + sample.size(), nullptr);
  EXPECT_GE(dropped, 640 - 64 - 16) << scrape->body.substr(at, 200);

  auto start = std::chrono::steady_clock::now();
  telemetry.Shutdown(1s);
  EXPECT_LT(std::chrono::steady_clock::now() - start, 1500ms);
}

// Profiling switched on in Init: the admin endpoint serves Go's
// /debug/pprof/profile, a gzipped pprof of CPU samples with the SDK's sample
// types, and refuses a bad duration.
TEST(InitTest, ProfilingServesPprofOnTheAdminEndpoint) {
  Config config;
  config.service_name = "profiled";
  config.admin_listen = "127.0.0.1:0";
  config.traces_exporter = "none";
  config.logs_exporter = "none";
  config.log_output = "stderr";
  config.profiling = true;
  Telemetry telemetry = Init(config);
  ASSERT_FALSE(telemetry.admin_address().empty());
  std::atomic<bool> stop{false};
  std::thread busy([&] {
    volatile uint64_t x = 0;
    while (!stop) x = x * 31 + 7;
  });
  httplib::Client admin("http://" + telemetry.admin_address());
  admin.set_read_timeout(std::chrono::seconds(10));
  auto bad = admin.Get("/debug/pprof/profile?seconds=0");
  ASSERT_TRUE(bad);
  EXPECT_EQ(bad->status, 400);
  auto res = admin.Get("/debug/pprof/profile?seconds=1");
  stop = true;
  busy.join();
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  ASSERT_GE(res->body.size(), 2u);
  EXPECT_EQ(static_cast<uint8_t>(res->body[0]), 0x1f);  // gzip
  Result<pprof::Profile> profile = pprof::DecodeMaybeGzip(res->body);
  ASSERT_TRUE(profile.ok()) << profile.status().message();
  ASSERT_EQ(profile->sample_type.size(), 2u);
  EXPECT_EQ(profile->StringAt(profile->sample_type[1].type), "cpu");
  EXPECT_FALSE(profile->sample.empty());

  // Go's /debug/pprof/heap (empty of samples under ASan/TSan, which own
  // malloc) and the thread profile.
  auto heap = admin.Get("/debug/pprof/heap");
  ASSERT_TRUE(heap);
  ASSERT_EQ(heap->status, 200) << heap->body;
  Result<pprof::Profile> heap_profile = pprof::DecodeMaybeGzip(heap->body);
  ASSERT_TRUE(heap_profile.ok()) << heap_profile.status().message();
  ASSERT_EQ(heap_profile->sample_type.size(), 4u);
  EXPECT_EQ(heap_profile->StringAt(heap_profile->sample_type[3].type), "inuse_space");
  auto threads = admin.Get("/debug/pprof/threads");
  ASSERT_TRUE(threads);
  ASSERT_EQ(threads->status, 200) << threads->body;
  Result<pprof::Profile> thread_profile = pprof::DecodeMaybeGzip(threads->body);
  ASSERT_TRUE(thread_profile.ok()) << thread_profile.status().message();
  EXPECT_EQ(thread_profile->StringAt(thread_profile->sample_type[0].type), "threads");
  int64_t thread_count = 0;
  for (const auto& s : thread_profile->sample) thread_count += s.value[0];
  EXPECT_GE(thread_count, 3);  // this one, busy, the admin server's and the profiler's
  EXPECT_TRUE(telemetry.Shutdown(std::chrono::seconds(5)));
}

}  // namespace
}  // namespace quartet

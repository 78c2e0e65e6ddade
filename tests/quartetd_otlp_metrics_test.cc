// OTLP metrics into the real quartetd from real clients, read back through
// the Prometheus query API:
//   - the OpenTelemetry JS SDK (sdk-metrics + the otlp-proto, otlp-http (JSON)
//     and otlp-grpc exporters; tests/peers/otel_metrics_sender.js) exports a
//     counter, an up-down counter, a histogram and an observable gauge twice,
//     with cumulative and with delta temporality: /api/v1/query returns the
//     Prometheus names, the job/instance labels, target_info and the totals;
//   - our own SDK with OTEL_METRICS_EXPORTER=otlp lands its counter and
//     histogram;
//   - a gzip'd body is accepted; bad bodies get 400 with a message.
#include <gtest/gtest.h>
#include <unistd.h>
#include <zlib.h>

#include <chrono>
#include <map>
#include <thread>

#include "quartet/quartet.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

// An instant query's result as "name{l="v",...}" -> value, labels sorted.
std::map<std::string, double> Instant(const Quartetd& q, const std::string& query) {
  std::map<std::string, double> out;
  Quartetd::Response r = q.Query("/api/v1/query", {{"query", query}});
  EXPECT_EQ(r.status, 200) << query << ": " << r.body;
  Result<json::Value> doc = json::Parse(r.body);
  if (!doc.ok() || doc->Find("data") == nullptr) return out;
  const json::Value* result = doc->Find("data")->Find("result");
  if (result == nullptr) return out;
  for (const json::Value& item : result->items()) {
    std::string name, labels;
    for (const json::Member& m : item.Find("metric")->members()) {
      if (m.key == "__name__") {
        name = m.value.string_value();
      } else {
        labels += (labels.empty() ? "" : ",") + m.key + "=\"" + m.value.string_value() + "\"";
      }
    }
    out[name + "{" + labels + "}"] = std::stod(item.Find("value")->items()[1].string_value());
  }
  return out;
}

// Polls until `query` returns at least one series (ingest is synchronous,
// but the sender may still be exporting).
std::map<std::string, double> WaitInstant(const Quartetd& q, const std::string& query) {
  std::map<std::string, double> out;
  for (int i = 0; i < 100 && out.empty(); ++i) {
    out = Instant(q, query);
    if (out.empty()) std::this_thread::sleep_for(100ms);
  }
  return out;
}

int RunNode(const std::string& args, std::string* output) {
  const std::string dir = TempDir("otlp_metrics_node");
  const std::string cmd = "cd " + SourcePath("tests/peers") + " && node otel_metrics_sender.js " +
                          args + " > " + dir + "/out 2>&1";
  const int rc = std::system(cmd.c_str());
  *output = ReadFile(dir + "/out");
  return rc;
}

class QuartetdOtlpMetricsTest
    : public ::testing::TestWithParam<std::tuple<std::string, std::string>> {
 protected:
  static void SetUpTestSuite() { q_ = new Quartetd(); }
  static void TearDownTestSuite() {
    delete q_;
    q_ = nullptr;
  }
  static Quartetd* q_;
};
Quartetd* QuartetdOtlpMetricsTest::q_ = nullptr;

TEST_P(QuartetdOtlpMetricsTest, JavaScriptSdkMetricsAreQueryableWithPrometheusNames) {
  ASSERT_EQ(access(SourcePath("tests/peers/node_modules/@opentelemetry/sdk-metrics").c_str(), R_OK),
            0)
      << "npm peers missing: run ./setup";
  ASSERT_TRUE(q_->ready()) << q_->process().ReadStderr();
  const auto& [protocol, temporality] = GetParam();
  std::string service = "js-" + protocol + "-" + temporality;
  for (char& c : service) {
    if (c == '/') c = '-';
  }
  const std::string base =
      protocol == "grpc" ? "http://127.0.0.1:" + std::to_string(q_->grpc_port()) : q_->url();
  std::string output;
  ASSERT_EQ(RunNode(base + " " + protocol + " " + service + " " + temporality, &output), 0)
      << output;
  ASSERT_NE(output.find("exported"), std::string::npos) << output;

  const std::string id = "instance=\"node-1\",job=\"shop/" + service + "\"";
  const std::string sel = "{job=\"shop/" + service + "\"}";
  auto got = WaitInstant(*q_, "shop_orders_total" + sel);
  EXPECT_EQ(got, (std::map<std::string, double>{
                     {"shop_orders_total{http_route=\"/checkout\"," + id + "}", 12}}));
  EXPECT_EQ(Instant(*q_, "queue_depth" + sel),
            (std::map<std::string, double>{{"queue_depth{" + id + "}", 7}}));
  EXPECT_EQ(Instant(*q_, "process_memory_usage_bytes" + sel),
            (std::map<std::string, double>{{"process_memory_usage_bytes{" + id + "}", 2345}}));
  const std::string h = "http_server_request_duration_seconds";
  const std::string hl = "{http_route=\"/checkout\"," + id;
  EXPECT_EQ(Instant(*q_, h + "_count" + sel),
            (std::map<std::string, double>{{h + "_count" + hl + "}", 4}}));
  auto sum = Instant(*q_, h + "_sum" + sel);
  ASSERT_EQ(sum.size(), 1u);
  EXPECT_NEAR(sum.begin()->second, 3.65, 1e-9);
  // The SDK's default buckets: 0, 5, 10, 25, 50, 75, 100, 250, 500, ...
  auto buckets = Instant(*q_, h + "_bucket" + sel);
  EXPECT_EQ(buckets[h + "_bucket" + hl + ",le=\"0\"}"], 0);
  EXPECT_EQ(buckets[h + "_bucket" + hl + ",le=\"5\"}"], 4);
  EXPECT_EQ(buckets[h + "_bucket" + hl + ",le=\"+Inf\"}"], 4);
  auto q = Instant(*q_, "histogram_quantile(0.5, " + h + "_bucket" + sel + ")");
  ASSERT_EQ(q.size(), 1u);
  EXPECT_GT(q.begin()->second, 0);
  EXPECT_LE(q.begin()->second, 5);
  // The other resource attributes are in target_info, not on every series.
  EXPECT_EQ(Instant(*q_, "target_info" + sel),
            (std::map<std::string, double>{{"target_info{deployment_environment=\"test\"," + id +
                                                ",service_version=\"2.0.1\"}",
                                            1}}));
  // Metadata: type, help and unit per family.
  Quartetd::Response meta =
      q_->Query("/api/v1/metadata", {{"metric", "http_server_request_duration_seconds"}});
  EXPECT_NE(meta.body.find("\"type\":\"histogram\""), std::string::npos) << meta.body;
  EXPECT_NE(meta.body.find("\"help\":\"request latency\""), std::string::npos) << meta.body;
  EXPECT_NE(meta.body.find("\"unit\":\"seconds\""), std::string::npos) << meta.body;
  meta = q_->Query("/api/v1/metadata", {{"metric", "shop_orders_total"}});
  EXPECT_NE(meta.body.find("\"type\":\"counter\""), std::string::npos) << meta.body;
}

INSTANTIATE_TEST_SUITE_P(Exporters, QuartetdOtlpMetricsTest,
                         ::testing::Combine(::testing::Values("http/protobuf", "http/json", "grpc"),
                                            ::testing::Values("cumulative", "delta")),
                         [](const auto& info) {
                           std::string name =
                               std::get<0>(info.param) + "_" + std::get<1>(info.param);
                           for (char& c : name) {
                             if (c == '/') c = '_';
                           }
                           return name;
                         });

std::string Gzip(const std::string& data) {
  z_stream z{};
  deflateInit2(&z, Z_BEST_SPEED, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
  std::string out(deflateBound(&z, data.size()), '\0');
  z.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data.data()));
  z.avail_in = static_cast<uInt>(data.size());
  z.next_out = reinterpret_cast<Bytef*>(out.data());
  z.avail_out = static_cast<uInt>(out.size());
  deflate(&z, Z_FINISH);
  out.resize(z.total_out);
  deflateEnd(&z);
  return out;
}

TEST(QuartetdOtlpMetricsHttpTest, GzipJsonAndBadBodies) {
  Quartetd q;
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();
  const int64_t now_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                             std::chrono::system_clock::now().time_since_epoch())
                             .count();
  const std::string body =
      R"({"resourceMetrics":[{"resource":{"attributes":[{"key":"service.name","value":)"
      R"({"stringValue":"gz"}}]},"scopeMetrics":[{"metrics":[{"name":"jobs.done","sum":{)"
      R"("isMonotonic":true,"aggregationTemporality":2,"dataPoints":[{"asInt":"41",)"
      R"("timeUnixNano":")" +
      std::to_string(now_ns) + R"("}]}}]}]}]})";
  Quartetd::Response r =
      q.Post("/v1/metrics", Gzip(body), "application/json", {{"Content-Encoding", "gzip"}});
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.body, "{}");
  EXPECT_EQ(Instant(q, "jobs_done_total"),
            (std::map<std::string, double>{{"jobs_done_total{job=\"gz\"}", 41}}));

  r = q.Post("/v1/metrics", "{\"resourceMetrics\":[", "application/json");
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"message\""), std::string::npos) << r.body;
  r = q.Post("/v1/metrics", std::string("\x0a\x05\x0a\x03", 4), "application/x-protobuf");
  EXPECT_EQ(r.status, 400) << r.body;
  EXPECT_FALSE(r.body.empty());
  // Earlier data stays.
  EXPECT_EQ(Instant(q, "jobs_done_total").size(), 1u);
}

TEST(QuartetdOtlpMetricsSdkTest, OurSdkOtlpExporterLandsItsMetrics) {
  Quartetd q;
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();
  const std::string service = "sdk-otlp-metrics-" + std::to_string(getpid());
  Config config;
  config.service_name = service;
  config.otlp_endpoint = q.url();
  config.metrics_exporter = "otlp";
  config.metric_export_interval = 100ms;
  config.traces_exporter = "none";
  config.logs_exporter = "none";
  config.log_output = "stderr";
  config.admin_listen = "";
  Telemetry telemetry = Init(config);
  auto orders = Metrics().Counter("sdk_orders_total", "Orders placed.", {"route"});
  auto latency = Metrics().Histogram("sdk_request_duration_seconds", "Latency.", {"route"});
  orders.WithLabels({"/checkout"}).Add(3);
  latency.WithLabels({"/checkout"}).Observe(0.02);
  latency.WithLabels({"/checkout"}).Observe(0.3);
  auto got = WaitInstant(q, "sdk_orders_total{job=\"" + service + "\"}");
  ASSERT_TRUE(telemetry.Shutdown(10s));
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->second, 3) << got.begin()->first;
  EXPECT_NE(got.begin()->first.find("route=\"/checkout\""), std::string::npos)
      << got.begin()->first;
  auto count = Instant(q, "sdk_request_duration_seconds_count{job=\"" + service + "\"}");
  ASSERT_EQ(count.size(), 1u);
  EXPECT_EQ(count.begin()->second, 2);
}

}  // namespace
}  // namespace quartet::testing

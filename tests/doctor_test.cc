// quartet doctor against the real quartetd with every gotcha planted over the
// standard protocols (OTLP/HTTP JSON spans and metrics, Loki push, Grafana
// annotations): a service spelled payment_api on spans and metrics but
// payment-api on logs, log lines marked sampled whose traces never arrived,
// log lines stamped five minutes after their span, a latency histogram
// without exemplars, no service.version anywhere, a deploy annotation without
// a version, and an SDK drop counter that rose. Each check must say problem,
// and the command must exit 1. (The demo test checks that it passes on a
// sound system.)
#include <gtest/gtest.h>

#include <map>

#include "base/clock.h"
#include "tests/support/process.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

std::string Ns(int64_t s) { return std::to_string(s * 1'000'000'000); }

TEST(DoctorTest, FindsEveryPlantedGotcha) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  const int64_t t = UnixNanos() / 1'000'000'000 - 600;
  const std::string trace = "0af7651916cd43dd8448eb211c80319c";  // stored
  const std::string resource =
      R"("resource":{"attributes":[{"key":"service.name","value":{"stringValue":"payment_api"}}]})";

  // Spans (no service.version) of one trace at t.
  std::string spans = R"({"resourceSpans":[{)" + resource +
                      R"(,"scopeSpans":[{"spans":[{"traceId":")" + trace +
                      R"(","spanId":"b7ad6b7169203331","name":"POST /pay","kind":2,)"
                      R"("startTimeUnixNano":")" +
                      Ns(t) + R"(","endTimeUnixNano":")" + Ns(t + 1) + R"("}]}]}]})";
  ASSERT_EQ(q.Post("/v1/traces", spans, "application/json").status, 200);

  // Log lines under the other spelling: three of the stored trace, five
  // minutes late (clock skew); three sampled lines whose traces never came.
  std::string values;
  for (int i = 0; i < 3; ++i) {
    values += std::string(values.empty() ? "" : ",") + R"([")" + Ns(t + 300 + i) +
              R"(","charged",{"trace_id":")" + trace + R"(","sampled":"true"}])";
  }
  for (const char* lost : {"11111111111111111111111111111111", "22222222222222222222222222222222",
                           "33333333333333333333333333333333"}) {
    values +=
        R"(,[")" + Ns(t + 10) + R"(","charged",{"trace_id":")" + lost + R"(","sampled":"true"}])";
  }
  std::string push =
      R"({"streams":[{"stream":{"service_name":"payment-api"},"values":[)" + values + "]}]}";
  Quartetd::Response pushed = q.Post("/loki/api/v1/push", push, "application/json");
  ASSERT_EQ(pushed.status, 204) << pushed.body;

  // Metrics: a latency histogram with no exemplar, and a drop counter that
  // rose from 0 to 40.
  std::string metrics =
      R"({"resourceMetrics":[{)" + resource +
      R"(,"scopeMetrics":[{"metrics":[)"
      R"({"name":"http.server.request.duration","unit":"s","histogram":{"aggregationTemporality":2,)"
      R"("dataPoints":[{"startTimeUnixNano":")" +
      Ns(t - 60) + R"(","timeUnixNano":")" + Ns(t) +
      R"(","count":"3","sum":1.5,"bucketCounts":["1","2","0"],"explicitBounds":[0.1,1]}]}},)"
      R"({"name":"quartet_sdk_spans_dropped","sum":{"isMonotonic":true,"aggregationTemporality":2,)"
      R"("dataPoints":[{"startTimeUnixNano":")" +
      Ns(t - 60) + R"(","timeUnixNano":")" + Ns(t) + R"(","asDouble":0},)" +
      R"({"startTimeUnixNano":")" + Ns(t - 60) + R"(","timeUnixNano":")" + Ns(t + 60) +
      R"(","asDouble":40}]}}]}]}]})";
  Quartetd::Response stored = q.Post("/v1/metrics", metrics, "application/json");
  ASSERT_EQ(stored.status, 200) << stored.body;

  // A deploy annotation without a version.
  ASSERT_EQ(q.Post("/api/annotations",
                   R"({"time":)" + std::to_string((t + 5) * 1000) +
                       R"(,"tags":["deploy","service=payment_api"],"text":"deploy"})",
                   "application/json")
                .status,
            200);

  Process doctor(
      {.argv = {BinaryPath("quartet"), "doctor", "--server", q.url(), "--from",
                std::to_string(t - 600), "--to", std::to_string(t + 600), "--format", "json"}});
  ASSERT_TRUE(Process::WaitFor([&] { return !doctor.running(); }, 60s));
  EXPECT_EQ(doctor.Stop(), 1) << doctor.ReadStdout() << doctor.ReadStderr();
  Result<json::Value> report = json::Parse(doctor.ReadStdout());
  ASSERT_TRUE(report.ok()) << doctor.ReadStdout();
  std::map<std::string, std::string> severity;
  for (const json::Value& f : report->Find("findings")->items()) {
    severity[f.Find("check")->string_value()] = f.Find("severity")->string_value();
  }
  for (const char* check :
       {"service-name", "trace-links", "clock-skew", "exemplars", "version", "exporter-drops"}) {
    EXPECT_EQ(severity[check], "problem") << check << "\n" << doctor.ReadStdout();
  }
}

}  // namespace
}  // namespace quartet::testing

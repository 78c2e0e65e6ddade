// Deploy annotations and span metrics through the real quartetd binary:
//   - the real `quartet annotate` CLI posts a deploy; quartetd is killed with
//     kill -9 and restarted; GET /api/annotations finds it by time and tags;
//   - spans sent over OTLP/HTTP become traces_spanmetrics_* series that
//     rate() reads through /api/v1/query, with exemplars that name the spans
//     (the shutdown flush makes this independent of the 15 s interval).
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>

#include "base/clock.h"
#include "tests/support/process.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

json::Value ParseJson(const std::string& body) {
  Result<json::Value> v = json::Parse(body);
  EXPECT_TRUE(v.ok()) << body;
  return v.ok() ? *v : json::Value();
}

TEST(QuartetdAnnotationsTest, CliDeploySurvivesKill9AndIsFoundByTimeAndTags) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  const std::string dir = TempDir("annotations");
  const int64_t t = UnixNanos() / 1'000'000 - 60'000;
  const std::string cmd = BinaryPath("quartet") + " annotate --server " + q.url() +
                          " --service checkout --version 1.4.2 --env prod"
                          " --text 'drop idx_orders_user_id' --tag migration --time " +
                          std::to_string(t) + " > " + dir + "/out 2>&1";
  ASSERT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir + "/out");
  EXPECT_EQ(ReadFile(dir + "/out"), "annotation 1 added\n");
  // Another annotation that the tag query must not return.
  ASSERT_EQ(q.Post("/api/annotations",
                   R"({"time":)" + std::to_string(t + 1) +
                       R"(,"tags":["deploy","service=cart"],"text":"cart"})",
                   "application/json")
                .status,
            200);

  ASSERT_TRUE(q.Restart(/*kill9=*/true));

  Quartetd::Response r = q.Query("/api/annotations", {{"from", std::to_string(t - 1000)},
                                                      {"to", std::to_string(t + 1000)},
                                                      {"tags", "deploy"},
                                                      {"tags", "service=checkout"}});
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value list = ParseJson(r.body);
  ASSERT_EQ(list.items().size(), 1u) << r.body;
  const json::Value& a = list.items()[0];
  EXPECT_EQ(*a.Find("id")->int_value(), 1);
  EXPECT_EQ(*a.Find("time")->int_value(), t);
  EXPECT_EQ(a.Find("text")->string_value(), "drop idx_orders_user_id");
  std::vector<std::string> tags;
  for (const json::Value& tag : a.Find("tags")->items()) tags.push_back(tag.string_value());
  EXPECT_EQ(tags, (std::vector<std::string>{"deploy", "service=checkout", "version=1.4.2",
                                            "env=prod", "migration"}));
  // Outside the time range: nothing.
  r = q.Query("/api/annotations", {{"from", std::to_string(t + 10'000)},
                                   {"to", std::to_string(t + 20'000)},
                                   {"tags", "deploy"}});
  EXPECT_EQ(r.body, "[]");
  // Ids continue after the restart.
  r = q.Post("/api/annotations", R"({"text":"after restart"})", "application/json");
  EXPECT_EQ(r.body, R"({"message":"Annotation added","id":3})");
}

std::string SpanJson(const std::string& trace_hex, const std::string& span_hex, int64_t end_ns,
                     int64_t duration_ns, int status) {
  return R"({"traceId":")" + trace_hex + R"(","spanId":")" + span_hex +
         R"(","name":"GET /checkout","kind":2,"startTimeUnixNano":")" +
         std::to_string(end_ns - duration_ns) + R"(","endTimeUnixNano":")" +
         std::to_string(end_ns) +
         R"(","attributes":[{"key":"http.route","value":{"stringValue":"/checkout"}},)"
         R"({"key":"http.response.status_code","value":{"intValue":"200"}}],)"
         R"("status":{"code":)" +
         std::to_string(status) + "}}";
}

TEST(QuartetdAnnotationsTest, SpansOverOtlpBecomeSpanMetricsWithExemplars) {
  Quartetd q;
  ASSERT_TRUE(q.ready());
  const int64_t now_ns = UnixNanos();
  std::string spans;
  for (int i = 0; i < 6; ++i) {
    char trace[33], span[17];
    std::snprintf(trace, sizeof trace, "%032x", 0xabc0 + i);
    std::snprintf(span, sizeof span, "%016x", 0x10 + i);
    if (i > 0) spans += ',';
    // 5 OK spans of 30 ms, one slow one of 3 s.
    spans +=
        SpanJson(trace, span, now_ns - 1'000'000'000 + i, i == 5 ? 3'000'000'000 : 30'000'000, 1);
  }
  const std::string body = R"({"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",)"
                           R"("value":{"stringValue":"checkout"}}]},"scopeSpans":[{"spans":[)" +
                           spans + "]}]}]}";
  Quartetd::Response r = q.Post("/v1/traces", body, "application/json");
  ASSERT_EQ(r.status, 200) << r.body;

  // SIGTERM: span metrics flush a last time before the metric table closes.
  ASSERT_TRUE(q.Restart(/*kill9=*/false));

  const std::string selector =
      R"({service="checkout",span_name="GET /checkout",span_kind="SPAN_KIND_SERVER",)"
      R"(status_code="STATUS_CODE_OK",http_route="/checkout",http_response_status_code="200"})";
  r = q.Query("/api/v1/query", {{"query", "traces_spanmetrics_calls_total" + selector}});
  ASSERT_EQ(r.status, 200) << r.body;
  json::Value v = ParseJson(r.body);
  const json::Value* result = v.Find("data")->Find("result");
  ASSERT_EQ(result->items().size(), 1u) << r.body;
  EXPECT_EQ(result->items()[0].Find("value")->items()[1].string_value(), "6");

  r = q.Query("/api/v1/query", {{"query", "rate(traces_spanmetrics_calls_total[1m])"}});
  ASSERT_EQ(r.status, 200) << r.body;
  v = ParseJson(r.body);
  result = v.Find("data")->Find("result");
  ASSERT_EQ(result->items().size(), 1u) << r.body;
  EXPECT_GT(std::stod(result->items()[0].Find("value")->items()[1].string_value()), 0) << r.body;

  r = q.Query("/api/v1/query", {{"query", "traces_spanmetrics_latency_bucket{le=\"2.048\"}"}});
  v = ParseJson(r.body);
  result = v.Find("data")->Find("result");
  ASSERT_EQ(result->items().size(), 1u) << r.body;
  EXPECT_EQ(result->items()[0].Find("value")->items()[1].string_value(), "5");

  // The slow span is the exemplar of the 4.096 s bucket.
  const int64_t now_s = UnixNanos() / 1'000'000'000;
  r = q.Query("/api/v1/query_exemplars",
              {{"query", "traces_spanmetrics_latency_bucket{le=\"4.096\"}"},
               {"start", std::to_string(now_s - 120)},
               {"end", std::to_string(now_s + 10)}});
  ASSERT_EQ(r.status, 200) << r.body;
  char slow_trace[33];
  std::snprintf(slow_trace, sizeof slow_trace, "%032x", 0xabc0 + 5);
  EXPECT_NE(r.body.find(slow_trace), std::string::npos) << r.body;
}

}  // namespace
}  // namespace quartet::testing

// The reference service end to end, as a black box: real process, real HTTP,
// a loopback OTLP receiver decoding what it exports with wire/otlp.
#include "tests/support/checkout.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <mutex>

#include "tests/support/otlp_receiver.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

const otlp::Span* FindSpan(const std::vector<otlp::Span>& spans, std::string_view name) {
  for (const auto& s : spans) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

TEST(CheckoutTest, OneRequestIsCorrelatedAcrossLogsSpansAndMetrics) {
  OtlpReceiver receiver;
  CheckoutService service(receiver.endpoint());
  ASSERT_TRUE(service.ready()) << service.process().ReadStderr();

  httplib::Client client("http://" + service.address());
  const std::string trace_id = "4bf92f3577b34da6a3ce929d0e0e4736";
  const std::string parent_id = "00f067aa0ba902b7";
  auto res = client.Get("/checkout?user_id=7",
                        {{"traceparent", "00-" + trace_id + "-" + parent_id + "-01"},
                         {"X-Request-Id", "support-ticket-81"}});
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_EQ(res->get_header_value("X-Request-Id"), "support-ticket-81");

  httplib::Client admin("http://" + service.admin());
  auto metrics = admin.Get("/metrics", {{"Accept", "application/openmetrics-text; version=1.0.0"}});
  ASSERT_TRUE(metrics);
  EXPECT_EQ(service.Stop(), 0);  // SIGTERM flushes every signal

  std::string resource_service;
  std::vector<otlp::Span> spans = receiver.Spans(&resource_service);
  const otlp::Span* server = FindSpan(spans, "GET /checkout");
  ASSERT_NE(server, nullptr);
  EXPECT_EQ(server->trace_id.ToHex(), trace_id);
  EXPECT_EQ(server->parent_span_id.ToHex(), parent_id);
  EXPECT_EQ(server->kind, otlp::SpanKind::kServer);
  const otlp::Span* query = FindSpan(spans, "SELECT orders");
  ASSERT_NE(query, nullptr);
  EXPECT_EQ(query->parent_span_id, server->span_id);
  EXPECT_EQ(query->kind, otlp::SpanKind::kClient);
  const otlp::AnyValue* sql = otlp::FindAttribute(query->attributes, "db.query.text");
  ASSERT_NE(sql, nullptr);
  EXPECT_NE(sql->string_value.find("WHERE user_id"), std::string::npos);

  int lines_of_request = 0;
  for (const auto& line : service.LogLines()) {
    if (JsonString(line, "request_id") != "support-ticket-81") continue;
    ++lines_of_request;
    EXPECT_EQ(JsonString(line, "trace_id"), trace_id);
    EXPECT_EQ(JsonString(line, "span_id"), server->span_id.ToHex());
    ASSERT_NE(line.Find("sampled"), nullptr);
    EXPECT_TRUE(line.Find("sampled")->bool_value());
    EXPECT_EQ(JsonString(line, "service"), "checkout");
    if (JsonString(line, "message") == "db query") {
      EXPECT_NE(line.Find("rows"), nullptr);
      EXPECT_NE(line.Find("duration_ms"), nullptr);
    }
  }
  EXPECT_GE(lines_of_request, 1);

  // One service name, verbatim, on every signal.
  EXPECT_EQ(resource_service, "checkout");
  EXPECT_NE(metrics->body.find("target_info{"), std::string::npos);
  EXPECT_NE(metrics->body.find("service_name=\"checkout\""), std::string::npos);
  EXPECT_NE(metrics->body.find(
                "http_server_request_duration_seconds_bucket{method=\"GET\",route=\"/checkout\""),
            std::string::npos);
  // The request was sampled: its bucket carries the trace id as an exemplar.
  EXPECT_NE(metrics->body.find("trace_id=\"" + trace_id + "\""), std::string::npos);
}

TEST(CheckoutTest, ThrowingHandlerGives500ErrorSpanAndErrorLineAndServiceKeepsServing) {
  OtlpReceiver receiver;
  CheckoutService service(receiver.endpoint());
  ASSERT_TRUE(service.ready());
  httplib::Client client("http://" + service.address());
  auto boom = client.Get("/debug/panic");
  ASSERT_TRUE(boom);
  EXPECT_EQ(boom->status, 500);
  auto next = client.Get("/orders/1");
  ASSERT_TRUE(next);
  EXPECT_EQ(next->status, 200);
  EXPECT_EQ(service.Stop(), 0);

  std::vector<otlp::Span> spans = receiver.Spans();
  const otlp::Span* failed = FindSpan(spans, "GET /debug/panic");
  ASSERT_NE(failed, nullptr);
  EXPECT_EQ(failed->status.code, otlp::SpanStatusCode::kError);
  ASSERT_FALSE(failed->events.empty());
  EXPECT_EQ(failed->events[0].name, "exception");
  bool error_line = false;
  for (const auto& line : service.LogLines()) {
    if (JsonString(line, "level") == "ERROR" &&
        JsonString(line, "trace_id") == failed->trace_id.ToHex()) {
      error_line = true;
      EXPECT_EQ(JsonString(line, "exception.message"), "panic requested via /debug/panic");
    }
  }
  EXPECT_TRUE(error_line);
}

TEST(CheckoutTest, BadInputGets400NamingTheProblem) {
  OtlpReceiver receiver;
  CheckoutService service(receiver.endpoint());
  ASSERT_TRUE(service.ready());
  httplib::Client client("http://" + service.address());
  for (const char* path : {"/checkout?user_id=abc", "/checkout", "/orders/-3"}) {
    auto res = client.Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 400) << path;
    EXPECT_NE(res->body.find("must be a positive integer"), std::string::npos) << res->body;
  }
}

TEST(CheckoutTest, MigrationDropsTheIndexAndAnnouncesADeploy) {
  OtlpReceiver receiver;
  std::vector<std::string> annotations;
  std::mutex mu;
  TestHttpServer grafana;
  grafana.server().Post(
      "/api/annotations", [&](const httplib::Request& req, httplib::Response& res) {
        std::lock_guard<std::mutex> lock(mu);
        annotations.push_back(req.body);
        res.set_content(R"({"message":"Annotation added","id":1})", "application/json");
      });
  ASSERT_TRUE(grafana.Start());
  CheckoutService service(receiver.endpoint(), {}, {"--annotations", grafana.Url("")});
  ASSERT_TRUE(service.ready());
  httplib::Client client("http://" + service.address());
  auto res = client.Post("/admin/migration?action=drop_index", "", "text/plain");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  auto slow = client.Get("/checkout?user_id=42");
  ASSERT_TRUE(slow);
  EXPECT_EQ(slow->status, 200);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(annotations.size(), 1u);
  EXPECT_NE(annotations[0].find("DROP INDEX"), std::string::npos);
  EXPECT_NE(annotations[0].find("service=checkout"), std::string::npos);
  EXPECT_NE(annotations[0].find("version=1.0.0"), std::string::npos);
}

}  // namespace
}  // namespace quartet::testing

#include <gtest/gtest.h>

#include <map>
#include <stdexcept>

#include "quartet/http.h"
#include "quartet/metrics.h"
#include "sdk/log/log_pipeline.h"
#include "sdk/trace/span_exporter.h"
#include "sdk/trace/tracer_provider.h"
#include "tests/support/process.h"
#include "wire/json/json_parser.h"

namespace quartet::http {
namespace {

using namespace std::chrono_literals;
using trace_internal::InMemorySpanExporter;
using trace_internal::SpanRecord;

class FakeExchange : public Exchange {
 public:
  FakeExchange(std::string method, std::string path, std::string route)
      : method_(std::move(method)), path_(std::move(path)), route_(std::move(route)) {}
  std::string_view method() const override { return method_; }
  std::string_view path() const override { return path_; }
  std::string_view route() const override { return route_; }
  std::optional<std::string> request_header(std::string_view name) const override {
    for (const auto& [k, v] : request_headers) {
      if (strcasecmp(k.c_str(), std::string(name).c_str()) == 0) return v;
    }
    return std::nullopt;
  }
  void set_response_header(std::string_view name, std::string_view value) override {
    response_headers[std::string(name)] = std::string(value);
  }
  int status() const override { return status_; }
  void Reply(int status, std::string body, std::string_view) override {
    status_ = status;
    body_ = std::move(body);
  }

  std::map<std::string, std::string> request_headers;
  std::map<std::string, std::string> response_headers;
  int status_ = 0;
  std::string body_;

 private:
  std::string method_, path_, route_;
};

std::string Attr(const SpanRecord& span, std::string_view key) {
  for (const auto& kv : span.attributes) {
    if (kv.key != key) continue;
    if (auto* s = std::get_if<std::string>(&kv.value)) return *s;
    if (auto* i = std::get_if<int64_t>(&kv.value)) return std::to_string(*i);
  }
  return "<absent>";
}

class MiddlewareTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto exporter = std::make_unique<InMemorySpanExporter>();
    exporter_ = exporter.get();
    trace_internal::TracerProviderOptions options;
    options.exporter = std::move(exporter);
    options.batch.schedule_delay = 5ms;
    provider_ = std::make_unique<trace_internal::TracerProvider>(std::move(options));
    provider_->InstallGlobal();
    log_path_ = testing::TempDir("http") + "/log.jsonl";
    LogPipelineOptions log_options;
    log_options.service = "checkout";
    log_options.output = log_path_;
    logs_ = *LogPipeline::Start(log_options);
    InstallGlobalLogPipeline(logs_);
  }
  void TearDown() override {
    ResetGlobalLogPipeline();
    logs_->Shutdown(1s);
    provider_->Shutdown(1s);
  }
  std::vector<SpanRecord> Spans() {
    provider_->ForceFlush(1s);
    return exporter_->spans();
  }
  std::vector<json::Value> LogLines() {
    logs_->Flush(1s);
    std::vector<json::Value> out;
    std::string text = testing::ReadFile(log_path_);
    for (size_t start = 0, end; start < text.size(); start = end + 1) {
      end = text.find('\n', start);
      out.push_back(*json::Parse(std::string_view(text).substr(start, end - start)));
    }
    return out;
  }

  InMemorySpanExporter* exporter_ = nullptr;
  std::unique_ptr<trace_internal::TracerProvider> provider_;
  std::shared_ptr<LogPipeline> logs_;
  std::string log_path_;
};

TEST_F(MiddlewareTest, IncomingTraceparentBecomesTheParentAndStampsLogs) {
  FakeExchange ex("GET", "/orders/17", "/orders/:id");
  ex.request_headers["traceparent"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
  ex.request_headers["X-Request-Id"] = "ticket-123";
  std::string seen_request_id;
  Instrument([&](Exchange& e) {
    seen_request_id = std::string(CurrentRequestId());
    Log().Info("db query", {{"rows", 3}});
    e.Reply(200, "ok", "text/plain");
  })(ex);

  EXPECT_EQ(seen_request_id, "ticket-123");
  EXPECT_EQ(ex.response_headers["X-Request-Id"], "ticket-123");
  auto spans = Spans();
  ASSERT_EQ(spans.size(), 1u);
  const SpanRecord& span = spans[0];
  EXPECT_EQ(span.name, "GET /orders/:id");  // the template, never the raw path
  EXPECT_EQ(span.kind, SpanKind::kServer);
  EXPECT_EQ(span.context.trace_id.ToHex(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(span.parent_span_id.ToHex(), "00f067aa0ba902b7");
  EXPECT_EQ(Attr(span, "http.route"), "/orders/:id");
  EXPECT_EQ(Attr(span, "url.path"), "/orders/17");
  EXPECT_EQ(Attr(span, "http.response.status_code"), "200");
  EXPECT_EQ(Attr(span, "request_id"), "ticket-123");

  auto lines = LogLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].Find("trace_id")->string_value(), "4bf92f3577b34da6a3ce929d0e0e4736");
  EXPECT_EQ(lines[0].Find("span_id")->string_value(), span.context.span_id.ToHex());
  EXPECT_EQ(lines[0].Find("request_id")->string_value(), "ticket-123");
  EXPECT_TRUE(lines[0].Find("sampled")->bool_value());
  EXPECT_EQ(lines[0].Find("service")->string_value(), "checkout");
}

TEST_F(MiddlewareTest, HostileRequestIdIsReplaced) {
  for (const std::string& bad :
       {std::string(), std::string("has space"), std::string("quote\""), std::string(200, 'a')}) {
    FakeExchange ex("GET", "/", "/");
    ex.request_headers["X-Request-Id"] = bad;
    Instrument([](Exchange& e) { e.Reply(200, "", "text/plain"); })(ex);
    std::string id = ex.response_headers["X-Request-Id"];
    EXPECT_EQ(id.size(), 32u) << bad;
    EXPECT_NE(id, bad);
  }
}

TEST_F(MiddlewareTest, ThrowingHandlerYields500ErrorSpanAndErrorLogThenServesAgain) {
  Handler handler = Instrument([](Exchange& e) {
    if (e.path() == "/boom") throw std::runtime_error("disk on fire");
    e.Reply(200, "ok", "text/plain");
  });
  FakeExchange boom("GET", "/boom", "/boom");
  handler(boom);
  EXPECT_EQ(boom.status_, 500);
  FakeExchange fine("GET", "/fine", "/fine");
  handler(fine);
  EXPECT_EQ(fine.status_, 200);

  auto spans = Spans();
  ASSERT_EQ(spans.size(), 2u);
  const SpanRecord& failed = spans[0].name == "GET /boom" ? spans[0] : spans[1];
  EXPECT_EQ(failed.status, SpanStatus::kError);
  EXPECT_EQ(Attr(failed, "http.response.status_code"), "500");
  ASSERT_EQ(failed.events.size(), 1u);
  EXPECT_EQ(failed.events[0].name, "exception");

  auto lines = LogLines();
  ASSERT_EQ(lines.size(), 1u);
  EXPECT_EQ(lines[0].Find("level")->string_value(), "ERROR");
  EXPECT_EQ(lines[0].Find("exception.type")->string_value(), "std::runtime_error");
  EXPECT_EQ(lines[0].Find("exception.message")->string_value(), "disk on fire");
  EXPECT_EQ(lines[0].Find("trace_id")->string_value(), failed.context.trace_id.ToHex());
}

TEST_F(MiddlewareTest, DurationHistogramPerRouteAndStatus) {
  Handler handler = Instrument([](Exchange& e) { e.Reply(404, "", "text/plain"); });
  FakeExchange ex("GET", "/orders/999", "/orders/:id");
  handler(ex);
  std::string text = Metrics().Render(MetricsFormat::kOpenMetrics1);
  EXPECT_NE(
      text.find("http_server_request_duration_seconds_count{method=\"GET\",route=\"/orders/:id\","
                "status=\"404\"} 1"),
      std::string::npos)
      << text;
  EXPECT_NE(text.find("http_server_active_requests{method=\"GET\",route=\"/orders/:id\"} 0"),
            std::string::npos);
  // The sampled span's ids ride on the bucket as an exemplar.
  EXPECT_NE(text.find("# {trace_id=\""), std::string::npos);
}

TEST_F(MiddlewareTest, ClientCallInjectsTheCurrentContext) {
  Span parent = Tracer().StartSpan("parent");
  Scope scope(Context::Current().WithSpan(parent).WithRequestId("r-9"));
  ClientCall call("GET", "http://inventory:8080/items?x=1");
  std::map<std::string, std::string> headers(call.headers().begin(), call.headers().end());
  ASSERT_TRUE(headers.contains("traceparent"));
  EXPECT_EQ(headers["traceparent"].substr(3, 32), parent.context().trace_id.ToHex());
  EXPECT_EQ(headers["traceparent"].substr(36, 16), call.span().context().span_id.ToHex());
  EXPECT_EQ(headers["X-Request-Id"], "r-9");
  call.End(503);
  parent.End();
  auto spans = Spans();
  ASSERT_EQ(spans.size(), 2u);
  const SpanRecord& client = spans[0].kind == SpanKind::kClient ? spans[0] : spans[1];
  EXPECT_EQ(client.status, SpanStatus::kError);
  EXPECT_EQ(Attr(client, "server.address"), "inventory:8080");
  EXPECT_EQ(client.parent_span_id, parent.context().span_id);
}

}  // namespace
}  // namespace quartet::http

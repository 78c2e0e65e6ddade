#include "server/incident/trace_facts.h"

#include <gtest/gtest.h>

#include <algorithm>

namespace quartet::incident {
namespace {

using otlp::AnyValue;

constexpr uint64_t kMs = 1000000;
constexpr uint64_t kT0 = 1700000000000000000;

SpanId Sid(uint8_t n) {
  SpanId id;
  id.bytes[7] = n;
  return id;
}
TraceId Tid() {
  TraceId id;
  id.bytes[15] = 9;
  return id;
}

class TraceBuilder {
 public:
  otlp::Span& Add(const std::string& service, uint8_t id, uint8_t parent, const std::string& name,
                  uint64_t start_ms, uint64_t end_ms,
                  otlp::SpanKind kind = otlp::SpanKind::kInternal) {
    otlp::ResourceSpans* rs = nullptr;
    for (auto& r : trace_.resource_spans) {
      if (r.resource.attributes[0].value.string_value == service) rs = &r;
    }
    if (rs == nullptr) {
      rs = &trace_.resource_spans.emplace_back();
      rs->resource.attributes = {{"service.name", AnyValue::String(service)},
                                 {"service.version", AnyValue::String("1.0")}};
      rs->scope_spans.emplace_back();
    }
    otlp::Span& s = rs->scope_spans[0].spans.emplace_back();
    s.trace_id = Tid();
    s.span_id = Sid(id);
    if (parent != 0) s.parent_span_id = Sid(parent);
    s.name = name;
    s.kind = kind;
    s.start_time_unix_nano = kT0 + start_ms * kMs;
    s.end_time_unix_nano = kT0 + end_ms * kMs;
    return s;
  }
  const otlp::ExportTraceServiceRequest& trace() const { return trace_; }

 private:
  otlp::ExportTraceServiceRequest trace_;
};

int64_t CriticalMs(const RequestDetail& d, const std::string& name) {
  for (const auto& [key, ns] : d.critical_ns) {
    if (SpanSignature::Decode(key).name == name) return ns / static_cast<int64_t>(kMs);
  }
  return -1;
}

TEST(TraceFactsTest, RequestAndDetailsOfTheReferenceShape) {
  TraceBuilder b;
  otlp::Span& root = b.Add("checkout", 1, 0, "GET /checkout", 0, 100, otlp::SpanKind::kServer);
  root.attributes = {{"http.route", AnyValue::String("/checkout")},
                     {"user_id", AnyValue::Int(42)},
                     {"http.response.status_code", AnyValue::Int(200)}};
  otlp::Span& q = b.Add("checkout", 2, 1, "SELECT orders", 10, 90, otlp::SpanKind::kClient);
  q.attributes = {{"db.query.text", AnyValue::String("SELECT sum(amount) FROM orders")},
                  {"rows", AnyValue::Int(48000)}};

  RequestFacts facts;
  ASSERT_TRUE(ExtractRequest(b.trace(), "checkout", &facts));
  EXPECT_EQ(facts.entry_span_id, Sid(1));
  EXPECT_EQ(facts.duration_ns, static_cast<int64_t>(100 * kMs));
  EXPECT_EQ(facts.route, "/checkout");
  EXPECT_EQ(facts.version, "1.0");
  EXPECT_FALSE(facts.error);
  EXPECT_FALSE(ExtractRequest(b.trace(), "payments", &facts));

  RequestDetail d = ExtractDetail(b.trace(), Sid(1));
  EXPECT_EQ(CriticalMs(d, "GET /checkout"), 20);
  EXPECT_EQ(CriticalMs(d, "SELECT orders"), 80);
  const auto has = [&](const std::string& k, const std::string& v) {
    return std::find(d.features.begin(), d.features.end(), std::pair(k, v)) != d.features.end();
  };
  EXPECT_TRUE(has("user_id", "42"));  // an id: categorical
  EXPECT_TRUE(has("http.response.status_code", "200"));
  EXPECT_TRUE(has("service.version", "1.0"));
  ASSERT_EQ(d.numbers.size(), 1u);  // rows: a measurement
  EXPECT_EQ(d.numbers[0], std::pair(std::string("rows"), 48000.0));
  const SpanSignature sig = SpanSignature::Decode(d.critical_ns[1].first);
  EXPECT_EQ(sig.detail_key, "db.query.text");
  EXPECT_EQ(sig.kind, "client");
}

TEST(TraceFactsTest, CriticalPathOfParallelChildren) {
  TraceBuilder b;
  b.Add("api", 1, 0, "root", 0, 100, otlp::SpanKind::kServer);
  b.Add("api", 2, 1, "a", 10, 60);
  b.Add("api", 3, 1, "b", 20, 90);
  b.Add("api", 4, 3, "b.child", 30, 200);  // ends after its parent: clipped
  RequestDetail d = ExtractDetail(b.trace(), Sid(1));
  // root: 90..100 and 0..10; b: 20..30; b.child: 30..90; a: 10..20.
  EXPECT_EQ(CriticalMs(d, "root"), 20);
  EXPECT_EQ(CriticalMs(d, "b"), 10);
  EXPECT_EQ(CriticalMs(d, "b.child"), 60);
  EXPECT_EQ(CriticalMs(d, "a"), 10);
}

TEST(TraceFactsTest, EntrySpanOfADownstreamServiceAndErrors) {
  TraceBuilder b;
  b.Add("frontend", 1, 0, "GET /buy", 0, 100, otlp::SpanKind::kServer);
  otlp::Span& entry = b.Add("shop", 2, 1, "POST /order", 5, 95, otlp::SpanKind::kServer);
  entry.status.code = otlp::SpanStatusCode::kError;
  b.Add("shop", 3, 2, "validate", 6, 8);
  otlp::Span& call = b.Add("shop", 4, 2, "POST", 10, 90, otlp::SpanKind::kClient);
  call.status.code = otlp::SpanStatusCode::kError;
  call.attributes = {{"server.address", AnyValue::String("payments")},
                     {"server.port", AnyValue::Int(443)},
                     {"http.response.status_code", AnyValue::Int(503)}};
  RequestFacts facts;
  ASSERT_TRUE(ExtractRequest(b.trace(), "shop", &facts));
  EXPECT_EQ(facts.entry_span_id, Sid(2));
  EXPECT_EQ(facts.route, "POST /order");  // no http.route: the span name
  EXPECT_TRUE(facts.error);
  RequestDetail d = ExtractDetail(b.trace(), Sid(2));
  ASSERT_EQ(d.error_origins.size(), 1u);  // the call, not the entry span above it
  EXPECT_EQ(SpanSignature::Decode(d.error_origins[0]).name, "POST");
  ASSERT_EQ(d.upstream_errors.size(), 1u);
  EXPECT_EQ(d.upstream_errors[0], std::pair(std::string("payments:443"), std::string("503")));
  EXPECT_EQ(CriticalMs(d, "GET /buy"), -1);  // outside the service's request
}

TEST(TraceFactsTest, LogAttributesSplitIntoFeaturesAndMeasurements) {
  RequestDetail d;
  AddLogAttributes({{"rows", "48213"},
                    {"user_id", "42"},
                    {"tenant", "acme"},
                    {"trace_id", "0af7651916cd43dd8448eb211c80319c"},
                    {"ratio", "0.5"},
                    {"note", "12abc"}},
                   &d);
  Normalize(&d);
  EXPECT_EQ(d.numbers,
            (std::vector<std::pair<std::string, double>>{{"ratio", 0.5}, {"rows", 48213}}));
  EXPECT_EQ(d.log_keys, (std::vector<std::string>{"ratio", "rows"}));
  EXPECT_EQ(d.features, (std::vector<std::pair<std::string, std::string>>{
                            {"note", "12abc"}, {"tenant", "acme"}, {"user_id", "42"}}));
}

TEST(TraceFactsTest, ExceptionsCalleeVersionsAndInnerKeys) {
  TraceBuilder b;
  otlp::Span& entry = b.Add("web", 1, 0, "GET /home", 0, 100, otlp::SpanKind::kServer);
  entry.status.code = otlp::SpanStatusCode::kError;
  entry.attributes = {{"http.route", AnyValue::String("/home")}};
  otlp::SpanEvent e;
  e.name = "exception";
  e.attributes = {{"exception.type", AnyValue::String("TypeError")},
                  {"exception.message", AnyValue::String("x is null")}};
  entry.events = {e};
  otlp::Span& call = b.Add("web", 2, 1, "GET", 10, 90, otlp::SpanKind::kClient);
  call.attributes = {{"peer.service", AnyValue::String("recs")}};
  otlp::Span& callee = b.Add("recs", 3, 2, "GET /recs", 12, 88, otlp::SpanKind::kServer);
  callee.attributes = {{"http.route", AnyValue::String("/recs")}};
  otlp::Span& own = b.Add("recs", 4, 3, "rank", 20, 80);
  own.status.code = otlp::SpanStatusCode::kError;
  own.status.message = "index out of range";

  RequestDetail d = ExtractDetail(b.trace(), Sid(1));
  // The entry span's exception event; the callee's status message (a
  // failed span that is not a client call and has no exception event).
  EXPECT_EQ(d.exceptions, (std::vector<std::pair<std::string, std::string>>{
                              {"", "index out of range"}, {"TypeError", "x is null"}}));
  EXPECT_EQ(d.callee_versions, (std::vector<std::pair<std::string, std::string>>{{"recs", "1.0"}}));
  // peer.service is only on an inner span; http.route is on the entry span
  // too, and the resource keys are the entry's.
  EXPECT_EQ(d.inner_keys, (std::vector<std::string>{"peer.service"}));
}

TEST(TraceFactsTest, LogExceptionsAndSanitizedKeysJoinTheSpansOnes) {
  RequestDetail d;
  d.features = {{"cloud.availability_zone", "eu-west-1c"}};
  AddLogAttributes({{"cloud_availability_zone", "eu-west-1c"},
                    {"exception_type", "TypeError"},
                    {"exception_message", "x is null"},
                    {"exception_stacktrace", "at f (a.js:1)"},
                    {"plan", "legacy"}},
                   &d);
  Normalize(&d);
  EXPECT_EQ(d.features, (std::vector<std::pair<std::string, std::string>>{
                            {"cloud.availability_zone", "eu-west-1c"}, {"plan", "legacy"}}));
  EXPECT_EQ(d.log_feature_keys, (std::vector<std::string>{"plan"}));
  EXPECT_EQ(d.exceptions,
            (std::vector<std::pair<std::string, std::string>>{{"TypeError", "x is null"}}));
}

TEST(TraceFactsTest, RestatesFailure) {
  struct Case {
    const char* key;
    const char* value;
    bool restates;
  };
  for (const Case& c :
       {Case{"http.response.status_code", "500", true},
        Case{"http.response.status_code", "503", true},
        Case{"http.response.status_code", "404", false}, Case{"http.status_code", "200", false},
        Case{"rpc.grpc.status_code", "14", true}, Case{"rpc.grpc.status_code", "0", false},
        Case{"otel.status_code", "ERROR", true}, Case{"severity_text", "ERROR", true},
        Case{"severity_text", "INFO", false}, Case{"severity_number", "17", true},
        Case{"severity_number", "9", false}, Case{"error", "true", true},
        Case{"error.type", "timeout", true}, Case{"exception.message", "boom", true},
        Case{"user_id", "500", false}, Case{"tenant", "error", false}}) {
    EXPECT_EQ(RestatesFailure(c.key, c.value), c.restates) << c.key << "=" << c.value;
  }
}

TEST(TraceFactsTest, SignatureRoundTripsAndDeepChainsAreBounded) {
  SpanSignature s{"svc", "name", "client", "db.query.text", "SELECT 1"};
  SpanSignature r = SpanSignature::Decode(s.Encode());
  EXPECT_EQ(r.service, "svc");
  EXPECT_EQ(r.detail, "SELECT 1");

  TraceBuilder b;
  b.Add("deep", 1, 0, "s1", 0, 1000);
  for (int i = 2; i <= 250; ++i)
    b.Add("deep", static_cast<uint8_t>(i), static_cast<uint8_t>(i - 1), "s", i, 1000 - i);
  RequestDetail d = ExtractDetail(b.trace(), Sid(1));  // must not recurse without bound
  int64_t total = 0;
  for (const auto& [k, ns] : d.critical_ns) total += ns;
  EXPECT_EQ(total, static_cast<int64_t>(1000 * kMs));
}

}  // namespace
}  // namespace quartet::incident

#include "server/query/traceql/evaluate.h"

#include <gtest/gtest.h>

#include <vector>

#include "server/query/traceql/parser.h"

namespace quartet::traceql {
namespace {

using otlp::AnyValue;
using otlp::KeyValue;

SpanId Id(uint8_t n) {
  SpanId id;
  id.bytes[7] = n;
  return id;
}

constexpr uint64_t kMs = 1000000;

// A small checkout trace:
//   0 GET /checkout (server, web)          1200ms
//   ├── 1 SELECT orders (client, db, error) 800ms
//   │   └── 3 scan (internal, db)           700ms
//   │       └── 4 read page (internal, db)  100ms
//   └── 2 render (internal, web, ok)        50ms
class EvaluateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    web_.attributes = {{"service.name", AnyValue::String("web")}};
    db_.attributes = {{"service.name", AnyValue::String("db")},
                      {"http.route", AnyValue::String("/from-resource")},
                      {"db.rows", AnyValue::String("resource-level")}};
    scope_.name = "quartet";
    scope_.version = "0.1.0";
    scope_.attributes = {{"lib.kind", AnyValue::String("sdk")}};
    spans_.resize(5);
    auto make = [&](int i, int parent, const char* name, otlp::SpanKind kind, uint64_t start_ms,
                    uint64_t dur_ms) {
      otlp::Span& s = spans_[i];
      s.span_id = Id(static_cast<uint8_t>(i + 1));
      if (parent >= 0) s.parent_span_id = Id(static_cast<uint8_t>(parent + 1));
      s.name = name;
      s.kind = kind;
      s.start_time_unix_nano = 1000000000000 + start_ms * kMs;
      s.end_time_unix_nano = s.start_time_unix_nano + dur_ms * kMs;
    };
    for (auto& s : spans_) {
      s.trace_id.bytes[14] = 0xab;
      s.trace_id.bytes[15] = 0xcd;
    }
    make(0, -1, "GET /checkout", otlp::SpanKind::kServer, 0, 1200);
    make(1, 0, "SELECT orders", otlp::SpanKind::kClient, 10, 800);
    make(2, 0, "render", otlp::SpanKind::kInternal, 900, 50);
    make(3, 1, "scan", otlp::SpanKind::kInternal, 20, 700);
    make(4, 3, "read page", otlp::SpanKind::kInternal, 30, 100);
    spans_[0].attributes = {{"http.route", AnyValue::String("/checkout")},
                            {"http.response.status_code", AnyValue::Int(200)},
                            {"user.vip", AnyValue::Bool(true)}};
    spans_[1].attributes = {{"db.rows", AnyValue::Int(12000)},
                            {"db.ratio", AnyValue::Double(0.5)},
                            {"cached", AnyValue::Bool(false)},
                            {"blob", AnyValue::Bytes("\x01")}};
    spans_[1].status.code = otlp::SpanStatusCode::kError;
    spans_[1].status.message = "timeout after 800ms";
    spans_[1].events.push_back({0, "exception", {{"exception.type", AnyValue::String("Timeout")}}});
    spans_[2].attributes = {{"http.route", AnyValue::Int(200)}};  // a number, unlike span 0's
    spans_[2].status.code = otlp::SpanStatusCode::kOk;
    spans_[2].links.push_back({});
    spans_[2].links[0].attributes = {{"link.reason", AnyValue::String("follows")}};
    const otlp::Resource* res[] = {&web_, &db_, &web_, &db_, &db_};
    for (int i = 0; i < 5; ++i) rows_.push_back({&spans_[i], res[i], &scope_});
    facts_.duration_ns = 1200 * kMs;
    facts_.root_name = "GET /checkout";
    facts_.root_service = "web";
  }

  // Spans matched by `text`; the test fails on a parse error.
  std::vector<uint32_t> Run(const std::string& text) {
    auto q = Parse(text);
    EXPECT_TRUE(q.ok()) << text << ": " << q.status().ToString();
    if (!q.ok()) return {999};
    TraceMatch m = Evaluate(*q, rows_, facts_);
    EXPECT_EQ(m.matched, !m.spans.empty()) << text;
    return m.spans;
  }

  struct Case {
    const char* query;
    std::vector<uint32_t> spans;
  };
  void RunAll(const std::vector<Case>& cases) {
    for (const Case& c : cases) EXPECT_EQ(Run(c.query), c.spans) << c.query;
  }

  otlp::Resource web_, db_;
  otlp::InstrumentationScope scope_;
  std::vector<otlp::Span> spans_;
  std::vector<SpanRow> rows_;
  TraceFacts facts_;
};

TEST_F(EvaluateTest, Intrinsics) {
  RunAll({
      {"{ }", {0, 1, 2, 3, 4}},
      {"{ false }", {}},
      {R"({ name = "render" })", {2}},
      {R"({ span:name != "render" })", {0, 1, 3, 4}},
      {R"({ name =~ "SELECT.*" })", {1}},
      {R"({ name =~ "SELECT" })", {}},  // anchored: a prefix is not a match
      {R"({ name !~ ".*e.*" })", {3}},
      {R"({ name < "S" })", {0}},  // byte order: "GET" < "S" < "SELECT" < lowercase
      {"{ status = error }", {1}},
      {"{ status = ok }", {2}},
      {"{ status = unset }", {0, 3, 4}},
      {"{ status != unset }", {1, 2}},
      {R"({ statusMessage = "timeout after 800ms" })", {1}},
      {R"({ statusMessage =~ "timeout.*" })", {1}},
      {"{ kind = server }", {0}},
      {"{ kind = client }", {1}},
      {"{ span:kind = internal }", {2, 3, 4}},
      {"{ kind != internal }", {0, 1}},
      {"{ kind = producer || kind = consumer || kind = unspecified }", {}},
      {"{ duration > 500ms }", {0, 1, 3}},
      {"{ duration >= 800ms }", {0, 1}},
      {"{ duration = 50ms }", {2}},
      {"{ duration < 100ms }", {2}},
      {"{ duration <= 100ms }", {2, 4}},
      {"{ span:duration > 1s }", {0}},
      {"{ duration > 1.1 }", {0, 1, 2, 3, 4}},  // plain numbers are nanoseconds
      {"{ duration > 1199999999.5 }", {0}},
      {"{ duration != 50000000 }", {0, 1, 3, 4}},
      {R"({ event:name = "exception" })", {1}},
      {R"({ instrumentation:name = "quartet" && instrumentation:version = "0.1.0" })",
       {0, 1, 2, 3, 4}},
      {"{ nestedSetParent < 0 }", {0}},  // Grafana's "root spans"
      {"{ nestedSetParent < 0 && true }", {0}},
      {"{ nestedSetParent > 0 }", {1, 2, 3, 4}},
      {R"({ span:id = "0000000000000002" })", {1}},
      {R"({ span:parentID = "0000000000000001" })", {1, 2}},
      {R"({ span:parentID = "" })", {0}},
      {R"({ trace:id = "0000000000000000000000000000abcd" })", {0, 1, 2, 3, 4}},
      {R"({ trace:id =~ "0+" })", {}},
  });
}

TEST_F(EvaluateTest, TraceLevelIntrinsics) {
  RunAll({
      {"{ trace:duration > 1s }", {0, 1, 2, 3, 4}},
      {"{ traceDuration > 2s }", {}},
      {R"({ trace:rootName = "GET /checkout" && kind = client })", {1}},
      {R"({ rootName != "GET /checkout" })", {}},
      {R"({ trace:rootService = "web" && status = error })", {1}},
      {R"({ rootServiceName =~ "w.b" && name = "scan" })", {3}},
  });
}

TEST_F(EvaluateTest, AttributesAndTypeRules) {
  RunAll({
      {R"({ span.http.route = "/checkout" })", {0}},
      {R"({ span.http.route != "/checkout" })", {}},  // span 2's route is a number: false
      {R"({ span.http.route =~ "/check.*" })", {0}},
      {"{ span.http.route = 200 }", {2}},
      {"{ span.http.route > 100 }", {2}},
      {"{ span.http.response.status_code = 200 }", {0}},
      {"{ span.http.response.status_code = 200.0 }", {0}},  // int attribute, float literal
      {"{ span.http.response.status_code < 200.5 }", {0}},
      {"{ span.http.response.status_code >= 201 }", {}},
      {R"({ span.http.response.status_code = "200" })", {}},  // string literal, int attribute
      {"{ span.db.ratio = 0.5 }", {1}},
      {"{ span.db.ratio < 1 }", {1}},  // double attribute, int literal
      {"{ span.db.ratio > 0 && span.db.ratio < 0.6 }", {1}},
      {"{ span.db.rows > 10000 }", {1}},
      {"{ span.db.rows > 10000.5 }", {1}},
      {"{ span.db.rows > 10us }", {1}},  // durations compare as nanoseconds
      {"{ span.user.vip = true }", {0}},
      {"{ span.user.vip != false }", {0}},
      {"{ span.cached = false }", {1}},
      {"{ span.cached = 0 }", {}},
      {R"({ span.blob = "\x01" })", {}},  // bytes are not strings
      {"{ span.blob != nil }", {1}},
      {"{ span.missing = nil }", {0, 1, 2, 3, 4}},
      {"{ span.db.rows != nil }", {1}},
      {"{ span.db.rows = nil }", {0, 2, 3, 4}},
      {R"({ span.missing != "x" })", {}},  // missing: false, even for !=
      {"{ span.missing > 1 }", {}},
      {R"({ resource.service.name = "db" })", {1, 3, 4}},
      {R"({ resource.service.name != "db" })", {0, 2}},
      {R"({ resource.service.name =~ "d.*|w.*" })", {0, 1, 2, 3, 4}},
      {R"({ instrumentation.lib.kind = "sdk" })", {0, 1, 2, 3, 4}},
      {R"({ event.exception.type = "Timeout" })", {1}},
      {R"({ link.link.reason = "follows" })", {2}},
  });
}

TEST_F(EvaluateTest, UnscopedReadsSpanThenResource) {
  RunAll({
      // Span 0 has it as a span attribute, 2 as a number, 1, 3 and 4 from the db resource.
      {R"({ .http.route = "/checkout" })", {0}},
      {R"({ .http.route = "/from-resource" })", {1, 3, 4}},
      {"{ .http.route = 200 }", {2}},
      // The span attribute wins over the resource's: span 1 has db.rows = 12000.
      {"{ .db.rows = 12000 }", {1}},
      {R"({ .db.rows = "resource-level" })", {3, 4}},
      {R"({ .service.name = "web" })", {0, 2}},
  });
}

TEST_F(EvaluateTest, BooleanOperators) {
  RunAll({
      {R"({ resource.service.name = "db" && duration > 500ms })", {1, 3}},
      {"{ status = error || kind = server }", {0, 1}},
      {"{ (status = error || kind = server) && duration > 1s }", {0}},
      {"{ !(kind = internal) }", {0, 1}},
      {"{ !(kind = internal || status = error) }", {0}},
      {"{ !(!(status = ok)) }", {2}},
      {"{ true && status = ok }", {2}},
      {"{ false || status = ok }", {2}},
  });
}

TEST_F(EvaluateTest, SpansetOperators) {
  RunAll({
      // &&: both must match; the result is the union.
      {"{ status = error } && { kind = server }", {0, 1}},
      {"{ status = error } && { kind = producer }", {}},
      {"{ status = error } && { kind = server } && { name = \"render\" }", {0, 1, 2}},
      // ||: either; the union of what matched.
      {"{ status = error } || { kind = producer }", {1}},
      {"{ kind = producer } || { kind = consumer }", {}},
      {"{ status = ok } || { kind = server }", {0, 2}},
      {"({ status = ok } || { kind = producer }) && { kind = server }", {0, 2}},
  });
}

TEST_F(EvaluateTest, StructuralOperators) {
  RunAll({
      {"{ kind = server } >> { name = \"read page\" }", {4}},
      {"{ kind = server } >> { }", {1, 2, 3, 4}},
      {"{ kind = server } > { }", {1, 2}},
      {"{ kind = client } > { }", {3}},
      {"{ name = \"render\" } >> { }", {}},
      {"{ name = \"render\" } ~ { }", {1}},
      {"{ } ~ { }", {1, 2}},
      {"{ kind = server } ~ { }", {}},
      {"{ name = \"read page\" } << { }", {0, 1, 3}},
      {"{ name = \"read page\" } < { }", {3}},
      {"{ } < { kind = server }", {0}},
      {"{ kind = server } !>> { }", {0}},
      {"{ kind = client } !> { }", {0, 1, 2, 4}},
      {"{ name = \"render\" } !~ { }", {0, 2, 3, 4}},
      {"{ name = \"read page\" } !<< { }", {2, 4}},
      {"{ name = \"read page\" } !< { }", {0, 1, 2, 4}},
      {"{ kind = producer } !>> { kind = server }", {0}},  // nothing on the left: all of R
      {"{ kind = server } > { } > { }", {3}},              // left-associative chains
      {"{ kind = client } >> ({ } > { })", {3, 4}},
      {"({ kind = server } > { status = error }) && { name = \"render\" }", {1, 2}},
  });
}

TEST_F(EvaluateTest, Pipelines) {
  RunAll({
      {"{ } | count() = 5", {0, 1, 2, 3, 4}},
      {"{ } | count() > 5", {}},
      {"{ kind = internal } | count() >= 3", {2, 3, 4}},
      {"{ } | avg(duration) > 500ms", {0, 1, 2, 3, 4}},  // 570ms
      {"{ } | avg(duration) > 600ms", {}},
      {"{ } | max(duration) = 1200ms", {0, 1, 2, 3, 4}},
      {"{ } | min(duration) < 50ms", {}},
      {"{ } | sum(span.db.rows) = 12000", {0, 1, 2, 3, 4}},
      {"{ } | avg(span.missing) > 0", {}},
      {"{ } | { status = error }", {1}},
      {"{ } | { status = error } | count() > 1", {}},
      {"{ } | by(resource.service.name) | count() = 3", {1, 3, 4}},
      {"{ } | by(resource.service.name) | count() = 2", {0, 2}},
      {"{ } | by(resource.service.name) | count() > 1 | coalesce() | count() = 5", {0, 1, 2, 3, 4}},
      {"{ } | by(resource.service.name) | avg(duration) > 600ms", {0, 2}},
      {"{ status = error } | select(span.db.rows, name)", {1}},
      {"({ } | count() > 4) && { kind = producer }", {}},
  });
}

TEST_F(EvaluateTest, EmptyTraceDoesNotMatch) {
  auto q = Parse("{ } !>> { }");
  ASSERT_TRUE(q.ok());
  EXPECT_FALSE(Evaluate(*q, {}, facts_).matched);
}

TEST_F(EvaluateTest, StructuralOperatorsSurviveCyclesAndMissingParents) {
  spans_[0].parent_span_id = Id(5);   // 0 -> 4 -> 3 -> 1 -> 0: a cycle
  spans_[2].parent_span_id = Id(99);  // parent not in the trace
  EXPECT_EQ(Run("{ name = \"render\" } >> { }"), std::vector<uint32_t>{});
  EXPECT_EQ(Run("{ } > { name = \"render\" }"), std::vector<uint32_t>{});
  EXPECT_EQ(Run("{ kind = server } >> { }"), (std::vector<uint32_t>{0, 1, 3, 4}));
  EXPECT_EQ(Run("{ kind = server } << { }"), (std::vector<uint32_t>{0, 1, 3, 4}));
}

TEST_F(EvaluateTest, MatchesConditionIsTheEvaluatorsComparison) {
  auto c = MakeCondition(Scope::kIntrinsic, "span:duration", Op::kGt, Value::Duration(500 * kMs));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->name, "duration");
  EXPECT_TRUE(MatchesCondition(*c, rows_[0], facts_));
  EXPECT_FALSE(MatchesCondition(*c, rows_[2], facts_));

  auto re = MakeCondition(Scope::kResource, "service.name", Op::kRegex, Value::String("d."));
  ASSERT_TRUE(re.ok());
  ASSERT_NE(re->regex, nullptr);
  EXPECT_TRUE(MatchesCondition(*re, rows_[1], facts_));
  EXPECT_FALSE(MatchesCondition(*re, rows_[0], facts_));

  auto trace = MakeCondition(Scope::kTrace, "duration", Op::kGte, Value::Duration(1200 * kMs));
  ASSERT_TRUE(trace.ok()) << trace.status().ToString();
  EXPECT_EQ(trace->intrinsic, Intrinsic::kTraceDuration);
  EXPECT_TRUE(MatchesCondition(*trace, rows_[3], facts_));

  EXPECT_FALSE(MakeCondition(Scope::kIntrinsic, "nope", Op::kEq, Value::Int(1)).ok());
  EXPECT_FALSE(MakeCondition(Scope::kIntrinsic, "status", Op::kEq, Value::Int(1)).ok());
  EXPECT_FALSE(MakeCondition(Scope::kSpan, "x", Op::kRegex, Value::String("(")).ok());
}

TEST_F(EvaluateTest, NullResourceAndScopeReadAsMissing) {
  rows_[0].resource = nullptr;
  rows_[0].scope = nullptr;
  EXPECT_EQ(Run(R"({ resource.service.name = "web" })"), std::vector<uint32_t>{2});
  EXPECT_EQ(Run(R"({ .service.name = nil })"), std::vector<uint32_t>{0});
  EXPECT_EQ(Run(R"({ instrumentation:name = "quartet" })"), (std::vector<uint32_t>{1, 2, 3, 4}));
}

}  // namespace
}  // namespace quartet::traceql

#include "server/store/traces/trace_table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

namespace quartet::store {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;

TraceId MakeTraceId(uint8_t n) {
  TraceId id;
  id.bytes[0] = 0xab;
  id.bytes[15] = n;
  return id;
}
SpanId MakeSpanId(uint8_t n) {
  SpanId id;
  id.bytes[7] = n;
  return id;
}

otlp::Span MakeSpan(TraceId trace, uint8_t id, uint8_t parent, std::string name, int64_t start,
                    int64_t duration, std::string route = "") {
  otlp::Span span;
  span.trace_id = trace;
  span.span_id = MakeSpanId(id);
  if (parent != 0) span.parent_span_id = MakeSpanId(parent);
  span.name = std::move(name);
  span.start_time_unix_nano = static_cast<uint64_t>(start);
  span.end_time_unix_nano = static_cast<uint64_t>(start + duration);
  if (!route.empty()) span.attributes.push_back({"http.route", otlp::AnyValue::String(route)});
  return span;
}

otlp::ExportTraceServiceRequest Request(std::string service, std::vector<otlp::Span> spans) {
  otlp::ExportTraceServiceRequest request;
  otlp::ResourceSpans& rs = request.resource_spans.emplace_back();
  rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String(std::move(service))});
  otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
  ss.scope.name = "test";
  ss.spans = std::move(spans);
  return request;
}

class TraceTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trace_table_test_" + std::to_string(std::random_device{}()));
    options_.dir = dir_.string();
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    table_.reset();
    Result<std::unique_ptr<TraceTable>> t = TraceTable::Open(options_);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  void Append(const otlp::ExportTraceServiceRequest& request) {
    Result<AppendResult> r = table_->AppendSpans(request);
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  std::vector<std::string> SearchRoots(const TraceFilter& filter) {
    std::vector<std::string> roots;
    Status s = table_->SearchTraces(filter, [&](const TraceCandidate& c) {
      roots.push_back(c.summary->root_name);
      return true;
    });
    EXPECT_TRUE(s.ok());
    return roots;
  }

  std::filesystem::path dir_;
  TableOptions options_;
  std::unique_ptr<TraceTable> table_;
};

TEST_F(TraceTableTest, TraceAcrossServicesIsOneTraceWithItsSummary) {
  const TraceId t = MakeTraceId(1);
  // The child service reports first: the summary must still find the root.
  Append(Request("db", {MakeSpan(t, 2, 1, "SELECT orders", kT0 + 5 * kMs, 700 * kMs)}));
  otlp::Span root = MakeSpan(t, 1, 0, "GET /checkout", kT0, 800 * kMs, "/checkout");
  root.status.code = otlp::SpanStatusCode::kError;
  Append(Request("checkout", {root}));

  Result<TraceSummary> summary = table_->GetTraceSummary(t);
  ASSERT_TRUE(summary.ok());
  EXPECT_EQ(summary->root_name, "GET /checkout");
  EXPECT_EQ(summary->root_service, "checkout");
  EXPECT_EQ(summary->root_route, "/checkout");
  EXPECT_EQ(summary->duration_ns(), 800 * kMs);
  EXPECT_EQ(summary->span_count, 2);
  EXPECT_TRUE(summary->has_error);
  EXPECT_EQ(summary->services, (std::vector<std::string>{"checkout", "db"}));

  Result<otlp::ExportTraceServiceRequest> trace = table_->GetTrace(t);
  ASSERT_TRUE(trace.ok());
  ASSERT_EQ(trace->resource_spans.size(), 2u);
  EXPECT_EQ(trace->resource_spans[0].scope_spans[0].spans[0].name, "SELECT orders");
  EXPECT_EQ(trace->resource_spans[1].scope_spans[0].spans[0], root);

  EXPECT_EQ(table_->GetTrace(MakeTraceId(9)).status().code(), StatusCode::kNotFound);
}

TEST_F(TraceTableTest, AcknowledgedSpansSurviveReopen) {
  for (uint8_t i = 1; i <= 20; ++i) {
    Append(Request("checkout", {MakeSpan(MakeTraceId(i), 1, 0, "op", kT0 + i * kMs, kMs)}));
  }
  Reopen();
  EXPECT_EQ(table_->stats().spans, 20);
  EXPECT_EQ(table_->stats().replayed_records, 20);
  for (uint8_t i = 1; i <= 20; ++i) {
    Result<otlp::ExportTraceServiceRequest> trace = table_->GetTrace(MakeTraceId(i));
    ASSERT_TRUE(trace.ok()) << int(i);
    EXPECT_EQ(trace->resource_spans[0].scope_spans[0].spans[0].start_time_unix_nano,
              static_cast<uint64_t>(kT0 + i * kMs));
  }
}

TEST_F(TraceTableTest, SearchByWholeTraceAndBySpanNewestFirst) {
  Append(
      Request("checkout",
              {MakeSpan(MakeTraceId(1), 1, 0, "slow", kT0, 900 * kMs, "/checkout"),
               MakeSpan(MakeTraceId(2), 1, 0, "fast", kT0 + kMs, 10 * kMs, "/checkout"),
               MakeSpan(MakeTraceId(3), 1, 0, "other", kT0 + 2 * kMs, 950 * kMs, "/orders/:id")}));
  TraceFilter all;
  EXPECT_EQ(SearchRoots(all), (std::vector<std::string>{"other", "fast", "slow"}));

  TraceFilter slow_checkout;
  slow_checkout.root_route = "/checkout";
  slow_checkout.min_trace_duration_ns = 500 * kMs;
  EXPECT_EQ(SearchRoots(slow_checkout), (std::vector<std::string>{"slow"}));

  TraceFilter by_attribute;
  by_attribute.string_attributes = {{"http.route", "/orders/:id"}};
  EXPECT_EQ(SearchRoots(by_attribute), (std::vector<std::string>{"other"}));

  TraceFilter resource_attribute;
  resource_attribute.string_attributes = {{"service.name", "checkout"}};
  EXPECT_EQ(SearchRoots(resource_attribute).size(), 3u);

  TraceFilter out_of_range;
  out_of_range.range = {kT0 + 2 * kMs + 951 * kMs, kT0 + 2000 * kMs};
  EXPECT_TRUE(SearchRoots(out_of_range).empty());

  TraceFilter stop_early;
  int seen = 0;
  ASSERT_TRUE(
      table_->SearchTraces(stop_early, [&](const TraceCandidate&) { return ++seen < 2; }).ok());
  EXPECT_EQ(seen, 2);
}

// A trace is ordered by its merged start, the earliest of all its parts,
// although a later part may be the one the search finds first: here trace A's
// late children sit in a block and its early root in the head, and trace B
// starts between them. Each trace is delivered once, whole.
TEST_F(TraceTableTest, SplitTracesAreOrderedByTheirWholeStart) {
  Append(Request("checkout", {MakeSpan(MakeTraceId(1), 2, 1, "a-child", kT0 + 100 * kMs, kMs),
                              MakeSpan(MakeTraceId(1), 3, 1, "a-child", kT0 + 101 * kMs, kMs),
                              MakeSpan(MakeTraceId(3), 1, 0, "c", kT0 + 30 * kMs, kMs)}));
  ASSERT_TRUE(table_->Flush().ok());
  Append(Request("checkout", {MakeSpan(MakeTraceId(1), 1, 0, "a", kT0 + 10 * kMs, 200 * kMs),
                              MakeSpan(MakeTraceId(2), 1, 0, "b", kT0 + 50 * kMs, kMs)}));
  std::vector<std::string> roots;
  std::vector<int64_t> spans;
  ASSERT_TRUE(table_
                  ->SearchTraces(TraceFilter{},
                                 [&](const TraceCandidate& c) {
                                   roots.push_back(c.summary->root_name);
                                   int64_t n = 0;
                                   for (const auto& rs : c.spans->resource_spans) {
                                     for (const auto& ss : rs.scope_spans) n += ss.spans.size();
                                   }
                                   spans.push_back(n);
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(roots, (std::vector<std::string>{"b", "c", "a"}));
  EXPECT_EQ(spans, (std::vector<int64_t>{1, 1, 3}));

  // A span condition met only by the block's part still yields the whole trace.
  TraceFilter children;
  children.span_name = "a-child";
  EXPECT_EQ(SearchRoots(children), (std::vector<std::string>{"a"}));
  // A part longer than a whole-trace bound rules its trace out; a short part
  // of a long trace does not rule it in.
  TraceFilter short_traces;
  short_traces.max_trace_duration_ns = 50 * kMs;
  EXPECT_EQ(SearchRoots(short_traces), (std::vector<std::string>{"b", "c"}));
}

TEST_F(TraceTableTest, NumericAttributesAndFurtherRequiredSpans) {
  auto with_status = [](otlp::Span span, int64_t code) {
    span.attributes.push_back({"http.status_code", otlp::AnyValue::Int(code)});
    return span;
  };
  Append(Request("checkout", {with_status(MakeSpan(MakeTraceId(1), 1, 0, "one", kT0, kMs), 500),
                              MakeSpan(MakeTraceId(1), 2, 1, "db", kT0, kMs)}));
  ASSERT_TRUE(table_->Flush().ok());  // trace 1's spans in a block, the others in the head
  Append(Request("checkout",
                 {with_status(MakeSpan(MakeTraceId(2), 1, 0, "two", kT0 + kMs, kMs), 200),
                  MakeSpan(MakeTraceId(2), 2, 1, "db", kT0 + kMs, kMs),
                  with_status(MakeSpan(MakeTraceId(3), 1, 0, "three", kT0 + 2 * kMs, kMs), 503),
                  // A string "500" is not the number 500.
                  MakeSpan(MakeTraceId(4), 1, 0, "four", kT0 + 3 * kMs, kMs)}));
  Append(Request("checkout", {[&] {
                   otlp::Span s = MakeSpan(MakeTraceId(4), 2, 1, "x", kT0 + 3 * kMs, kMs);
                   s.attributes.push_back({"http.status_code", otlp::AnyValue::String("500")});
                   return s;
                 }()}));

  TraceFilter errors;
  errors.numeric_attributes = {{"http.status_code", NumericAttributeCondition::Op::kGte, 500}};
  EXPECT_EQ(SearchRoots(errors), (std::vector<std::string>{"three", "one"}));
  TraceFilter db;
  db.span_name = "db";
  errors.other_spans = {db};
  EXPECT_EQ(SearchRoots(errors), (std::vector<std::string>{"one"}));
  TraceFilter not_ok;
  not_ok.numeric_attributes = {{"http.status_code", NumericAttributeCondition::Op::kNeq, 200}};
  EXPECT_EQ(SearchRoots(not_ok), (std::vector<std::string>{"three", "one"}));
}

TEST_F(TraceTableTest, SpansWithoutIdsAreRejectedAndCounted) {
  otlp::Span bad = MakeSpan(MakeTraceId(1), 1, 0, "bad", kT0, kMs);
  bad.trace_id = TraceId{};
  Result<AppendResult> r =
      table_->AppendSpans(Request("x", {bad, MakeSpan(MakeTraceId(2), 1, 0, "ok", kT0, kMs)}));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->accepted, 1);
  EXPECT_EQ(r->rejected, 1);
  EXPECT_FALSE(r->rejection_message.empty());
}

TEST_F(TraceTableTest, OverTheMemoryLimitAppendsAreRefusedAndNothingIsLost) {
  // Without the background flush the head only grows: appends past the
  // limit are refused and store nothing.
  options_.memory_limit_bytes = 64 * 1024;
  table_.reset();
  table_ = std::move(*TraceTable::Open(options_, /*background=*/false));
  int accepted = 0;
  Status refused;
  for (int i = 0; i < 10000 && refused.ok(); ++i) {
    Result<AppendResult> r = table_->AppendSpans(
        Request("checkout", {MakeSpan(MakeTraceId(static_cast<uint8_t>(i)), 1, 0,
                                      std::string(200, 'x'), kT0 + i, kMs)}));
    if (r.ok()) {
      ++accepted;
    } else {
      refused = r.status();
    }
  }
  EXPECT_EQ(refused.code(), StatusCode::kResourceExhausted);
  EXPECT_NE(refused.message().find("memory limit"), std::string::npos);
  EXPECT_EQ(table_->stats().spans, accepted);
  EXPECT_EQ(table_->stats().refused_appends, 1);
  table_.reset();
  table_ = std::move(*TraceTable::Open(options_, /*background=*/false));
  EXPECT_EQ(table_->stats().spans, accepted);
}

TEST_F(TraceTableTest, TagNamesAndValuesMostFrequentFirst) {
  Append(Request("checkout", {MakeSpan(MakeTraceId(1), 1, 0, "a", kT0, kMs, "/checkout"),
                              MakeSpan(MakeTraceId(2), 1, 0, "b", kT0, kMs, "/checkout"),
                              MakeSpan(MakeTraceId(3), 1, 0, "c", kT0, kMs, "/orders/:id")}));
  Result<std::vector<std::string>> span_tags = table_->TagNames("span", {});
  ASSERT_TRUE(span_tags.ok());
  EXPECT_EQ(*span_tags, (std::vector<std::string>{"http.route"}));
  Result<std::vector<std::string>> all_tags = table_->TagNames("", {});
  EXPECT_EQ(*all_tags, (std::vector<std::string>{"http.route", "service.name"}));
  Result<std::vector<std::string>> values = table_->TagValues("span", "http.route", {}, 10);
  EXPECT_EQ(*values, (std::vector<std::string>{"/checkout", "/orders/:id"}));
  EXPECT_EQ(*table_->TagValues("resource", "service.name", {}, 10),
            (std::vector<std::string>{"checkout"}));
  EXPECT_EQ(table_->TagValues("span", "http.route", {}, 1)->size(), 1u);
}

}  // namespace
}  // namespace quartet::store

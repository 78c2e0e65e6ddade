// TraceTable::SearchSummaries: the same traces as SearchTraces, each once,
// with merged summaries, over the head, flushed blocks, a trace split
// between them, and after a restart.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>

#include "server/store/traces/trace_table.h"

namespace quartet::store {
namespace {

constexpr int64_t kMs = 1'000'000;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;

TraceId Id(uint8_t n) {
  TraceId id;
  id.bytes[0] = 0xcd;
  id.bytes[15] = n;
  return id;
}

otlp::Span Span(uint8_t trace, uint8_t id, uint8_t parent, std::string name, int64_t start,
                int64_t duration, std::string route = "", bool error = false) {
  otlp::Span s;
  s.trace_id = Id(trace);
  s.span_id.bytes[7] = id;
  if (parent != 0) s.parent_span_id.bytes[7] = parent;
  s.name = std::move(name);
  s.start_time_unix_nano = static_cast<uint64_t>(start);
  s.end_time_unix_nano = static_cast<uint64_t>(start + duration);
  if (!route.empty()) s.attributes.push_back({"http.route", otlp::AnyValue::String(route)});
  if (error) s.status.code = otlp::SpanStatusCode::kError;
  return s;
}

otlp::ExportTraceServiceRequest Batch(std::string service, std::vector<otlp::Span> spans) {
  otlp::ExportTraceServiceRequest r;
  otlp::ResourceSpans& rs = r.resource_spans.emplace_back();
  rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String(std::move(service))});
  otlp::ScopeSpans& ss = rs.scope_spans.emplace_back();
  ss.scope.name = "test";
  ss.spans = std::move(spans);
  return r;
}

class TraceSummariesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("trace_summaries_test_" + std::to_string(std::random_device{}()));
    options_.dir = dir_.string();
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    table_.reset();
    Result<std::unique_ptr<TraceTable>> t = TraceTable::Open(options_, /*background=*/false);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  void Append(const otlp::ExportTraceServiceRequest& r) {
    ASSERT_TRUE(table_->AppendSpans(r).ok());
  }
  // Trace number -> summary; fails the test when a trace comes twice.
  std::map<int, TraceSummary> Summaries(const TraceFilter& filter) {
    std::map<int, TraceSummary> out;
    EXPECT_TRUE(table_
                    ->SearchSummaries(
                        filter,
                        [&](const TraceSummary& s) {
                          EXPECT_TRUE(out.empty() || out.rbegin()->first < s.trace_id.bytes[15])
                              << "not in trace id order";
                          EXPECT_TRUE(out.emplace(s.trace_id.bytes[15], s).second)
                              << "trace " << int(s.trace_id.bytes[15]) << " twice";
                          return true;
                        })
                    .ok());
    return out;
  }
  std::map<int, TraceSummary> ViaSearchTraces(const TraceFilter& filter) {
    std::map<int, TraceSummary> out;
    EXPECT_TRUE(table_
                    ->SearchTraces(filter,
                                   [&](const TraceCandidate& c) {
                                     out.emplace(c.summary->trace_id.bytes[15], *c.summary);
                                     return true;
                                   })
                    .ok());
    return out;
  }

  // Traces 1..6: checkout requests (1 failed, 2 split: its db child comes
  // later), 7: a batch job of another service, 8: checkout at kT0 + 10 s.
  void AppendTraces(bool flush_between) {
    Append(Batch("checkout",
                 {Span(1, 1, 0, "GET /checkout", kT0, 300 * kMs, "/checkout", /*error=*/true),
                  Span(2, 1, 0, "GET /orders/:id", kT0 + 100 * kMs, 50 * kMs, "/orders/:id"),
                  Span(3, 1, 0, "GET /checkout", kT0 + 200 * kMs, 40 * kMs, "/checkout"),
                  Span(4, 1, 0, "GET /health", kT0 + 300 * kMs, 1 * kMs),
                  Span(5, 1, 0, "GET /checkout", kT0 + 400 * kMs, 45 * kMs, "/checkout"),
                  Span(6, 1, 0, "GET /checkout", kT0 + 500 * kMs, 35 * kMs, "/checkout")}));
    Append(Batch("batch", {Span(7, 1, 0, "nightly", kT0 + 50 * kMs, 900 * kMs)}));
    if (flush_between) {
      ASSERT_TRUE(table_->Flush().ok());
    }
    // Trace 2's database call arrives late and outlasts its root.
    Append(Batch("db", {Span(2, 2, 1, "SELECT orders", kT0 + 110 * kMs, 60 * kMs)}));
    Append(Batch("checkout",
                 {Span(8, 1, 0, "GET /checkout", kT0 + 10000 * kMs, 30 * kMs, "/checkout")}));
  }

  void ExpectTheTraces() {
    TraceFilter all;
    all.range = {kT0, kT0 + 20000 * kMs};
    all.service = "checkout";
    std::map<int, TraceSummary> got = Summaries(all);
    std::vector<int> keys;
    for (const auto& [k, s] : got) keys.push_back(k);
    EXPECT_EQ(keys, (std::vector<int>{1, 2, 3, 4, 5, 6, 8}));
    ASSERT_EQ(got.count(1), 1u);
    EXPECT_EQ(got[1].root_route, "/checkout");
    EXPECT_EQ(got[1].root_service, "checkout");
    EXPECT_TRUE(got[1].has_error);
    EXPECT_EQ(got[1].duration_ns(), 300 * kMs);
    ASSERT_EQ(got.count(2), 1u);
    EXPECT_EQ(got[2].root_name, "GET /orders/:id");
    EXPECT_EQ(got[2].span_count, 2);
    EXPECT_EQ(got[2].start_ns, kT0 + 100 * kMs);
    EXPECT_EQ(got[2].end_ns, kT0 + 170 * kMs);
    EXPECT_EQ(got[2].services, (std::vector<std::string>{"checkout", "db"}));
    EXPECT_FALSE(got[2].has_error);

    // The same traces and summaries as SearchTraces, for each kind of filter.
    TraceFilter db = all;
    db.service = "db";
    TraceFilter early = all;
    early.range = {kT0, kT0 + 1000 * kMs};
    TraceFilter route = all;
    route.root_route = "/checkout";
    TraceFilter slow;
    slow.range = all.range;
    slow.min_trace_duration_ns = 100 * kMs;
    TraceFilter failed = all;
    failed.span_has_error = true;
    TraceFilter nothing = all;
    nothing.service = "nobody";
    for (const TraceFilter* f : {&all, &db, &early, &route, &slow, &failed, &nothing}) {
      std::map<int, TraceSummary> a = Summaries(*f), b = ViaSearchTraces(*f);
      ASSERT_EQ(a.size(), b.size());
      for (const auto& [k, s] : b) {
        ASSERT_EQ(a.count(k), 1u) << "trace " << k;
        EXPECT_EQ(a[k].start_ns, s.start_ns);
        EXPECT_EQ(a[k].end_ns, s.end_ns);
        EXPECT_EQ(a[k].root_name, s.root_name);
        EXPECT_EQ(a[k].span_count, s.span_count);
      }
    }
    EXPECT_EQ(Summaries(db).size(), 1u);
    EXPECT_EQ(Summaries(early).size(), 6u);
    EXPECT_EQ(Summaries(route).size(), 5u);
    EXPECT_EQ(Summaries(slow).size(), 2u);  // trace 1 and the batch job
    EXPECT_EQ(Summaries(failed).size(), 1u);
    EXPECT_TRUE(Summaries(nothing).empty());
  }

  std::filesystem::path dir_;
  TableOptions options_;
  std::unique_ptr<TraceTable> table_;
};

TEST_F(TraceSummariesTest, HeadOnly) {
  AppendTraces(/*flush_between=*/false);
  ExpectTheTraces();
}

TEST_F(TraceSummariesTest, BlockAndHeadWithASplitTrace) {
  AppendTraces(/*flush_between=*/true);
  EXPECT_EQ(table_->stats().blocks, 1);
  ExpectTheTraces();
}

TEST_F(TraceSummariesTest, AllFlushedThenAfterRestart) {
  AppendTraces(/*flush_between=*/true);
  ASSERT_TRUE(table_->Flush().ok());
  EXPECT_EQ(table_->stats().blocks, 2);
  ExpectTheTraces();
  Reopen();
  ExpectTheTraces();
}

TEST_F(TraceSummariesTest, HeadReplayedAfterRestart) {
  AppendTraces(/*flush_between=*/true);
  Reopen();  // the block is loaded, the rest replayed from the WAL into the head
  ExpectTheTraces();
}

TEST_F(TraceSummariesTest, StopsWhenTheCallbackSaysSo) {
  AppendTraces(/*flush_between=*/true);
  TraceFilter all;
  all.range = {kT0, kT0 + 20000 * kMs};
  int calls = 0;
  ASSERT_TRUE(table_
                  ->SearchSummaries(all,
                                    [&](const TraceSummary&) {
                                      ++calls;
                                      return calls < 3;
                                    })
                  .ok());
  EXPECT_EQ(calls, 3);
}

TEST_F(TraceSummariesTest, FurtherRequiredSpansTakeTheGeneralPath) {
  AppendTraces(/*flush_between=*/true);
  TraceFilter f;
  f.range = {kT0, kT0 + 20000 * kMs};
  f.service = "checkout";
  TraceFilter other;
  other.service = "db";
  f.other_spans.push_back(other);
  std::map<int, TraceSummary> got = Summaries(f);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got.begin()->first, 2);
}

}  // namespace
}  // namespace quartet::store

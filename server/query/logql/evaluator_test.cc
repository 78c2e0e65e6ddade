#include "server/query/logql/evaluator.h"

#include <gtest/gtest.h>

#include "server/query/logql/memory_log_source.h"
#include "server/query/logql/parser.h"

namespace quartet::logql {
namespace {

constexpr int64_t kSec = 1'000'000'000;
using Points = std::vector<std::pair<int64_t, double>>;

Expr MustParse(const std::string& q) {
  auto e = Parse(q);
  EXPECT_TRUE(e.ok()) << q << ": " << e.status().ToString();
  return e.ok() ? *e : Expr();
}

class EvaluatorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // api: one line every 10 s from 10 s to 100 s; status alternates 200/500.
    for (int i = 1; i <= 10; ++i) {
      std::string status = i % 2 == 0 ? "500" : "200";
      source_.Add({{"app", "api"}, {"env", "prod"}}, i * 10 * kSec,
                  "{\"status\":" + status + ",\"ms\":" + std::to_string(i * 10) + "}",
                  {{"trace_id", "t" + std::to_string(i % 3)}});
    }
    // web: three lines.
    for (int i = 1; i <= 3; ++i) {
      source_.Add({{"app", "web"}, {"env", "prod"}}, (i * 10 + 5) * kSec, "level=info msg=ok");
    }
  }

  std::vector<Series> Range(const std::string& q, int64_t start, int64_t end, int64_t step) {
    auto r = EvaluateRange(MustParse(q), source_, start, end, step);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : std::vector<Series>{};
  }

  MemoryLogSource source_;
};

TEST_F(EvaluatorTest, LogsHonourLimitAndDirection) {
  auto back =
      EvaluateLogs(MustParse(R"({env="prod"})"), source_, 0, 1000 * kSec, 3, Direction::kBackward);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  // Metadata is part of each entry's labels: the three newest api entries
  // (100, 90, 80 s) carry three trace ids, so three streams.
  ASSERT_EQ(back->size(), 3u);
  EXPECT_EQ((*back)[0].labels, (Labels{{"app", "api"}, {"env", "prod"}, {"trace_id", "t0"}}));
  EXPECT_EQ((*back)[0].entries[0].first, 90 * kSec);
  EXPECT_EQ((*back)[1].entries[0].first, 100 * kSec);
  EXPECT_EQ((*back)[2].entries[0].first, 80 * kSec);
  for (const auto& s : *back) EXPECT_EQ(s.entries.size(), 1u);

  auto fwd = EvaluateLogs(MustParse(R"({env="prod"} | trace_id="" or app="web")"), source_, 0,
                          1000 * kSec, 2, Direction::kForward);
  ASSERT_TRUE(fwd.ok()) << fwd.status().ToString();
  ASSERT_EQ(fwd->size(), 1u);
  EXPECT_EQ((*fwd)[0].labels, (Labels{{"app", "web"}, {"env", "prod"}}));
  EXPECT_EQ((*fwd)[0].entries,
            (std::vector<std::pair<int64_t, std::string>>{{15 * kSec, "level=info msg=ok"},
                                                          {25 * kSec, "level=info msg=ok"}}));

  // [start, end): an entry at end is excluded.
  auto window = EvaluateLogs(MustParse(R"({app="api"})"), source_, 20 * kSec, 40 * kSec, 100,
                             Direction::kForward);
  ASSERT_TRUE(window.ok());
  size_t n = 0;
  for (const auto& s : *window) n += s.entries.size();
  EXPECT_EQ(n, 2u);
}

TEST_F(EvaluatorTest, LogsGroupByFinalLabels) {
  auto r = EvaluateLogs(MustParse(R"({app="api"} | json | status >= 500 | keep status)"), source_,
                        0, 1000 * kSec, 100, Direction::kBackward);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].labels, (Labels{{"status", "500"}}));
  EXPECT_EQ((*r)[0].entries.size(), 5u);
  EXPECT_EQ((*r)[0].entries.front().first, 100 * kSec);
}

TEST_F(EvaluatorTest, LogsRejectBadArguments) {
  EXPECT_FALSE(
      EvaluateLogs(MustParse(R"({app="api"})"), source_, 0, kSec, 0, Direction::kForward).ok());
  EXPECT_FALSE(
      EvaluateLogs(MustParse(R"({app="api"})"), source_, 0, kSec, 6000, Direction::kForward).ok());
  EXPECT_FALSE(
      EvaluateLogs(MustParse(R"(rate({app="api"}[1m]))"), source_, 0, kSec, 10, Direction::kForward)
          .ok());
}

TEST_F(EvaluatorTest, CountRateBytesAtExactSteps) {
  // Point at t covers (t - 30s, t].
  auto c =
      Range(R"(sum by (app) (count_over_time({app="api"}[30s])))", 30 * kSec, 60 * kSec, 15 * kSec);
  ASSERT_EQ(c.size(), 1u);
  EXPECT_EQ(c[0].labels, (Labels{{"app", "api"}}));
  EXPECT_EQ(c[0].points, (Points{{30 * kSec, 3}, {45 * kSec, 3}, {60 * kSec, 3}}));

  auto filtered = Range(R"(count_over_time({app="api"} |= "500" | drop trace_id [30s]))", 30 * kSec,
                        30 * kSec, kSec);
  ASSERT_EQ(filtered.size(), 1u);
  EXPECT_EQ(filtered[0].points, (Points{{30 * kSec, 1}}));

  auto rate = Range(R"(sum(rate({app="api"}[20s])))", 20 * kSec, 20 * kSec, kSec);
  ASSERT_EQ(rate.size(), 1u);
  EXPECT_EQ(rate[0].labels, Labels{});
  EXPECT_DOUBLE_EQ(rate[0].points[0].second, 2.0 / 20);

  auto bytes =
      Range(R"(sum by (app) (bytes_over_time({app="web"}[1m])))", 60 * kSec, 60 * kSec, kSec);
  ASSERT_EQ(bytes.size(), 1u);
  EXPECT_EQ(bytes[0].points, (Points{{60 * kSec, 3.0 * 17}}));
  auto bytes_rate = Range(R"(bytes_rate({app="web"}[10s]))", 15 * kSec, 15 * kSec, kSec);
  EXPECT_EQ(bytes_rate[0].points, (Points{{15 * kSec, 1.7}}));

  // No entries in the window: no point.
  auto empty = Range(R"(count_over_time({app="web"}[5s]))", 0, 50 * kSec, 25 * kSec);
  ASSERT_EQ(empty.size(), 1u);
  EXPECT_EQ(empty[0].points, (Points{{25 * kSec, 1}}));
}

TEST_F(EvaluatorTest, StructuredMetadataIsALabel) {
  auto r = Range(R"(sum by (trace_id) (count_over_time({app="api"}[100s])))", 100 * kSec,
                 100 * kSec, kSec);
  ASSERT_EQ(r.size(), 3u);
  EXPECT_EQ(r[0].labels, (Labels{{"trace_id", "t0"}}));
  EXPECT_EQ(r[0].points, (Points{{100 * kSec, 3}}));  // i = 3, 6, 9
  EXPECT_EQ(r[1].points, (Points{{100 * kSec, 4}}));  // i = 1, 4, 7, 10
}

TEST_F(EvaluatorTest, VectorAggregations) {
  auto by_status = Range(R"(sum by (status) (count_over_time({app="api"} | json [100s])))",
                         100 * kSec, 100 * kSec, kSec);
  ASSERT_EQ(by_status.size(), 2u);
  EXPECT_EQ(by_status[0].labels, (Labels{{"status", "200"}}));
  EXPECT_EQ(by_status[0].points, (Points{{100 * kSec, 5}}));

  auto top = Range(R"(topk(1, sum by (app) (count_over_time({env="prod"}[100s]))))", 100 * kSec,
                   100 * kSec, kSec);
  ASSERT_EQ(top.size(), 1u);
  EXPECT_EQ(top[0].labels, (Labels{{"app", "api"}}));
  EXPECT_EQ(top[0].points, (Points{{100 * kSec, 10}}));
  auto bottom = Range(R"(bottomk(1, sum by (app) (count_over_time({env="prod"}[100s]))))",
                      100 * kSec, 100 * kSec, kSec);
  ASSERT_EQ(bottom.size(), 1u);
  EXPECT_EQ(bottom[0].labels, (Labels{{"app", "web"}}));

  auto without = Range(R"(sum without (trace_id, env) (count_over_time({env="prod"}[100s])))",
                       100 * kSec, 100 * kSec, kSec);
  ASSERT_EQ(without.size(), 2u);
  EXPECT_EQ(without[0].labels, (Labels{{"app", "api"}}));

  auto counts =
      Range(R"(count(count_over_time({env="prod"}[100s])))", 100 * kSec, 100 * kSec, kSec);
  EXPECT_EQ(counts[0].points, (Points{{100 * kSec, 4}}));  // api x3 trace ids + web
  auto maxes = Range(R"(max(count_over_time({env="prod"}[100s])))", 100 * kSec, 100 * kSec, kSec);
  EXPECT_EQ(maxes[0].points, (Points{{100 * kSec, 4}}));
}

TEST_F(EvaluatorTest, UnwrappedRangeAggregations) {
  struct Case {
    const char* op;
    double want;
  };
  // ms over (0, 100s] for api: 10, 20, ..., 100.
  const Case cases[] = {
      {"sum_over_time", 550},    {"avg_over_time", 55},   {"max_over_time", 100},
      {"min_over_time", 10},     {"first_over_time", 10}, {"last_over_time", 100},
      {"stdvar_over_time", 825}, {"rate", 5.5},
  };
  for (const auto& c : cases) {
    auto r = Range(std::string(c.op) + R"(({app="api"} | json | unwrap ms [100s]) by (app))",
                   100 * kSec, 100 * kSec, kSec);
    ASSERT_EQ(r.size(), 1u) << c.op;
    EXPECT_EQ(r[0].labels, (Labels{{"app", "api"}}));
    EXPECT_DOUBLE_EQ(r[0].points[0].second, c.want) << c.op;
  }
  auto q = Range(R"(quantile_over_time(0.5, {app="api"} | json | unwrap ms [100s]) by (app))",
                 100 * kSec, 100 * kSec, kSec);
  EXPECT_DOUBLE_EQ(q[0].points[0].second, 55);
  auto dur = Range(
      R"(sum(sum_over_time({app="api"} | json | label_format d="{{.ms}}ms" | unwrap duration(d) [100s])))",
      100 * kSec, 100 * kSec, kSec);
  EXPECT_DOUBLE_EQ(dur[0].points[0].second, 0.55);
}

TEST_F(EvaluatorTest, PipelineErrorsFailMetricQueries) {
  auto r = EvaluateRange(MustParse(R"(count_over_time({env="prod"} | json [100s]))"), source_,
                         100 * kSec, 100 * kSec, kSec);
  ASSERT_FALSE(r.ok());
  EXPECT_NE(r.status().message().find("pipeline error: 'JSONParserErr'"), std::string_view::npos)
      << r.status().message();
  auto ok = Range(R"(sum(count_over_time({env="prod"} | json | __error__="" [100s])))", 100 * kSec,
                  100 * kSec, kSec);
  EXPECT_EQ(ok[0].points, (Points{{100 * kSec, 10}}));
  auto unwrap =
      EvaluateRange(MustParse(R"(sum_over_time({app="web"} | logfmt | unwrap msg [100s]))"),
                    source_, 100 * kSec, 100 * kSec, kSec);
  ASSERT_FALSE(unwrap.ok());
  EXPECT_NE(unwrap.status().message().find("SampleExtractionErr"), std::string_view::npos);
}

TEST_F(EvaluatorTest, BinaryOperations) {
  auto mul =
      Range(R"(sum(count_over_time({app="api"}[100s])) * 10 + 1)", 100 * kSec, 100 * kSec, kSec);
  EXPECT_EQ(mul[0].points, (Points{{100 * kSec, 101}}));
  auto cmp = Range(R"(sum by (app) (count_over_time({env="prod"}[100s])) > 5)", 100 * kSec,
                   100 * kSec, kSec);
  ASSERT_EQ(cmp.size(), 1u);
  EXPECT_EQ(cmp[0].labels, (Labels{{"app", "api"}}));
  EXPECT_EQ(cmp[0].points, (Points{{100 * kSec, 10}}));
  auto b = Range(R"(sum by (app) (count_over_time({env="prod"}[100s])) > bool 5)", 100 * kSec,
                 100 * kSec, kSec);
  ASSERT_EQ(b.size(), 2u);
  EXPECT_EQ(b[1].points, (Points{{100 * kSec, 0}}));
  auto vv = Range(
      R"(sum by (app) (count_over_time({env="prod"} |= "500" [100s])) / sum by (app) (count_over_time({env="prod"}[100s])))",
      100 * kSec, 100 * kSec, kSec);
  ASSERT_EQ(vv.size(), 1u);
  EXPECT_DOUBLE_EQ(vv[0].points[0].second, 0.5);
  // `or vector(0)`: fills the steps where the left side has no point.
  auto filled = Range(R"(sum(count_over_time({app="web"}[5s])) or vector(0))", 10 * kSec, 30 * kSec,
                      5 * kSec);
  ASSERT_EQ(filled.size(), 1u);
  EXPECT_EQ(
      filled[0].points,
      (Points{{10 * kSec, 0}, {15 * kSec, 1}, {20 * kSec, 0}, {25 * kSec, 1}, {30 * kSec, 0}}));
  auto both = Range(
      R"(sum by (app) (count_over_time({env="prod"}[100s])) and sum by (app) (count_over_time({app="web"}[100s])))",
      100 * kSec, 100 * kSec, kSec);
  ASSERT_EQ(both.size(), 1u);
  EXPECT_EQ(both[0].labels, (Labels{{"app", "web"}}));
  EXPECT_EQ(both[0].points, (Points{{100 * kSec, 3}}));
  auto unless = Range(
      R"(sum by (app) (count_over_time({env="prod"}[100s])) unless sum by (app) (count_over_time({app="web"}[100s])))",
      100 * kSec, 100 * kSec, kSec);
  ASSERT_EQ(unless.size(), 1u);
  EXPECT_EQ(unless[0].labels, (Labels{{"app", "api"}}));
  auto scalar = Range("2 ^ 3", 0, 2 * kSec, kSec);
  EXPECT_EQ(scalar[0].points, (Points{{0, 8}, {kSec, 8}, {2 * kSec, 8}}));
}

TEST_F(EvaluatorTest, AbsentOffsetAndInstant) {
  auto absent =
      Range(R"(absent_over_time({app="web", env=~"p.*"}[5s]))", 10 * kSec, 40 * kSec, 5 * kSec);
  ASSERT_EQ(absent.size(), 1u);
  EXPECT_EQ(absent[0].labels, (Labels{{"app", "web"}}));
  EXPECT_EQ(absent[0].points,
            (Points{{10 * kSec, 1}, {20 * kSec, 1}, {30 * kSec, 1}, {40 * kSec, 1}}));
  auto off = Range(R"(count_over_time({app="web"}[10s] offset 10s))", 25 * kSec, 25 * kSec, kSec);
  EXPECT_EQ(off[0].points, (Points{{25 * kSec, 1}}));  // covers (5s, 15s]
  auto inst =
      EvaluateInstant(MustParse(R"(sum(count_over_time({app="api"}[1m])))"), source_, 100 * kSec);
  ASSERT_TRUE(inst.ok());
  EXPECT_EQ((*inst)[0].points, (Points{{100 * kSec, 6}}));
}

TEST_F(EvaluatorTest, LimitsAndBadSteps) {
  Expr e = MustParse(R"(count_over_time({app="api"}[1m]))");
  auto tiny = EvaluateRange(e, source_, 0, 20000 * kSec, kSec);
  ASSERT_FALSE(tiny.ok());
  EXPECT_NE(tiny.status().message().find("maximum resolution of 11000 points"),
            std::string_view::npos);
  EXPECT_FALSE(EvaluateRange(e, source_, 0, kSec, 0).ok());
  EXPECT_FALSE(EvaluateRange(e, source_, kSec, 0, kSec).ok());
  EXPECT_FALSE(EvaluateRange(MustParse(R"({app="api"})"), source_, 0, kSec, kSec).ok());
  EvalLimits limits;
  limits.max_series = 2;
  auto many = EvaluateRange(e, source_, 100 * kSec, 100 * kSec, kSec, limits);
  ASSERT_FALSE(many.ok());
  EXPECT_EQ(many.status().code(), StatusCode::kResourceExhausted);
  limits.max_series = 100;
  limits.max_samples = 5;
  auto samples = EvaluateRange(e, source_, 100 * kSec, 100 * kSec, kSec, limits);
  EXPECT_EQ(samples.status().code(), StatusCode::kResourceExhausted);
}

}  // namespace
}  // namespace quartet::logql

namespace quartet::logql {
namespace {

// A source that breaks the ordering contract of log_source.h.
class UnorderedSource : public LogSource {
 public:
  Status Scan(const std::vector<LabelMatcher>&, const std::vector<LineFilter>&, int64_t, int64_t,
              Direction, const EntryFn& fn) override {
    Labels stream = {{"app", "a"}};
    fn(stream, 2, "second", {});
    fn(stream, 1, "first", {});
    return Status::Ok();
  }
};

class FailingSource : public LogSource {
 public:
  Status Scan(const std::vector<LabelMatcher>&, const std::vector<LineFilter>&, int64_t, int64_t,
              Direction, const EntryFn&) override {
    return Status::DataLoss("block 7: checksum mismatch");
  }
};

TEST(EvaluatorContractTest, SourceErrorsAndOrderViolationsSurface) {
  auto e = Parse(R"({app="a"})");
  ASSERT_TRUE(e.ok());
  UnorderedSource unordered;
  auto r = EvaluateLogs(*e, unordered, 0, 10, 10, Direction::kForward);
  EXPECT_EQ(r.status().code(), StatusCode::kInternal);
  FailingSource failing;
  auto f = EvaluateLogs(*e, failing, 0, 10, 10, Direction::kForward);
  EXPECT_EQ(f.status().code(), StatusCode::kDataLoss);
  auto m = Parse(R"(count_over_time({app="a"}[1s]))");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(EvaluateRange(*m, failing, 0, 10, 1).status().code(), StatusCode::kDataLoss);
  // Range aggregations tolerate (and sort) out-of-order delivery.
  auto sorted = EvaluateRange(*m, unordered, 2, 2, 1);
  ASSERT_TRUE(sorted.ok());
  ASSERT_EQ(sorted->size(), 1u);
  EXPECT_EQ((*sorted)[0].points, (std::vector<std::pair<int64_t, double>>{{2, 2}}));
}

}  // namespace
}  // namespace quartet::logql

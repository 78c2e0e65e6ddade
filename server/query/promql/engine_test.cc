#include "server/query/promql/engine.h"

#include <gtest/gtest.h>

#include <cmath>

#include "server/query/promql/memory_series_source.h"
#include "server/query/promql/result_json.h"

namespace quartet::promql {
namespace {

constexpr int64_t kMin = 60'000;

// Series every 15 s (or as given) from t=0.
std::vector<Point> Line(int64_t from, int64_t to, int64_t step, double start, double inc) {
  std::vector<Point> out;
  double v = start;
  for (int64_t t = from; t <= to; t += step, v += inc) out.push_back(Point{t, v});
  return out;
}

class EngineTest : public ::testing::Test {
 protected:
  void SetUp() override {
    // A counter rising by 1 every 15 s for 20 minutes.
    src_.Add({{"__name__", "c"}, {"job", "a"}}, Line(0, 20 * kMin, 15'000, 0, 1));
    // The same counter with a reset at 10m (back to 0).
    std::vector<Point> reset = Line(0, 10 * kMin - 15'000, 15'000, 0, 1);
    for (Point p : Line(10 * kMin, 20 * kMin, 15'000, 0, 1)) reset.push_back(p);
    src_.Add({{"__name__", "c"}, {"job", "b"}}, reset);
    // A gauge that goes stale at 5m.
    std::vector<Point> stale = Line(0, 5 * kMin - 15'000, 15'000, 7, 0);
    stale.push_back(Point{5 * kMin, StaleNaN()});
    src_.Add({{"__name__", "g"}, {"job", "stale"}}, stale);
    // A gauge with a gap from 2m to 9m.
    std::vector<Point> gap = Line(0, 2 * kMin, 15'000, 1, 0);
    for (Point p : Line(9 * kMin, 12 * kMin, 15'000, 2, 0)) gap.push_back(p);
    src_.Add({{"__name__", "g"}, {"job", "gap"}}, gap);
    // Histogram buckets.
    const std::pair<const char*, double> buckets[] = {
        {"0.1", 10}, {"0.5", 30}, {"1", 40}, {"+Inf", 40}};
    for (const auto& [le, v] : buckets) {
      src_.Add({{"__name__", "h_bucket"}, {"le", le}}, {{0, v}});
    }
  }

  QueryResult Instant(const std::string& q, int64_t t) {
    Result<QueryResult> r = engine_.Instant(q, t);
    EXPECT_TRUE(r.ok()) << q << ": " << r.status().ToString();
    return r.ok() ? *r : QueryResult{};
  }
  // Value of the only sample of an instant vector (or the scalar).
  double One(const std::string& q, int64_t t) {
    QueryResult r = Instant(q, t);
    if (r.type == ValueType::kScalar) return r.scalar;
    EXPECT_EQ(r.vector.size(), 1u) << q;
    return r.vector.empty() ? NAN : r.vector[0].v;
  }

  MemorySeriesSource src_;
  Engine engine_{&src_};
};

TEST_F(EngineTest, ScalarsAndArithmetic) {
  struct Case {
    const char* q;
    double want;
  } cases[] = {
      {"1 + 2 * 3", 7},
      {"2 ^ 3 ^ 2", 512},
      {"-2 ^ 2", -4},
      {"7 % 4", 3},
      {"1 / 0", INFINITY},
      {"1 > bool 2", 0},
      {"0x10 + 010", 24},
      {"time()", 600},
      {"scalar(c{job=\"a\"})", 40},
      {"vector(3) + 1", 4},
      {"minute(vector(3600 * 5 + 60 * 7))", 7},
      {"days_in_month(vector(1709251200))", 31},  // 2024-03-01
      {"month(vector(1709164800))", 2},           // 2024-02-29
      {"day_of_week(vector(0))", 4},              // Thursday
      {"year(vector(1709164800))", 2024},
  };
  for (const Case& c : cases) EXPECT_DOUBLE_EQ(One(c.q, 10 * kMin), c.want) << c.q;
}

TEST_F(EngineTest, LookbackAndStaleness) {
  // Within lookback the last sample is returned; a StaleNaN ends the series
  // at once; otherwise a series vanishes 5m after its last sample.
  EXPECT_EQ(Instant("g{job=\"stale\"}", 5 * kMin - 1).vector.size(), 1u);
  EXPECT_EQ(Instant("g{job=\"stale\"}", 5 * kMin).vector.size(), 0u);
  EXPECT_EQ(Instant("g{job=\"stale\"}", 6 * kMin).vector.size(), 0u);
  EXPECT_EQ(Instant("g{job=\"gap\"}", 7 * kMin).vector.size(), 1u);  // 2m + 5m: inclusive
  EXPECT_EQ(Instant("g{job=\"gap\"}", 7 * kMin + 1).vector.size(), 0u);
  EXPECT_DOUBLE_EQ(One("g{job=\"gap\"}", 9 * kMin), 2);
  // Range selectors skip the marker.
  EXPECT_DOUBLE_EQ(One("count_over_time(g{job=\"stale\"}[10m])", 6 * kMin), 20);
  EXPECT_DOUBLE_EQ(One("last_over_time(g{job=\"stale\"}[10m])", 6 * kMin), 7);
  EXPECT_EQ(Instant("g{job=\"stale\"} offset 1m", 6 * kMin - 1).vector.size(), 1u);
  EXPECT_EQ(Instant("g{job=\"stale\"} @ 240", 20 * kMin).vector.size(), 1u);
}

TEST_F(EngineTest, RateExtrapolation) {
  // 1 per 15 s; window (5m, 10m] holds 21 samples exactly on the edges:
  // increase = 20 over 300 s sampled, extrapolated to the full 300 s.
  EXPECT_DOUBLE_EQ(One("increase(c{job=\"a\"}[5m])", 10 * kMin), 20);
  EXPECT_DOUBLE_EQ(One("rate(c{job=\"a\"}[5m])", 10 * kMin), 20.0 / 300);
  EXPECT_DOUBLE_EQ(One("irate(c{job=\"a\"}[5m])", 10 * kMin), 1.0 / 15);
  EXPECT_DOUBLE_EQ(One("idelta(c{job=\"a\"}[5m])", 10 * kMin), 1);
  EXPECT_DOUBLE_EQ(One("deriv(c{job=\"a\"}[5m])", 10 * kMin), 1.0 / 15);
  // Window [7m10s, 12m10s]: samples 7m15s..12m0s, 20 of them, the counter
  // resets at 10m: increase = (last - first) + value before reset.
  double first = 7 * 4 + 1, before_reset = 39, last = 8;
  double raw = last - first + before_reset;
  double sampled = 285, avg = sampled / 19;
  double to_start = 5, to_end = 10;
  double ext = sampled + (to_start < avg * 1.1 ? to_start : avg / 2) +
               (to_end < avg * 1.1 ? to_end : avg / 2);
  EXPECT_NEAR(One("increase(c{job=\"b\"}[5m])", 12 * kMin + 10'000), raw * ext / sampled, 1e-9);
  EXPECT_DOUBLE_EQ(One("resets(c{job=\"b\"}[20m])", 20 * kMin), 1);
  // Counter extrapolation stops at zero: the first sample (0) is at t=0.
  // Window [-5s, 4m55s]: 0..19 at 0s..285s; extrapolated 0s to the start
  // (zero point), 10 s to the end.
  EXPECT_DOUBLE_EQ(One("increase(c{job=\"a\"}[5m])", 4 * kMin + 55'000), 19.0 * 295 / 285);
  // Fewer than two samples: no result.
  EXPECT_EQ(Instant("rate(g{job=\"gap\"}[10s])", 9 * kMin).vector.size(), 0u);
}

TEST_F(EngineTest, NameDroppingAndMatching) {
  QueryResult r = Instant("c * 2", 10 * kMin);
  ASSERT_EQ(r.vector.size(), 2u);
  for (const VectorSample& s : r.vector) EXPECT_EQ(GetLabel(s.labels, "__name__"), "");
  r = Instant("c > 10", 10 * kMin);
  ASSERT_EQ(r.vector.size(), 1u);  // job b reset to 0 at 10m
  EXPECT_EQ(GetLabel(r.vector[0].labels, "__name__"), "c");
  r = Instant("c > bool 10", 10 * kMin);
  ASSERT_EQ(r.vector.size(), 2u);
  EXPECT_EQ(GetLabel(r.vector[0].labels, "__name__"), "");
  EXPECT_DOUBLE_EQ(One("last_over_time(c{job=\"a\"}[1m]) - 40", 10 * kMin), 0);
  EXPECT_EQ(
      GetLabel(Instant("last_over_time(c{job=\"a\"}[1m])", 10 * kMin).vector[0].labels, "__name__"),
      "c");

  Result<QueryResult> err = engine_.Instant("c + on() c", 10 * kMin);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(ErrorType(err.status()), "execution");
  EXPECT_NE(err.status().message().find("found duplicate series for the match group"),
            std::string_view::npos);
  err = engine_.Instant("c + ignoring(job) group_left vector(1)", 10 * kMin);
  ASSERT_TRUE(err.ok()) << err.status().ToString();
  err = engine_.Instant("vector(1) + on() group_right c", 10 * kMin);
  ASSERT_TRUE(err.ok()) << err.status().ToString();
  EXPECT_EQ(err->vector.size(), 2u);
  err = engine_.Instant("label_replace(c, \"job\", \"x\", \"job\", \".*\")", 10 * kMin);
  ASSERT_FALSE(err.ok());
  EXPECT_EQ(err.status().message(), "vector cannot contain metrics with the same labelset");
}

TEST_F(EngineTest, AggregationsAndHistogramQuantile) {
  EXPECT_DOUBLE_EQ(One("sum(c)", 5 * kMin), 40);
  EXPECT_DOUBLE_EQ(One("count(c)", 5 * kMin), 2);
  EXPECT_DOUBLE_EQ(One("stddev(vector(1) or vector(3))", 0), 0);
  EXPECT_EQ(Instant("topk(1, c)", 15 * kMin).vector[0].labels,
            (Labels{{"__name__", "c"}, {"job", "a"}}));
  EXPECT_EQ(Instant("count_values(\"v\", c)", 5 * kMin).vector[0].labels, (Labels{{"v", "20"}}));
  // rank 0.5*40 = 20 falls in (0.1, 0.5]: 0.1 + 0.4 * (10/20).
  EXPECT_DOUBLE_EQ(One("histogram_quantile(0.5, h_bucket)", 60'000), 0.3);
  EXPECT_DOUBLE_EQ(One("histogram_quantile(1, h_bucket)", 60'000), 1);
  EXPECT_TRUE(std::isinf(One("histogram_quantile(2, h_bucket)", 60'000)));
  EXPECT_TRUE(std::isnan(One("histogram_quantile(0.5, h_bucket{le!=\"+Inf\"})", 60'000)));
}

TEST_F(EngineTest, SubqueriesAlignToAbsoluteSteps) {
  // Steps at multiples of 1m in [10m - 5m, 10m]: 6 points.
  EXPECT_DOUBLE_EQ(One("count_over_time(c{job=\"a\"}[5m:1m])", 10 * kMin), 6);
  EXPECT_DOUBLE_EQ(One("count_over_time(c{job=\"a\"}[5m:1m])", 10 * kMin + 30'000), 5);
  EXPECT_DOUBLE_EQ(One("max_over_time(rate(c{job=\"a\"}[1m])[5m:])", 10 * kMin), 1.0 / 15);
}

TEST_F(EngineTest, RangeQueryAndJson) {
  Result<QueryResult> r = engine_.Range("g{job=\"stale\"}", 4 * kMin, 6 * kMin, kMin);
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->matrix.size(), 1u);
  EXPECT_EQ(r->matrix[0].points, (std::vector<Point>{{4 * kMin, 7}}));
  EXPECT_EQ(RenderSuccessJson(*r),
            "{\"status\":\"success\",\"data\":{\"resultType\":\"matrix\",\"result\":[{\"metric\":"
            "{\"__name__\":\"g\",\"job\":\"stale\"},\"values\":[[240,\"7\"]]}]}}");
  QueryResult s = Instant("1 / 0", 1500);
  EXPECT_EQ(RenderDataJson(s), "{\"resultType\":\"scalar\",\"result\":[1.5,\"+Inf\"]}");
  Result<QueryResult> bad = engine_.Range("c[5m]", 0, kMin, 15'000);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(ErrorType(bad.status()), "bad_data");
  EXPECT_EQ(RenderErrorJson("bad_data", "x\"y"),
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"x\\\"y\"}");
}

TEST_F(EngineTest, LabelFunctionsAndAbsent) {
  QueryResult r =
      Instant("label_replace(c{job=\"a\"}, \"dst\", \"$1-${1}x\", \"job\", \"(.*)\")", kMin);
  ASSERT_EQ(r.vector.size(), 1u);
  EXPECT_EQ(GetLabel(r.vector[0].labels, "dst"), "a-ax");
  r = Instant("label_replace(c{job=\"a\"}, \"dst\", \"$1x\", \"job\", \"(.*)\")", kMin);
  EXPECT_EQ(GetLabel(r.vector[0].labels, "dst"), "");  // $1x names group "1x"
  r = Instant("label_join(c{job=\"a\"}, \"dst\", \"-\", \"job\", \"__name__\")", kMin);
  EXPECT_EQ(GetLabel(r.vector[0].labels, "dst"), "a-c");
  r = Instant("absent(nope{a=\"1\", b=~\"x\", c=\"2\", c=\"3\"})", kMin);
  ASSERT_EQ(r.vector.size(), 1u);
  EXPECT_EQ(r.vector[0].labels, (Labels{{"a", "1"}}));
  EXPECT_EQ(Instant("absent(c)", kMin).vector.size(), 0u);
  EXPECT_EQ(Instant("absent_over_time(g{job=\"stale\"}[1m])", 6 * kMin + 1).vector.size(), 1u);
  EXPECT_DOUBLE_EQ(One("timestamp(g{job=\"gap\"})", 5 * kMin), 120);
  EXPECT_DOUBLE_EQ(One("timestamp(-g{job=\"gap\"})", 5 * kMin), 300);
}

}  // namespace
}  // namespace quartet::promql

namespace quartet::promql {
namespace {

// As Prometheus evaluates a range function over the whole range at once,
// two series that differ only in __name__ collide even at different steps.
TEST(EngineRange, RangeFunctionOutputsCollideAcrossSteps) {
  MemorySeriesSource src;
  src.Add({{"__name__", "early"}, {"job", "x"}}, Line(0, 10 * kMin, 15'000, 0, 1));
  src.Add({{"__name__", "late"}, {"job", "x"}}, Line(30 * kMin, 40 * kMin, 15'000, 0, 1));
  Engine engine(&src);
  const char* q = "rate({__name__=~\"early|late\"}[5m])";
  Result<QueryResult> r = engine.Range(q, 5 * kMin, 35 * kMin, kMin);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().message(), "vector cannot contain metrics with the same labelset");
  EXPECT_TRUE(engine.Range(q, 5 * kMin, 15 * kMin, kMin).ok());
  EXPECT_TRUE(engine.Instant(q, 35 * kMin).ok());
  EXPECT_TRUE(
      engine.Range("last_over_time({__name__=~\"early|late\"}[5m])", 5 * kMin, 35 * kMin, kMin)
          .ok());
}

}  // namespace
}  // namespace quartet::promql

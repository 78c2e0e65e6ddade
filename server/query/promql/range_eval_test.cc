// Range queries over all steps at once (range_eval.cc) against the
// step-by-step reference path (EngineOptions::step_by_step): the same series,
// the same points and bit-identical values, or the same error, for each
// query of a table over counters with resets, gauges with NaN and ±Inf,
// staleness markers, gaps longer than the lookback, classic histograms and
// series that differ only in their name.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>

#include "server/query/promql/engine.h"
#include "server/query/promql/evaluator.h"
#include "server/query/promql/memory_series_source.h"
#include "server/query/promql/parser.h"

namespace quartet::promql {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000;
constexpr int64_t kMin = 60'000;

uint64_t Bits(double v) {
  uint64_t b;
  std::memcpy(&b, &v, sizeof b);
  return b;
}

class RangeEvalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    uint32_t x = 7;
    auto next = [&x] {
      x = x * 1664525u + 1013904223u;
      return (x >> 20) % 100;
    };
    // Counters with resets and irregular increments, 3 routes x 2 jobs.
    for (int job = 0; job < 2; ++job) {
      for (int route = 0; route < 3; ++route) {
        std::vector<Point> pts;
        double v = 0;
        for (int64_t t = kT0 - 20 * kMin; t <= kT0 + 60 * kMin; t += 15'000) {
          v = next() < 2 ? 0 : v + static_cast<double>(next() % 10);
          pts.push_back({t + static_cast<int64_t>(next() % 3) * 100, v});
        }
        src_.Add({{"__name__", "req_total"},
                  {"job", "j" + std::to_string(job)},
                  {"route", "/r" + std::to_string(route)}},
                 pts);
      }
    }
    // A gauge with NaN, +Inf and -Inf, a staleness marker and a gap.
    std::vector<Point> g;
    for (int64_t t = kT0 - 10 * kMin; t <= kT0 + 60 * kMin; t += 30'000) {
      if (t > kT0 + 20 * kMin && t < kT0 + 35 * kMin) continue;  // gap > 5m
      double v = static_cast<double>(next()) - 50;
      if (next() < 5) v = std::numeric_limits<double>::quiet_NaN();
      if (next() < 3) v = std::numeric_limits<double>::infinity();
      if (next() < 3) v = -std::numeric_limits<double>::infinity();
      g.push_back({t, v});
    }
    g.push_back({kT0 + 61 * kMin, StaleNaN()});
    src_.Add({{"__name__", "temp"}, {"job", "j0"}}, g);
    // A series that goes stale in the middle of the range, then returns.
    std::vector<Point> s;
    for (int64_t t = kT0; t <= kT0 + 60 * kMin; t += 15'000) {
      s.push_back({t, t >= kT0 + 30 * kMin && t < kT0 + 32 * kMin ? StaleNaN() : 1.0});
    }
    src_.Add({{"__name__", "up"}, {"job", "j1"}}, s);
    // Two metrics with the same other labels: dropping the name collides.
    src_.Add({{"__name__", "dup_a"}, {"job", "j0"}}, {{kT0, 1}, {kT0 + 15'000, 2}});
    src_.Add({{"__name__", "dup_b"}, {"job", "j0"}}, {{kT0 + 30 * kMin, 5}});
    // Classic histograms per job, one with a malformed bound.
    const char* les[] = {"0.1", "0.5", "1", "+Inf", "bad"};
    for (int job = 0; job < 2; ++job) {
      double c[5] = {0, 0, 0, 0, 0};
      std::vector<Point> b[5];
      for (int64_t t = kT0 - 10 * kMin; t <= kT0 + 60 * kMin; t += 15'000) {
        double n = static_cast<double>(next() % 20);
        c[0] += n * 0.2;
        c[1] += n * 0.6;
        c[2] += n * 0.9;
        c[3] += n;
        c[4] += 1;
        for (int i = 0; i < 5; ++i) b[i].push_back({t, c[i]});
      }
      for (int i = 0; i < 5; ++i) {
        src_.Add({{"__name__", "lat_bucket"}, {"job", "j" + std::to_string(job)}, {"le", les[i]}},
                 b[i]);
      }
    }
  }

  MemorySeriesSource src_;
};

TEST_F(RangeEvalTest, AllStepsAgreesWithStepByStep) {
  EngineOptions reference_options;
  reference_options.step_by_step = true;
  Engine fast(&src_);
  Engine reference(&src_, reference_options);
  const char* queries[] = {
      "req_total",
      "temp",
      "up",
      "rate(req_total[5m])",
      "increase(req_total[2m])",
      "delta(temp[5m])",
      "irate(req_total[1m])",
      "idelta(temp[1m])",
      "deriv(temp[10m])",
      "predict_linear(req_total[10m], 3600)",
      "changes(temp[10m])",
      "resets(req_total[30m])",
      "avg_over_time(temp[5m])",
      "sum_over_time(temp[5m])",
      "count_over_time(up[5m])",
      "max_over_time(temp[5m])",
      "min_over_time(temp[5m])",
      "stddev_over_time(temp[5m])",
      "stdvar_over_time(temp[5m])",
      "quantile_over_time(0.9, temp[10m])",
      "last_over_time(up[1m])",
      "present_over_time(up[1m])",
      "rate(req_total[5m] offset 10m)",
      "rate(req_total[5m] @ 1700001800)",
      "temp offset 3m",
      "sum by (job, route) (rate(req_total[5m]))",
      "sum without (route) (rate(req_total[5m]))",
      "avg(temp)",
      "count by (job) (req_total)",
      "min by (route) (irate(req_total[1m]))",
      "max(temp)",
      "group by (job) (req_total)",
      "stddev by (job) (rate(req_total[5m]))",
      "stdvar(temp)",
      "sum(sum by (job) (rate(req_total[5m])))",
      "histogram_quantile(0.99, sum by (job, le) (rate(lat_bucket[5m])))",
      "histogram_quantile(0.5, rate(lat_bucket[5m]))",
      "histogram_quantile(0.9, sum by (le) (rate(lat_bucket[5m])))",
      "histogram_quantile(1.5, sum by (le) (rate(lat_bucket[5m])))",
      "histogram_quantile(NaN, sum by (le) (rate(lat_bucket[5m])))",
      "rate(req_total[5m]) * 60",
      "100 - temp",
      "temp > 10",
      "10 < temp",
      "temp >= bool 0",
      "sum(rate(req_total[5m])) / 2",
      // Collisions: the step-by-step path decides (an error here).
      "rate({__name__=~\"dup_.\"}[5m])",
      "sum_over_time({__name__=~\"dup_.\"}[1h])",
      "{__name__=~\"dup_.\"} * 2",
      "last_over_time({__name__=~\"dup_.\"}[1h])",
      // Shapes the all-steps path leaves to the step-by-step one.
      "topk(2, rate(req_total[5m]))",
      "rate(req_total[5m]) / on(job, route) rate(req_total[10m])",
      "max_over_time(rate(req_total[5m])[10m:1m])",
      "absent_over_time(nothing[5m])",
      "holt_winters(temp[10m], 0.5, 0.5)",
  };
  for (const char* q : queries) {
    for (int64_t step : {15'000, 60'000, 7'000}) {
      SCOPED_TRACE(std::string(q) + " step " + std::to_string(step));
      Result<QueryResult> a = fast.Range(q, kT0, kT0 + 60 * kMin, step);
      Result<QueryResult> b = reference.Range(q, kT0, kT0 + 60 * kMin, step);
      ASSERT_EQ(a.ok(), b.ok()) << (a.ok() ? b.status() : a.status()).ToString();
      if (!a.ok()) {
        EXPECT_EQ(a.status().code(), b.status().code());
        EXPECT_EQ(a.status().message(), b.status().message());
        continue;
      }
      EXPECT_FALSE(a->matrix.empty());
      ASSERT_EQ(a->matrix.size(), b->matrix.size());
      for (size_t i = 0; i < a->matrix.size(); ++i) {
        const Series& x = a->matrix[i];
        const Series& y = b->matrix[i];
        ASSERT_EQ(x.labels, y.labels) << LabelsToString(x.labels);
        ASSERT_EQ(x.points.size(), y.points.size()) << LabelsToString(x.labels);
        for (size_t j = 0; j < x.points.size(); ++j) {
          EXPECT_EQ(x.points[j].t, y.points[j].t);
          EXPECT_TRUE(Bits(x.points[j].v) == Bits(y.points[j].v) ||
                      (std::isnan(x.points[j].v) && std::isnan(y.points[j].v)))
              << LabelsToString(x.labels) << " at " << x.points[j].t << ": " << x.points[j].v
              << " vs " << y.points[j].v;
        }
      }
    }
  }
}

// Which shapes take the all-steps path: a regression here is a silent
// slowdown, not a wrong answer.
TEST_F(RangeEvalTest, CoversDashboardShapes) {
  const auto covered = [&](const char* q) {
    Result<ExprPtr> e = Parse(q);
    EXPECT_TRUE(e.ok()) << q;
    if (!e.ok()) return false;
    internal::Evaluator ev(&src_, EngineOptions{}, kT0, kT0 + 60 * kMin);
    EXPECT_TRUE(ev.Prepare(**e).ok()) << q;
    Result<std::optional<internal::StepMatrix>> r = ev.EvalAllSteps(**e, 15'000);
    EXPECT_TRUE(r.ok()) << q;
    return r.ok() && r->has_value();
  };
  const struct {
    const char* query;
    bool covered;
  } cases[] = {
      {"sum by (job, route) (rate(req_total[5m]))", true},
      {"histogram_quantile(0.99, sum by (job, le) (rate(lat_bucket[5m])))", true},
      {"(rate(req_total[5m]))", true},
      {"avg_over_time(temp[5m]) > 3", true},
      {"temp", true},
      {"topk(3, temp)", false},
      {"rate(req_total[5m]) / rate(req_total[10m])", false},
      {"rate(req_total[5m:1m])", false},
      {"histogram_quantile(scalar(temp), rate(lat_bucket[5m]))", false},
      {"quantile_over_time(scalar(temp), temp[5m])", false},
      {"sum_over_time({__name__=~\"dup_.\"}[1h])", false},  // would collide
      {"abs(temp)", false},
      {"1 + 1", false},
  };
  for (const auto& c : cases) EXPECT_EQ(covered(c.query), c.covered) << c.query;
}

}  // namespace
}  // namespace quartet::promql

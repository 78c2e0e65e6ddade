#include "wire/prometheus/text_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace quartet::prometheus {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

std::vector<Family> Sample() {
  std::vector<Family> families;
  Family counter{"http_requests", "Requests served.", MetricType::kCounter, {}};
  Point p;
  p.labels = {{"method", "GET"}, {"route", "/a\\b\"c\nd"}};
  p.value = 3;
  p.exemplar =
      Exemplar{{{"trace_id", "0af7651916cd43dd8448eb211c80319c"}, {"span_id", "b7ad6b7169203331"}},
               1,
               1'700'000'000'250'000'000};
  counter.points.push_back(p);
  families.push_back(counter);

  Family gauge{"temperature_celsius", "Line one\nback\\slash \"quoted\"", MetricType::kGauge, {}};
  Point g;
  g.value = -1.5;
  gauge.points.push_back(g);
  families.push_back(gauge);

  Family hist{"latency_seconds", "Latency.", MetricType::kHistogram, {}};
  Point h;
  h.labels = {{"route", "/x"}};
  h.buckets = {{0.1, 1, std::nullopt},
               {1, 3, Exemplar{{{"trace_id", "ab"}}, 0.5, 0}},
               {kInf, 4, std::nullopt}};
  h.sum = 7.25;
  h.count = 4;
  hist.points.push_back(h);
  families.push_back(hist);

  Family info{"target", "Target metadata.", MetricType::kInfo, {}};
  Point i;
  i.labels = {{"service_name", "checkout"}};
  info.points.push_back(i);
  families.push_back(info);
  return families;
}

TEST(TextFormatTest, Text004Golden) {
  EXPECT_EQ(WriteText004(Sample()),
            "# HELP http_requests_total Requests served.\n"
            "# TYPE http_requests_total counter\n"
            "http_requests_total{method=\"GET\",route=\"/a\\\\b\\\"c\\nd\"} 3\n"
            "# HELP temperature_celsius Line one\\nback\\\\slash \"quoted\"\n"
            "# TYPE temperature_celsius gauge\n"
            "temperature_celsius -1.5\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"
            "latency_seconds_bucket{route=\"/x\",le=\"1\"} 3\n"
            "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{route=\"/x\"} 7.25\n"
            "latency_seconds_count{route=\"/x\"} 4\n"
            "# HELP target_info Target metadata.\n"
            "# TYPE target_info gauge\n"
            "target_info{service_name=\"checkout\"} 1\n");
}

TEST(TextFormatTest, OpenMetricsGolden) {
  EXPECT_EQ(WriteOpenMetrics(Sample()),
            "# HELP http_requests Requests served.\n"
            "# TYPE http_requests counter\n"
            "http_requests_total{method=\"GET\",route=\"/a\\\\b\\\"c\\nd\"} 3.0 # "
            "{trace_id=\"0af7651916cd43dd8448eb211c80319c\",span_id=\"b7ad6b7169203331\"} 1.0 "
            "1700000000.25\n"
            "# HELP temperature_celsius Line one\\nback\\\\slash \\\"quoted\\\"\n"
            "# TYPE temperature_celsius gauge\n"
            "temperature_celsius -1.5\n"
            "# HELP latency_seconds Latency.\n"
            "# TYPE latency_seconds histogram\n"
            "latency_seconds_bucket{route=\"/x\",le=\"0.1\"} 1\n"
            "latency_seconds_bucket{route=\"/x\",le=\"1.0\"} 3 # {trace_id=\"ab\"} 0.5\n"
            "latency_seconds_bucket{route=\"/x\",le=\"+Inf\"} 4\n"
            "latency_seconds_sum{route=\"/x\"} 7.25\n"
            "latency_seconds_count{route=\"/x\"} 4\n"
            "# HELP target Target metadata.\n"
            "# TYPE target info\n"
            "target_info{service_name=\"checkout\"} 1\n"
            "# EOF\n");
}

TEST(TextFormatTest, EmptyExpositions) {
  EXPECT_EQ(WriteText004({}), "");
  EXPECT_EQ(WriteOpenMetrics({}), "# EOF\n");
}

TEST(TextFormatTest, NoHelpLineWhenHelpEmpty) {
  Family f{"up", "", MetricType::kUnknown, {Point{}}};
  EXPECT_EQ(WriteText004({f}), "# TYPE up untyped\nup 0\n");
  EXPECT_EQ(WriteOpenMetrics({f}), "# TYPE up unknown\nup 0.0\n# EOF\n");
}

TEST(TextFormatTest, ExemplarOverLimitIsDropped) {
  auto render = [](size_t value_len) {
    Family f{"c", "", MetricType::kCounter, {}};
    Point p;
    // "trace_id" is 8 code points; the value fills the rest.
    p.exemplar = Exemplar{{{"trace_id", std::string(value_len, 'a')}}, 1, 0};
    f.points.push_back(p);
    return WriteOpenMetrics({f});
  };
  EXPECT_NE(render(120).find("# {trace_id="), std::string::npos);  // exactly 128
  EXPECT_EQ(render(121).find("# {"), std::string::npos);           // 129
}

TEST(TextFormatTest, CodePointsNotBytes) {
  EXPECT_EQ(CountCodePoints("abc"), 3u);
  EXPECT_EQ(CountCodePoints("\xc3\xa9t\xc3\xa9"), 3u);  // été
  EXPECT_EQ(CountCodePoints("\xf0\x9f\x98\x80"), 1u);   // one emoji
}

TEST(TextFormatTest, OpenMetricsOmitsNegativeHistogramSum) {
  Family f{"h", "", MetricType::kHistogram, {}};
  Point p;
  p.buckets = {{-1, 1, std::nullopt}, {kInf, 1, std::nullopt}};
  p.sum = -2;
  p.count = 1;
  f.points.push_back(p);
  EXPECT_EQ(
      WriteOpenMetrics({f}),
      "# TYPE h histogram\nh_bucket{le=\"-1.0\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_count 1\n# EOF\n");
  EXPECT_EQ(WriteText004({f}),
            "# TYPE h histogram\nh_bucket{le=\"-1\"} 1\nh_bucket{le=\"+Inf\"} 1\nh_sum -2\n"
            "h_count 1\n");
}

TEST(TextFormatTest, SpecialValues) {
  Family f{"g", "", MetricType::kGauge, {}};
  for (double v : {kInf, -kInf, std::nan("")}) {
    Point p;
    p.value = v;
    f.points.push_back(p);
  }
  EXPECT_EQ(WriteText004({f}), "# TYPE g gauge\ng +Inf\ng -Inf\ng NaN\n");
}

}  // namespace
}  // namespace quartet::prometheus

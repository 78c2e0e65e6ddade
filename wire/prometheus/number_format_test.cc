#include "wire/prometheus/number_format.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace quartet::prometheus {
namespace {

std::string Go(double v) {
  std::string s;
  AppendGoFloat(v, &s);
  return s;
}

std::string Om(double v) {
  std::string s;
  AppendOpenMetricsFloat(v, &s);
  return s;
}

TEST(NumberFormatTest, GoFloatMatchesGoStrconv) {
  // Expected values are what Go's strconv.FormatFloat(v, 'g', -1, 64) prints.
  struct Case {
    double v;
    const char* want;
  } cases[] = {
      {0, "0"},
      {1, "1"},
      {-1, "-1"},
      {0.005, "0.005"},
      {0.1, "0.1"},
      {2.5, "2.5"},
      {10, "10"},
      {100000, "100000"},
      {123456, "123456"},
      {1e6, "1e+06"},
      {1234567, "1.234567e+06"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {0.000123, "0.000123"},
      {1.5e-7, "1.5e-07"},
      {1e100, "1e+100"},
      {-2.25e-10, "-2.25e-10"},
      {0.30000000000000004, "0.30000000000000004"},
      {std::numeric_limits<double>::infinity(), "+Inf"},
      {-std::numeric_limits<double>::infinity(), "-Inf"},
      {std::nan(""), "NaN"},
  };
  for (const Case& c : cases) EXPECT_EQ(Go(c.v), c.want) << c.want;
}

TEST(NumberFormatTest, OpenMetricsKeepsPointOnIntegers) {
  EXPECT_EQ(Om(1), "1.0");
  EXPECT_EQ(Om(0), "0.0");
  EXPECT_EQ(Om(250), "250.0");
  EXPECT_EQ(Om(0.25), "0.25");
  EXPECT_EQ(Om(1e6), "1e+06");
  EXPECT_EQ(Om(std::numeric_limits<double>::infinity()), "+Inf");
  EXPECT_EQ(Om(std::nan("")), "NaN");
}

TEST(NumberFormatTest, UnixSecondsIsExact) {
  auto f = [](int64_t ns) {
    std::string s;
    AppendUnixSeconds(ns, &s);
    return s;
  };
  EXPECT_EQ(f(1'700'000'000'000'000'000), "1700000000");
  EXPECT_EQ(f(1'700'000'000'500'000'000), "1700000000.5");
  EXPECT_EQ(f(1'700'000'000'000'000'001), "1700000000.000000001");
  EXPECT_EQ(f(1'700'000'000'123'456'789), "1700000000.123456789");
  EXPECT_EQ(f(0), "0");
}

TEST(NumberFormatTest, Uint) {
  std::string s;
  AppendUint(18446744073709551615ull, &s);
  EXPECT_EQ(s, "18446744073709551615");
}

}  // namespace
}  // namespace quartet::prometheus

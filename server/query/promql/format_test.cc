#include "server/query/promql/format.h"

#include <gtest/gtest.h>

#include <cmath>

namespace quartet::promql {
namespace {

TEST(FormatFloat, LikeGoFormatFloatF) {
  struct Case {
    double v;
    const char* want;
  } cases[] = {
      {0, "0"},
      {1, "1"},
      {-2.5, "-2.5"},
      {0.1, "0.1"},
      {1e21, "1000000000000000000000"},
      {1e-7, "0.0000001"},
      {NAN, "NaN"},
      {INFINITY, "+Inf"},
      {-INFINITY, "-Inf"},
      {1.0 / 3, "0.3333333333333333"},
      {-0.0, "-0"},
  };
  for (const Case& c : cases) EXPECT_EQ(FormatFloat(c.v), c.want) << c.want;
}

TEST(Duration, ParseAndFormat) {
  struct Case {
    const char* text;
    int64_t ms;
    const char* printed;
  } cases[] = {
      {"5m", 300000, "5m"},      {"1h30m", 5400000, "1h30m"},
      {"90m", 5400000, "1h30m"}, {"100ms", 100, "100ms"},
      {"2d", 172800000, "2d"},   {"1w", 604800000, "1w"},
      {"1y", 31536000000, "1y"}, {"0", 0, "0s"},
      {"14d", 1209600000, "2w"}, {"1m30s500ms", 90500, "1m30s500ms"},
  };
  for (const Case& c : cases) {
    std::optional<int64_t> got = ParseDurationMs(c.text);
    ASSERT_TRUE(got.has_value()) << c.text;
    EXPECT_EQ(*got, c.ms) << c.text;
    EXPECT_EQ(FormatDuration(c.ms), c.printed) << c.text;
  }
  for (const char* bad : {"", "5", "1.5m", "m", "5m1h", "5mm", "1x", "-5m"}) {
    EXPECT_FALSE(ParseDurationMs(bad).has_value()) << bad;
  }
}

TEST(Quote, RoundTrips) {
  for (std::string s : {std::string("plain"), std::string("a\"b\\c"), std::string("tab\tnl\n"),
                        std::string("\x01\x7f"), std::string("ü€"), std::string("\xff\xfe")}) {
    std::optional<std::string> back = GoUnquote(GoQuote(s));
    ASSERT_TRUE(back.has_value()) << s;
    EXPECT_EQ(*back, s);
  }
  EXPECT_EQ(GoUnquote("'it\\'s'"), "it's");
  EXPECT_EQ(GoUnquote("`raw\\n`"), "raw\\n");
  EXPECT_EQ(GoUnquote("\"\\u00fc\\x41\\101\""), "üAA");
  EXPECT_FALSE(GoUnquote("\"\\'\"").has_value());  // \' only in single quotes
  EXPECT_FALSE(GoUnquote("\"\\q\"").has_value());
  EXPECT_FALSE(GoUnquote("\"a\nb\"").has_value());
}

TEST(GoParse, FloatsAndInts) {
  EXPECT_EQ(GoParseFloat("1.5e3"), 1500);
  EXPECT_EQ(GoParseFloat("+Inf"), INFINITY);
  EXPECT_EQ(GoParseFloat("-infinity"), -INFINITY);
  EXPECT_TRUE(std::isnan(*GoParseFloat("NaN")));
  EXPECT_EQ(GoParseFloat("0x1p4"), 16);
  EXPECT_FALSE(GoParseFloat("0x10").has_value());
  EXPECT_FALSE(GoParseFloat(" 1").has_value());
  EXPECT_FALSE(GoParseFloat("1e400").has_value());
  EXPECT_FALSE(GoParseFloat("abc").has_value());
  EXPECT_EQ(GoParseInt("0x1F"), 31);
  EXPECT_EQ(GoParseInt("017"), 15);
  EXPECT_FALSE(GoParseInt("08").has_value());
  EXPECT_FALSE(GoParseInt("99999999999999999999").has_value());
}

}  // namespace
}  // namespace quartet::promql

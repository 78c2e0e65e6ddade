#include "server/api/params.h"

#include <gtest/gtest.h>

namespace quartet::api {
namespace {

TEST(ParseTime, SecondsNanosecondsAndRfc3339) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"1700000000", 1700000000'000000000},
      {"1700000000.5", 1700000000'500000000},
      {"1700000000123456789", 1700000000123456789},
      {"2023-11-14T22:13:20Z", 1700000000'000000000},
      {"2023-11-14T22:13:20.123456789Z", 1700000000'123456789},
      {"2023-11-14T23:13:20+01:00", 1700000000'000000000},
      {"2023-11-14T22:13:20.5z", 1700000000'500000000},
  };
  for (auto [text, want] : cases) {
    Result<int64_t> got = ParseTime(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().message();
    EXPECT_EQ(*got, want) << text;
  }
  // Out of int64 nanoseconds (found by ingest_fuzz as signed overflows).
  for (std::string_view bad :
       {"", "yesterday", "2023-13-14T22:13:20Z", "2023-11-14 22:13:20", "1e400",
        "2023-11-14T22:13:20", "9999999977", "0001-01-01T00:00:00Z", "9999-12-31T23:59:59Z"}) {
    EXPECT_FALSE(ParseTime(bad).ok()) << bad;
  }
}

TEST(Params, ErrorsNameTheParameter) {
  server::HttpRequest r;
  r.params = {{"start", "soon"}, {"limit", "-3"}, {"step", "5x"}};
  Result<int64_t> start = TimeParam(r, "start", 0);
  ASSERT_FALSE(start.ok());
  EXPECT_NE(start.status().message().find("invalid parameter \"start\""), std::string::npos);
  EXPECT_FALSE(IntParam(r, "limit", 0).ok());
  EXPECT_FALSE(DurationParam(r, "step", 0).ok());
  EXPECT_EQ(*TimeParam(r, "end", 42), 42);
}

TEST(Params, IntegersOfEitherSignOrAbsent) {
  server::HttpRequest r;
  r.params = {{"from", "-1700"}, {"to", "1700000000000"}, {"limit", ""}, {"panelId", "7a"}};
  EXPECT_EQ(*OptionalIntParam(r, "from"), std::optional<int64_t>(-1700));
  EXPECT_EQ(*OptionalIntParam(r, "to"), std::optional<int64_t>(1700000000000));
  EXPECT_EQ(*OptionalIntParam(r, "limit"), std::nullopt);
  EXPECT_EQ(*OptionalIntParam(r, "absent"), std::nullopt);
  Result<std::optional<int64_t>> bad = OptionalIntParam(r, "panelId");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "invalid parameter \"panelId\": \"7a\" is not an integer");
  Result<int64_t> negative = IntParam(r, "from", 0);
  ASSERT_FALSE(negative.ok());
  EXPECT_NE(negative.status().message().find("is not a non-negative integer"), std::string::npos);
  EXPECT_EQ(*IntParam(r, "to", 0), 1700000000000);
}

TEST(AppendUnixSeconds, TrimsTrailingZeros) {
  auto f = [](int64_t ns) {
    std::string out;
    AppendUnixSeconds(&out, ns);
    return out;
  };
  EXPECT_EQ(f(1700000000'000000000), "1700000000");
  EXPECT_EQ(f(1700000000'500000000), "1700000000.5");
  EXPECT_EQ(f(1700000000'000000001), "1700000000.000000001");
}

}  // namespace
}  // namespace quartet::api

#include "base/duration.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(ParseDuration, GoSyntaxAndSeconds) {
  const std::pair<std::string_view, int64_t> cases[] = {
      {"250ms", 250'000'000},    {"1h30m", 5400'000'000'000},
      {"1.5s", 1'500'000'000},   {"30", 30'000'000'000},
      {"0.5", 500'000'000},      {"2d", 172800'000'000'000},
      {"10us", 10'000},          {"7ns", 7},
      {"1m30s", 90'000'000'000},
  };
  for (auto [text, want] : cases) {
    Result<int64_t> got = ParseDuration(text);
    ASSERT_TRUE(got.ok()) << text << ": " << got.status().message();
    EXPECT_EQ(*got, want) << text;
  }
  for (std::string_view bad : {"", "5x", "-1s", "ms", "1h-5m"}) {
    EXPECT_FALSE(ParseDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace quartet

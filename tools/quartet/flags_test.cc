#include "tools/quartet/flags.h"

#include <gtest/gtest.h>

namespace quartet::cli {
namespace {

const std::vector<FlagSpec> kSpecs = {
    {"server", "", true}, {"tag", "", false, true}, {"time", ""}, {"text", ""}};

TEST(FlagsTest, ParsesBothSpellingsAndRepeats) {
  auto flags = Flags::Parse(kSpecs, {"--server", "http://x", "--tag=a", "--tag", "b", "--time=12"});
  ASSERT_TRUE(flags.ok()) << flags.status().ToString();
  EXPECT_EQ(*flags->Get("server"), "http://x");
  EXPECT_EQ(flags->GetAll("tag"), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(**flags->GetInt("time"), 12);
  EXPECT_FALSE(flags->Get("text").has_value());
  EXPECT_EQ(flags->GetOr("text", "none"), "none");
}

TEST(FlagsTest, ErrorsNameTheFlag) {
  struct Case {
    std::vector<std::string> args;
    std::string error;
  };
  for (const Case& c : std::vector<Case>{
           {{"--server", "s", "--bogus", "1"}, "unknown flag --bogus"},
           {{"--server"}, "flag --server needs a value"},
           {{"--tag", "a"}, "missing required flag --server"},
           {{"--server", "a", "--server", "b"}, "flag --server given more than once"},
           {{"--server", "a", "stray"}, "unexpected argument 'stray'"},
       }) {
    auto flags = Flags::Parse(kSpecs, c.args);
    ASSERT_FALSE(flags.ok()) << c.error;
    EXPECT_NE(flags.status().message().find(c.error), std::string_view::npos)
        << flags.status().message();
  }
  auto flags = Flags::Parse(kSpecs, {"--server", "s", "--time", "soon"});
  ASSERT_TRUE(flags.ok());
  auto time = flags->GetInt("time");
  ASSERT_FALSE(time.ok());
  EXPECT_NE(time.status().message().find("--time"), std::string_view::npos);
}

}  // namespace
}  // namespace quartet::cli

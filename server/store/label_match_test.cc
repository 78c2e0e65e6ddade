#include "server/store/label_match.h"

#include <gtest/gtest.h>

namespace quartet::store {
namespace {

using Op = LabelMatch::Op;

TEST(CompiledMatchers, PrometheusSemantics) {
  const Labels labels = {{"app", "checkout"}, {"env", "prod"}};
  struct Case {
    LabelMatch m;
    bool want;
  };
  const Case cases[] = {
      {{"app", Op::kEq, "checkout"}, true},      {{"app", Op::kEq, "check"}, false},
      {{"app", Op::kNeq, "checkout"}, false},    {{"app", Op::kRe, "check.*"}, true},
      {{"app", Op::kRe, "check"}, false},  // anchored at both ends
      {{"app", Op::kRe, "checkout|cart"}, true}, {{"app", Op::kNre, "cart|pay"}, true},
      {{"missing", Op::kEq, ""}, true},  // absent label matches as ""
      {{"missing", Op::kRe, ".+"}, false},       {{"env", Op::kNeq, ""}, true},
  };
  for (const Case& c : cases) {
    Result<CompiledMatchers> m = CompiledMatchers::Compile({c.m});
    ASSERT_TRUE(m.ok()) << m.status().message();
    EXPECT_EQ(m->Matches(labels), c.want) << c.m.name << " " << c.m.value;
  }
}

TEST(CompiledMatchers, AllMustMatch) {
  Result<CompiledMatchers> m =
      CompiledMatchers::Compile({{"app", Op::kEq, "checkout"}, {"env", Op::kEq, "dev"}});
  ASSERT_TRUE(m.ok());
  EXPECT_FALSE(m->Matches({{"app", "checkout"}, {"env", "prod"}}));
  EXPECT_TRUE(m->Matches({{"app", "checkout"}, {"env", "dev"}}));
}

TEST(CompiledMatchers, BadRegexNamesTheLabel) {
  Result<CompiledMatchers> m = CompiledMatchers::Compile({{"app", Op::kRe, "(unclosed"}});
  ASSERT_FALSE(m.ok());
  EXPECT_NE(m.status().message().find("label app"), std::string::npos) << m.status().message();
}

}  // namespace
}  // namespace quartet::store

#include "base/strings.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(StringsTest, Table) {
  EXPECT_EQ(TrimSpace(" \t a b \t"), "a b");
  EXPECT_EQ(TrimSpace(" \t "), "");
  EXPECT_EQ(AsciiLower("Content-TYPE\xc3\x89"), "content-type\xc3\x89");
  EXPECT_EQ(PercentDecode("a%20b%2Cc"), "a b,c");
  EXPECT_EQ(PercentDecode("100%"), "100%");
  EXPECT_EQ(PercentDecode("%zz%4"), "%zz%4");
  EXPECT_TRUE(IsHttpToken("x-request-id"));
  EXPECT_FALSE(IsHttpToken(""));
  EXPECT_FALSE(IsHttpToken("a b"));
  EXPECT_FALSE(IsHttpToken("a:b"));
}

}  // namespace
}  // namespace quartet

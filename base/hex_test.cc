#include "base/hex.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(HexTest, RoundTrip) {
  EXPECT_EQ(HexEncode(std::string_view("\x00\x1f\xab\xff", 4)), "001fabff");
  uint8_t out[4];
  ASSERT_TRUE(HexDecode("001FABff", out, 4));
  EXPECT_EQ(out[0], 0x00);
  EXPECT_EQ(out[1], 0x1f);
  EXPECT_EQ(out[2], 0xab);
  EXPECT_EQ(out[3], 0xff);
}

TEST(HexTest, RejectsBadInput) {
  uint8_t out[2];
  for (const char* bad : {"", "abc", "abcde", "zz00", "0g00"}) {
    EXPECT_FALSE(HexDecode(bad, out, 2)) << bad;
  }
  EXPECT_TRUE(IsLowerHex("0af9"));
  EXPECT_FALSE(IsLowerHex("0AF9"));
}

}  // namespace
}  // namespace quartet

#include "base/hex.h"

#include <gtest/gtest.h>

#include <string>

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
  // Every byte in every position: a digit decodes to its value, anything
  // else (including bytes >= 0x80) refuses the whole input.
  for (int pos = 0; pos < 4; ++pos) {
    for (int b = 0; b < 256; ++b) {
      std::string hex = "0000";
      hex[static_cast<size_t>(pos)] = static_cast<char>(b);
      int value = -1;
      if (b >= '0' && b <= '9') value = b - '0';
      if (b >= 'a' && b <= 'f') value = b - 'a' + 10;
      if (b >= 'A' && b <= 'F') value = b - 'A' + 10;
      ASSERT_EQ(HexDecode(hex, out, 2), value >= 0) << pos << " " << b;
      if (value >= 0) {
        EXPECT_EQ(out[pos / 2], pos % 2 == 0 ? value << 4 : value) << pos << " " << b;
        EXPECT_EQ(out[1 - pos / 2], 0);
      }
    }
  }
  EXPECT_TRUE(IsLowerHex("0af9"));
  EXPECT_FALSE(IsLowerHex("0AF9"));
}

}  // namespace
}  // namespace quartet

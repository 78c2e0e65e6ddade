#include "base/base64.h"

#include <gtest/gtest.h>

namespace quartet {
namespace {

TEST(Base64, Rfc4648Vectors) {
  const std::pair<std::string_view, std::string_view> cases[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (auto [plain, encoded] : cases) {
    EXPECT_EQ(Base64Encode(plain), encoded);
    std::string back;
    ASSERT_TRUE(Base64Decode(encoded, &back)) << encoded;
    EXPECT_EQ(back, plain);
  }
}

TEST(Base64, BinaryRoundTripAndBadInput) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  std::string back;
  ASSERT_TRUE(Base64Decode(Base64Encode(bytes), &back));
  EXPECT_EQ(back, bytes);
  EXPECT_TRUE(Base64Decode("-_8", &back));  // URL-safe, unpadded
  EXPECT_EQ(back, "\xfb\xff");
  EXPECT_FALSE(Base64Decode("Zm9v!", &back));
  EXPECT_FALSE(Base64Decode("Zm9vY", &back));  // one char past a group
}

}  // namespace
}  // namespace quartet

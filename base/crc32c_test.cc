#include "base/crc32c.h"

#include <gtest/gtest.h>

#include <string>

namespace quartet::crc32c {
namespace internal {
uint32_t ExtendPortableForTest(uint32_t crc, const void* data, size_t n);
}

namespace {

// Vectors from RFC 3720 (iSCSI) appendix B.4 and the common "123456789" check.
TEST(Crc32c, StandardVectors) {
  EXPECT_EQ(Value(std::string(32, '\0')), 0x8a9136aau);
  EXPECT_EQ(Value(std::string(32, '\xff')), 0x62a8ab43u);
  std::string ascending, descending;
  for (int i = 0; i < 32; ++i) {
    ascending.push_back(static_cast<char>(i));
    descending.push_back(static_cast<char>(31 - i));
  }
  EXPECT_EQ(Value(ascending), 0x46dd794eu);
  EXPECT_EQ(Value(descending), 0x113fdb5cu);
  EXPECT_EQ(Value("123456789"), 0xe3069283u);
  EXPECT_EQ(Value(""), 0u);
  EXPECT_EQ(Crc32c("123456789"), 0xe3069283u);
}

TEST(Crc32c, ExtendEqualsWholeAtEverySplit) {
  std::string data;
  for (int i = 0; i < 100; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  uint32_t whole = Value(data);
  for (size_t split = 0; split <= data.size(); ++split) {
    std::string_view v(data);
    EXPECT_EQ(Extend(Value(v.substr(0, split)), v.substr(split)), whole) << split;
  }
}

TEST(Crc32c, PortableMatchesDispatchedForAllLengthsAndAlignments) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 131 + 7));
  for (size_t off = 0; off < 9; ++off) {
    for (size_t len = 0; len + off <= data.size(); len += 7) {
      const char* p = data.data() + off;
      EXPECT_EQ(internal::ExtendPortableForTest(0x1234, p, len), Extend(0x1234, p, len));
    }
  }
}

TEST(Crc32c, MaskRoundTripsAndDiffers) {
  for (uint32_t crc : {0u, 1u, 0xffffffffu, Value("foo")}) {
    EXPECT_NE(Mask(crc), crc);
    EXPECT_NE(Mask(Mask(crc)), crc);
    EXPECT_EQ(Unmask(Mask(crc)), crc);
    EXPECT_EQ(Unmask(Unmask(Mask(Mask(crc)))), crc);
  }
}

TEST(Crc32c, DifferentDataDiffers) { EXPECT_NE(Value("a"), Value("foo")); }

}  // namespace
}  // namespace quartet::crc32c

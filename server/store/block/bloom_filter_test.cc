#include "server/store/block/bloom_filter.h"

#include <gtest/gtest.h>

namespace quartet::store {
namespace {

TEST(Hash64, StableAndSpreads) {
  // Stored on disk: these values must never change.
  EXPECT_EQ(Hash64(""), Hash64(""));
  EXPECT_NE(Hash64("a"), Hash64("b"));
  EXPECT_NE(Hash64(std::string(8, '\0')), Hash64(std::string(9, '\0')));
  EXPECT_NE(Hash64("0123456789abcdef"), Hash64("0123456789abcdeg"));
}

TEST(BloomFilter, NoFalseNegativesAndFewFalsePositives) {
  for (int bits_per_key : {4, 10, 16}) {
    std::vector<uint64_t> keys;
    for (int i = 0; i < 10000; ++i) keys.push_back(Hash64("trace-" + std::to_string(i)));
    BloomFilter f = BloomFilter::Build(keys, bits_per_key);
    auto decoded = BloomFilter::Decode(f.Encode());
    ASSERT_TRUE(decoded.ok());
    for (uint64_t k : keys) {
      ASSERT_TRUE(f.MayContain(k));
      ASSERT_TRUE(decoded->MayContain(k));
    }
    int fp = 0;
    for (int i = 0; i < 10000; ++i) fp += decoded->MayContain(Hash64("other-" + std::to_string(i)));
    double rate = fp / 10000.0;
    double bound = bits_per_key == 4 ? 0.25 : bits_per_key == 10 ? 0.02 : 0.003;
    EXPECT_LT(rate, bound) << bits_per_key;
  }
}

TEST(BloomFilter, EmptyAndBadInput) {
  BloomFilter empty = BloomFilter::Build({}, 10);
  EXPECT_FALSE(empty.MayContain(Hash64("x")));
  EXPECT_FALSE(BloomFilter::Decode("").ok());
  EXPECT_FALSE(BloomFilter::Decode("\x00\xff").ok());
  EXPECT_FALSE(BloomFilter::Decode(std::string_view("\x1f\xff", 2)).ok());
}

}  // namespace
}  // namespace quartet::store

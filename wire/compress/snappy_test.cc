#include "wire/compress/snappy.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <random>
#include <string>

namespace quartet::compress {
namespace {

std::string RandomBytes(size_t n, uint32_t seed) {
  std::mt19937 rng(seed);
  std::string s(n, '\0');
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

std::string ReadFixture(const std::string& name) {
  const char* src = std::getenv("QUARTET_SOURCE_DIR");
  std::string path = std::string(src ? src : ".") + "/../shared/fixtures/real-clients/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

TEST(SnappyTest, RoundTripsAcrossSizes) {
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "level=info msg=\"request " + std::to_string(i) + "\"\n";
  const std::string inputs[] = {
      "", "a", "hello, world", std::string(100000, 'x'), RandomBytes(300000, 7), text};
  for (const std::string& in : inputs) {
    std::string block = SnappyCompress(in);
    auto length = SnappyUncompressedLength(block);
    ASSERT_TRUE(length.ok()) << length.status().ToString();
    EXPECT_EQ(*length, in.size());
    auto back = SnappyDecompress(block, in.size());  // the limit is inclusive
    ASSERT_TRUE(back.ok()) << back.status().ToString();
    EXPECT_EQ(*back, in);
  }
  EXPECT_LT(SnappyCompress(text).size(), text.size() / 3);
}

TEST(SnappyTest, DecodesWinstonLokiCaptureToItsProtobuf) {
  // winston-loki 6.1.7 sends snappy blocks without Content-Encoding; .pb is
  // the reference decompression.
  std::string body = ReadFixture("loki/0003.bin");
  std::string want = ReadFixture("loki/0003.pb");
  ASSERT_FALSE(body.empty());
  auto got = SnappyDecompress(body, 1 << 20);
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  EXPECT_EQ(*got, want);
}

TEST(SnappyTest, OverLimitIsResourceExhaustedBeforeDecoding) {
  std::string block = SnappyCompress(std::string(1000, 'z'));
  auto r = SnappyDecompress(block, 999);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("999"), std::string_view::npos) << r.status().ToString();
  EXPECT_NE(r.status().message().find("1000"), std::string_view::npos);

  // A header claiming ~4 GiB with no body: rejected by the limit, not by an
  // allocation failure.
  const std::string bomb("\xff\xff\xff\xff\x0f", 5);
  r = SnappyDecompress(bomb, 64 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("4294967295"), std::string_view::npos);
}

TEST(SnappyTest, CorruptInputIsDataLoss) {
  std::string good = SnappyCompress("the quick brown fox jumps over the lazy dog, twice: " +
                                    std::string(200, 'q'));
  struct Case {
    const char* name;
    std::string input;
  };
  const Case cases[] = {
      {"empty", ""},
      {"unterminated varint", std::string("\x80\x80", 2)},
      {"overlong varint", std::string("\xff\xff\xff\xff\xff\xff", 6)},
      {"truncated body", good.substr(0, good.size() / 2)},
      {"copy before any literal", std::string("\x08\x01\x00", 3)},
      {"claims more than it holds", std::string("\x20\x0c"
                                                "abcd",
                                                6)},
      {"trailing garbage", good + "xyz"},
  };
  for (const Case& c : cases) {
    auto r = SnappyDecompress(c.input, 1 << 20);
    ASSERT_FALSE(r.ok()) << c.name;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << c.name << ": " << r.status().ToString();
  }
}

}  // namespace
}  // namespace quartet::compress

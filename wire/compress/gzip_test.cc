#include "wire/compress/gzip.h"

#include <gtest/gtest.h>
#include <zlib.h>

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

std::string Gzip(std::string_view in, int level = kDefaultLevel) {
  auto r = GzipCompress(in, level);
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return r.ok() ? *r : std::string();
}

TEST(GzipTest, RoundTripsAcrossSizesAndLevels) {
  const std::string inputs[] = {"", "a", "hello, world", std::string(100000, 'x'),
                                RandomBytes(300000, 7),
                                // Mixed: compressible text followed by incompressible noise.
                                std::string(5000, 'q') + RandomBytes(5000, 9)};
  for (int level : {-1, 0, 1, 6, 9}) {
    for (const std::string& in : inputs) {
      std::string gz = Gzip(in, level);
      ASSERT_GE(gz.size(), 18u);  // 10-byte header + 8-byte trailer at least
      EXPECT_EQ(static_cast<unsigned char>(gz[0]), 0x1f);
      EXPECT_EQ(static_cast<unsigned char>(gz[1]), 0x8b);
      auto back = GzipDecompress(gz, in.size());  // the limit is inclusive
      ASSERT_TRUE(back.ok()) << back.status().ToString() << " level " << level;
      EXPECT_EQ(*back, in);
    }
  }
}

TEST(GzipTest, HigherLevelCompressesRepetitiveTextSmallerThanStore) {
  std::string text;
  for (int i = 0; i < 2000; ++i) text += "span_id=" + std::to_string(i % 17) + " ok\n";
  EXPECT_LT(Gzip(text, 9).size(), Gzip(text, 0).size() / 5);
}

TEST(GzipTest, RejectsBadLevel) {
  for (int level : {-2, 10, 100}) {
    auto r = GzipCompress("x", level);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(r.status().message().find(std::to_string(level)), std::string_view::npos);
  }
}

TEST(GzipTest, DecodesOutputOfZlibItself) {
  // An encoder configured differently from ours (level 9, memLevel 9,
  // Z_FILTERED) must still decode: we accept any valid member.
  std::string in = "independent encoder " + std::string(1000, 'z');
  z_stream zs{};
  ASSERT_EQ(deflateInit2(&zs, 9, Z_DEFLATED, 31, 9, Z_FILTERED), Z_OK);
  std::string out(deflateBound(&zs, in.size()), '\0');
  zs.next_in = reinterpret_cast<Bytef*>(in.data());
  zs.avail_in = in.size();
  zs.next_out = reinterpret_cast<Bytef*>(out.data());
  zs.avail_out = out.size();
  ASSERT_EQ(deflate(&zs, Z_FINISH), Z_STREAM_END);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  auto r = GzipDecompress(out, 1 << 20);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, in);
}

TEST(GzipTest, ConcatenatedMembersDecodeToConcatenation) {
  std::string gz = Gzip("first;") + Gzip("") + Gzip("second;") + Gzip(std::string(70000, 'k'));
  auto r = GzipDecompress(gz, 1 << 20);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, "first;second;" + std::string(70000, 'k'));
}

TEST(GzipTest, EveryTruncationIsAnError) {
  std::string gz = Gzip("truncate me please " + RandomBytes(2000, 3));
  for (size_t n = 0; n < gz.size(); ++n) {
    auto r = GzipDecompress(std::string_view(gz).substr(0, n), 1 << 20);
    ASSERT_FALSE(r.ok()) << "prefix of " << n << " bytes accepted";
    // Cutting inside the header may also read as a bad header; never success.
    EXPECT_TRUE(r.status().code() == StatusCode::kOutOfRange ||
                r.status().code() == StatusCode::kDataLoss)
        << n << ": " << r.status().ToString();
  }
  auto r = GzipDecompress(std::string_view(gz).substr(0, gz.size() - 1), 1 << 20);
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange) << r.status().ToString();
}

TEST(GzipTest, TruncatedSecondMemberIsAnError) {
  std::string second = Gzip("bbbb");
  std::string gz = Gzip("aaaa") + second.substr(0, second.size() - 3);
  auto r = GzipDecompress(gz, 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kOutOfRange) << r.status().ToString();
}

TEST(GzipTest, CorruptCrcAndLengthAreDataLoss) {
  std::string gz = Gzip("checksummed payload");
  struct Case {
    size_t offset_from_end;
    std::string_view what;
  } cases[] = {{8, "crc32"}, {5, "crc32"}, {4, "isize"}, {1, "isize"}};
  for (const Case& c : cases) {
    std::string bad = gz;
    bad[bad.size() - c.offset_from_end] ^= 0x01;
    auto r = GzipDecompress(bad, 1 << 20);
    ASSERT_FALSE(r.ok()) << c.what;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << r.status().ToString();
  }
  std::string bad_magic = gz;
  bad_magic[0] = 'x';
  EXPECT_EQ(GzipDecompress(bad_magic, 1 << 20).status().code(), StatusCode::kDataLoss);
}

TEST(GzipTest, TrailingGarbageIsDataLoss) {
  auto r = GzipDecompress(Gzip("payload") + "JUNK", 1 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(r.status().message().find("4 trailing bytes"), std::string_view::npos)
      << r.status().ToString();
}

TEST(GzipTest, BombIsStoppedAtTheLimit) {
  const size_t kTen = 10 << 20, kOne = 1 << 20;
  std::string bomb = Gzip(std::string(kTen, '\0'), 9);
  ASSERT_LT(bomb.size(), 20000u);  // ~1000:1
  auto r = GzipDecompress(bomb, kOne);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("1048576 bytes"), std::string_view::npos)
      << r.status().ToString();
  // One byte under the real size fails, the real size passes.
  EXPECT_FALSE(GzipDecompress(bomb, kTen - 1).ok());
  auto ok = GzipDecompress(bomb, kTen);
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(ok->size(), kTen);
}

TEST(GzipTest, BombAcrossConcatenatedMembersCountsTheTotal) {
  std::string member = Gzip(std::string(600 << 10, 'a'));
  auto r = GzipDecompress(member + member, 1 << 20);
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
}

TEST(GzipTest, ZeroLimitAcceptsOnlyEmptyPayload) {
  EXPECT_TRUE(GzipDecompress(Gzip(""), 0).ok());
  EXPECT_EQ(GzipDecompress(Gzip("x"), 0).status().code(), StatusCode::kResourceExhausted);
}

// Mutated streams (bit flips, cuts, splices) must never crash, never return
// more than the limit, and fail only with the documented codes.
TEST(GzipTest, MutatedStreamsFailCleanly) {
  std::mt19937 rng(42);
  const std::string base = Gzip(std::string(3000, 'm') + RandomBytes(3000, 5)) + Gzip("tail");
  const size_t kLimit = 4096;
  int accepted = 0;
  for (int i = 0; i < 3000; ++i) {
    std::string s = base;
    switch (rng() % 4) {
      case 0:
        s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
        break;
      case 1:
        s.resize(rng() % s.size());
        break;
      case 2:
        s.insert(rng() % s.size(), 1, static_cast<char>(rng()));
        break;
      case 3:
        s.erase(rng() % s.size(), 1 + rng() % 16);
        break;
    }
    auto r = GzipDecompress(s, kLimit);
    if (r.ok()) {
      ++accepted;
      EXPECT_LE(r->size(), kLimit);
    } else {
      StatusCode c = r.status().code();
      EXPECT_TRUE(c == StatusCode::kOutOfRange || c == StatusCode::kDataLoss ||
                  c == StatusCode::kResourceExhausted)
          << r.status().ToString();
    }
  }
  // The base decodes to 6004 bytes > 4096: only a mutation that shrinks the
  // output and keeps the CRC valid could pass, which must be (nearly) never.
  EXPECT_LT(accepted, 5);
}

TEST(ZlibTest, RoundTripAndErrors) {
  std::string in = RandomBytes(50000, 11) + std::string(50000, 'r');
  auto z = ZlibCompress(in);
  ASSERT_TRUE(z.ok());
  auto back = ZlibDecompress(*z, in.size());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, in);

  // zlib's compress2() is an independent encoder of the same format.
  std::string hello = "hello zlib";
  uLongf len = compressBound(hello.size());
  std::string c(len, '\0');
  ASSERT_EQ(compress2(reinterpret_cast<Bytef*>(c.data()), &len,
                      reinterpret_cast<const Bytef*>(hello.data()), hello.size(), 9),
            Z_OK);
  c.resize(len);
  auto h = ZlibDecompress(c, 100);
  ASSERT_TRUE(h.ok());
  EXPECT_EQ(*h, hello);

  EXPECT_EQ(ZlibDecompress(c.substr(0, c.size() - 2), 100).status().code(),
            StatusCode::kOutOfRange);
  std::string bad_adler = c;
  bad_adler.back() ^= 0x40;
  EXPECT_EQ(ZlibDecompress(bad_adler, 100).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ZlibDecompress(c + c, 100).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ZlibDecompress(*z, in.size() - 1).status().code(), StatusCode::kResourceExhausted);
  // A gzip stream is not a zlib stream.
  EXPECT_EQ(ZlibDecompress(Gzip("x"), 100).status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ZlibDecompress("", 100).status().code(), StatusCode::kOutOfRange);
}

}  // namespace
}  // namespace quartet::compress

#include "server/store/metrics/chunk.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace quartet::store {
namespace {

struct S {
  int64_t t;
  uint64_t bits;
};

double D(uint64_t bits) { return std::bit_cast<double>(bits); }
uint64_t B(double v) { return std::bit_cast<uint64_t>(v); }

std::vector<S> Decode(std::string_view bytes, Status* status = nullptr) {
  std::vector<S> out;
  ChunkIterator it(bytes);
  while (it.Next()) out.push_back({it.t(), it.value_bits()});
  if (status != nullptr) *status = it.status();
  return out;
}

// Appends every sample, encodes, decodes: the same bits must come back.
void ExpectRoundTrip(const std::vector<S>& samples) {
  ChunkAppender c;
  for (const S& s : samples) ASSERT_TRUE(c.Append(s.t, D(s.bits))) << s.t;
  Status status;
  std::vector<S> back = Decode(c.Encode(), &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(back.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    EXPECT_EQ(back[i].t, samples[i].t) << i;
    EXPECT_EQ(back[i].bits, samples[i].bits) << i << " " << D(samples[i].bits);
  }
  // The streams held apart decode the same.
  ChunkIterator split(c.samples(), c.timestamp_bytes(), c.value_bytes());
  size_t n = 0;
  while (split.Next()) ++n;
  EXPECT_EQ(n, samples.size());
}

TEST(ChunkTest, RoundTripsEdgeValues) {
  constexpr int64_t t0 = 1'700'000'000'000;
  const double inf = std::numeric_limits<double>::infinity();
  struct Case {
    const char* name;
    std::vector<S> samples;
  };
  const std::vector<Case> cases = {
      {"single", {{t0, B(1.5)}}},
      {"stale NaN and NaN payloads",
       {{t0, B(1)},
        {t0 + 1, kStaleNaNBits},
        {t0 + 2, 0x7ff8000000000000ull},
        {t0 + 3, 0xfff8000000000001ull},
        {t0 + 4, 0x7ff0000000000001ull},
        {t0 + 5, kStaleNaNBits},
        {t0 + 6, B(2)}}},
      {"infinities and signed zero",
       {{t0, B(inf)},
        {t0 + 15000, B(-inf)},
        {t0 + 30000, B(-0.0)},
        {t0 + 45000, B(0.0)},
        {t0 + 60000, B(-0.0)},
        {t0 + 75000, B(inf)}}},
      {"integers at the exact-double edge",
       {{t0, B(9007199254740992.0)},
        {t0 + 1, B(-9007199254740992.0)},
        {t0 + 2, B(9007199254740992.0)},
        {t0 + 3, B(9007199254740994.0)},
        {t0 + 4, B(1e300)},
        {t0 + 5, B(-1)},
        {t0 + 6, B(0)}}},
      {"extreme timestamps and gaps",
       {{std::numeric_limits<int64_t>::min(), B(1)},
        {-1, B(2)},
        {0, B(3)},
        {std::numeric_limits<int64_t>::max() - 1, B(4)},
        {std::numeric_limits<int64_t>::max(), B(5)}}},
      {"irregular gaps",
       {{t0, B(1)},
        {t0 + 1, B(1)},
        {t0 + 100000000, B(1)},
        {t0 + 100000001, B(0.1)},
        {t0 + 200000000, B(1e-300)},
        {t0 + 200000063, B(5e-324)}}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    ExpectRoundTrip(c.samples);
  }
}

TEST(ChunkTest, RoundTripsRandomSeries) {
  std::mt19937_64 rng(42);
  for (int round = 0; round < 200; ++round) {
    std::vector<S> samples;
    int64_t t = static_cast<int64_t>(rng() % 2'000'000'000'000);
    double counter = 0;
    const int kind = round % 4;
    const int n = 1 + static_cast<int>(rng() % kChunkTargetSamples);
    for (int i = 0; i < n; ++i) {
      t += 1 + static_cast<int64_t>(rng() % (round % 2 ? 30000 : 3));
      uint64_t bits;
      switch (kind) {
        case 0:
          bits = rng();
          break;  // any bit pattern
        case 1:
          bits = B(counter += static_cast<double>(rng() % 50));
          break;  // counter
        case 2:
          bits = B(static_cast<double>(rng() % 3));
          break;  // few values
        default:
          bits = B(static_cast<double>(rng() % 1000) / 7.0);
          break;
      }
      samples.push_back({t, bits});
    }
    ExpectRoundTrip(samples);
  }
}

TEST(ChunkTest, RefusesEqualAndEarlierTimestamps) {
  ChunkAppender c;
  ASSERT_TRUE(c.Append(1000, 1));
  EXPECT_FALSE(c.Append(1000, 1));  // equal
  EXPECT_FALSE(c.Append(1000, 2));
  EXPECT_FALSE(c.Append(999, 1));  // negative delta
  EXPECT_TRUE(c.Append(1001, 1));
  EXPECT_EQ(c.samples(), 2u);
  EXPECT_EQ(c.max_t(), 1001);
  EXPECT_EQ(Decode(c.Encode()).size(), 2u);
}

TEST(ChunkTest, SeekFindsFirstAtOrAfter) {
  ChunkAppender c;
  for (int i = 0; i < 100; ++i) ASSERT_TRUE(c.Append(i * 10, i));
  const std::string bytes = c.Encode();
  for (int64_t target : {-5, 0, 1, 10, 495, 990}) {
    ChunkIterator it(bytes);
    ASSERT_TRUE(it.Seek(target)) << target;
    EXPECT_EQ(it.t(), (target + 9) / 10 * 10 < 0 ? 0 : (target + 9) / 10 * 10) << target;
    EXPECT_TRUE(it.Seek(target)) << "seeking again stays put";
    EXPECT_EQ(it.v(), static_cast<double>(it.t() / 10));
  }
  ChunkIterator past(bytes);
  EXPECT_FALSE(past.Seek(991));
  EXPECT_TRUE(past.status().ok());
}

TEST(ChunkTest, TypicalScrapesAreSmall) {
  // 15 s scrapes with a few ms of jitter; a counter of ~10 requests/s.
  std::mt19937_64 rng(7);
  ChunkAppender counter, gauge;
  int64_t t = 1'700'000'000'000;
  double c = 1e6;
  for (uint32_t i = 0; i < kChunkTargetSamples; ++i) {
    t += 15000 + static_cast<int64_t>(rng() % 5) - 2;
    ASSERT_TRUE(counter.Append(t, c += 140 + static_cast<double>(rng() % 20)));
    ASSERT_TRUE(gauge.Append(t, static_cast<double>(rng() % 10 == 0)));
  }
  // Timestamps ~11 bits, counter ~12 bits, a two-valued gauge ~2 bits.
  EXPECT_LT(counter.timestamp_bytes().size(), 200u);
  EXPECT_LT(counter.value_bytes().size(), 220u);
  EXPECT_LT(gauge.value_bytes().size(), 60u);
}

TEST(ChunkTest, MalformedBytesAreReportedNotRead) {
  ChunkAppender c;
  for (int i = 0; i < 50; ++i) ASSERT_TRUE(c.Append(i * 1000, i * 0.5));
  const std::string good = c.Encode();
  // Every truncation decodes a prefix and ends with DataLoss (or cleanly
  // when only whole samples are lost, which the count catches).
  for (size_t len = 0; len < good.size(); ++len) {
    Status status;
    std::vector<S> back = Decode(good.substr(0, len), &status);
    EXPECT_FALSE(status.ok() && back.size() == 50) << len;
    EXPECT_LE(back.size(), 50u);
  }
  Status status;
  Decode(std::string("\xff\xff\xff\x0f\x00", 5), &status);
  EXPECT_EQ(status.code(), StatusCode::kDataLoss);
  // Flipped bits never crash, and timestamps stay increasing.
  std::mt19937 rng(3);
  for (int i = 0; i < 2000; ++i) {
    std::string bad = good;
    bad[rng() % bad.size()] ^= static_cast<char>(1 << (rng() % 8));
    std::vector<S> back = Decode(bad);
    for (size_t k = 1; k < back.size(); ++k) ASSERT_GT(back[k].t, back[k - 1].t);
  }
}

}  // namespace
}  // namespace quartet::store

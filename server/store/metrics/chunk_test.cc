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

// ---- compact coding ---------------------------------------------------------------

std::vector<S> DecodeCompact(const CompactChunk& c, Status* status = nullptr) {
  std::vector<S> out;
  ChunkIterator it(c.samples, c.timestamps, c.values, ValueCoding::kCompact);
  while (it.Next()) out.push_back({it.t(), it.value_bits()});
  if (status != nullptr) *status = it.status();
  return out;
}

CompactChunk EncodeCompact(const std::vector<S>& samples) {
  std::vector<int64_t> t;
  std::vector<uint64_t> bits;
  for (const S& s : samples) {
    t.push_back(s.t);
    bits.push_back(s.bits);
  }
  return EncodeCompactChunk(t, bits);
}

void ExpectCompactRoundTrip(const std::vector<S>& samples) {
  const CompactChunk c = EncodeCompact(samples);
  ASSERT_EQ(c.samples, samples.size());
  EXPECT_EQ(c.min_t, samples.front().t);
  EXPECT_EQ(c.max_t, samples.back().t);
  Status status;
  std::vector<S> back = DecodeCompact(c, &status);
  ASSERT_TRUE(status.ok()) << status.ToString();
  ASSERT_EQ(back.size(), samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    ASSERT_EQ(back[i].t, samples[i].t) << i;
    ASSERT_EQ(back[i].bits, samples[i].bits) << i << " " << D(samples[i].bits);
  }
}

TEST(CompactChunkTest, RoundTripsEdgeValuesAndEveryMode) {
  constexpr int64_t t0 = 1'700'000'000'000;
  const double inf = std::numeric_limits<double>::infinity();
  const double kMax = 9007199254740992.0;
  struct Case {
    const char* name;
    std::vector<double> values;
    uint8_t mode;  // the first byte of the value stream; 0xff: any
  };
  const std::vector<Case> cases = {
      {"single integer", {7}, 2},  // mode 2: no base to write
      {"single float", {1.5}, 0},
      {"constant", {5, 5, 5, 5, 5}, 2},
      {"steady counter", {100, 110, 121, 130, 140, 151, 160}, 1},
      {"counter reset", {100, 200, 300, 5, 105, 205, 305, 405, 500, 600, 700, 800}, 2},
      {"trend", {0, 1, 3, 6, 10, 15, 21, 28, 36, 45, 55, 66}, 2},
      {"exact-double edge", {kMax, -kMax, kMax, 0, -kMax}, 0},  // huge steps: XOR
      {"negative zero is not an integer", {1, -0.0, 2}, 0xff},
      {"beyond 2^53 is not an integer", {kMax * 2, kMax * 2 + 4, kMax * 2 + 8}, 0xff},
      {"infinities", {inf, -inf, 1}, 0xff},
      {"stale marker", {1, 2, D(kStaleNaNBits), 3}, 0xff},
      {"fractions", {0.1, 0.2, 0.30000000000000004}, 0xff},
      {"binary fractions", {1000.25, 1015.5, 1030.125, 1045.0625, 1060.5, 1075.75}, 0},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    std::vector<S> samples;
    for (size_t i = 0; i < c.values.size(); ++i) {
      samples.push_back({t0 + static_cast<int64_t>(i) * 15000, B(c.values[i])});
    }
    ExpectCompactRoundTrip(samples);
    const uint8_t mode = static_cast<uint8_t>(EncodeCompact(samples).values[0]);
    if (c.mode != 0xff) {
      EXPECT_EQ(mode, c.mode);
    } else {
      EXPECT_TRUE(mode == 0 || mode == 3) << int{mode};
    }
  }
}

TEST(CompactChunkTest, RoundTripsRandomSeriesAndIsNeverLonger) {
  std::mt19937_64 rng(11);
  for (int round = 0; round < 400; ++round) {
    std::vector<S> samples;
    int64_t t = static_cast<int64_t>(rng() % 2'000'000'000'000);
    double counter = static_cast<double>(rng() % 1000000);
    const int kind = round % 5;
    const int n = 1 + static_cast<int>(rng() % 600);
    for (int i = 0; i < n; ++i) {
      t += 1 + static_cast<int64_t>(rng() % (round % 2 ? 30000 : 3));
      uint64_t bits;
      switch (kind) {
        case 0:
          bits = rng();  // any bit pattern
          break;
        case 1:  // counter with resets and huge jumps
          counter += static_cast<double>(rng() % 500);
          if (rng() % 50 == 0) counter = 0;
          if (rng() % 97 == 0) counter = static_cast<double>(rng() % (uint64_t{1} << 53));
          bits = B(counter);
          break;
        case 2:
          bits = B(static_cast<double>(static_cast<int64_t>(rng() % 7) - 3));  // small gauge
          break;
        case 3:
          bits = B(static_cast<double>(rng() % 1000) / 7.0);
          break;
        default:  // integers, with an occasional non-integer
          bits = B(rng() % 100 == 0 ? 0.5 : static_cast<double>(rng() % 100000));
          break;
      }
      samples.push_back({t, bits});
    }
    ExpectCompactRoundTrip(samples);
    // Never longer than the streaming code plus its mode byte.
    ChunkAppender stream;
    for (const S& s : samples) stream.Append(s.t, D(s.bits));
    EXPECT_LE(EncodeCompact(samples).values.size(), stream.value_bytes().size() + 1);
  }
}

TEST(CompactChunkTest, PoissonCounterTakesAboutHalfTheStreamingBits) {
  // A counter of ~20 requests/s scraped every 15 s: increments Poisson(300).
  std::mt19937_64 rng(5);
  std::poisson_distribution<int> inc(300);
  std::vector<S> samples;
  ChunkAppender stream;
  double c = 0;
  for (int i = 0; i < 480; ++i) {
    samples.push_back({i * 15000, B(c += inc(rng))});
    stream.Append(i * 15000, c);
  }
  const size_t compact = EncodeCompact(samples).values.size();
  // Entropy of Poisson(300) is ~6.2 bits; the streaming code spends ~12.
  EXPECT_LT(compact * 8, 480u * 8);
  EXPECT_GT(stream.value_bytes().size() * 8, 480u * 11);
}

TEST(CompactChunkTest, GrowingFloatSumIsShorterThanXor) {
  // A latency histogram's _sum: ~150 log-normal observations per scrape.
  std::mt19937_64 rng(8);
  std::lognormal_distribution<double> latency(std::log(0.08), 0.7);
  std::vector<S> samples;
  ChunkAppender stream;
  double sum = 5000;
  for (int i = 0; i < 480; ++i) {
    for (int k = 0; k < 150; ++k) sum += latency(rng);
    samples.push_back({i * 15000, B(sum)});
    stream.Append(i * 15000, sum);
  }
  const CompactChunk c = EncodeCompact(samples);
  EXPECT_EQ(c.values[0], 3);
  EXPECT_LT(c.values.size() * 100, stream.value_bytes().size() * 95);  // at least 5% less
  ExpectCompactRoundTrip(samples);
}

TEST(CompactChunkTest, MalformedBytesAreReportedNotRead) {
  std::vector<S> samples;
  for (int i = 0; i < 60; ++i) samples.push_back({i * 1000, B(i * 37.0 + (i % 3))});
  const CompactChunk good = EncodeCompact(samples);
  ASSERT_NE(good.values[0], 0) << "an integer mode is under test";
  for (size_t len = 0; len < good.values.size(); ++len) {
    CompactChunk cut = good;
    cut.values.resize(len);
    Status status;
    std::vector<S> back = DecodeCompact(cut, &status);
    EXPECT_FALSE(status.ok() && back.size() == 60) << len;
  }
  for (const char* header : {"", "\x07", "\x01", "\x01\x02", "\x01\x02\x02\x40"}) {
    CompactChunk bad = good;
    bad.values = header;
    Status status;
    DecodeCompact(bad, &status);
    EXPECT_EQ(status.code(), StatusCode::kDataLoss) << header;
  }
  std::mt19937 rng(9);
  for (int i = 0; i < 3000; ++i) {
    CompactChunk bad = good;
    bad.values[rng() % bad.values.size()] ^= static_cast<char>(1 << (rng() % 8));
    Status status;
    std::vector<S> back = DecodeCompact(bad, &status);
    for (const S& s : back) {
      const double v = D(s.bits);
      ASSERT_TRUE(std::fabs(v) <= 9007199254740992.0) << v;
    }
  }
}

}  // namespace
}  // namespace quartet::store

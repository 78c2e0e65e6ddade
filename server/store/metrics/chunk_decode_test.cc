#include "server/store/metrics/chunk_decode.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "server/store/metrics/bit_reader.h"

namespace quartet::store {
namespace {

struct S {
  int64_t t;
  uint64_t bits;
  friend bool operator==(const S&, const S&) = default;
};

uint64_t B(double v) { return std::bit_cast<uint64_t>(v); }

// A chunk's two streams and how its values are coded.
struct Streams {
  uint32_t samples;
  std::string timestamps;
  std::string values;
  ValueCoding coding;
};

Streams Stream(const std::vector<S>& samples) {
  ChunkAppender c;
  for (const S& s : samples) EXPECT_TRUE(c.Append(s.t, std::bit_cast<double>(s.bits)));
  return {c.samples(), std::string(c.timestamp_bytes()), std::string(c.value_bytes()),
          ValueCoding::kStream};
}

Streams Compact(const std::vector<S>& samples) {
  std::vector<int64_t> t;
  std::vector<uint64_t> bits;
  for (const S& s : samples) {
    t.push_back(s.t);
    bits.push_back(s.bits);
  }
  CompactChunk c = EncodeCompactChunk(t, bits);
  return {c.samples, c.timestamps, c.values, ValueCoding::kCompact};
}

// What ChunkIterator decodes: its samples and its status.
std::vector<S> Iterate(const Streams& c, Status* status) {
  std::vector<S> out;
  ChunkIterator it(c.samples, c.timestamps, c.values, c.coding);
  while (it.Next()) out.push_back({it.t(), it.value_bits()});
  *status = it.status();
  return out;
}

// The batch decoders agree with the iterator on every prefix: where the
// iterator decoded m samples, both decode m; the whole chunk decodes in
// batch exactly when the iterator decodes all of it.
void ExpectBatchMatchesIterator(const Streams& c) {
  Status it_status;
  const std::vector<S> expected = Iterate(c, &it_status);
  const bool whole = it_status.ok() && expected.size() == c.samples;
  std::vector<int64_t> t(c.samples);
  std::vector<uint64_t> bits(c.samples);
  const Status ts = DecodeTimestamps(c.timestamps, t);
  const Status vs = DecodeValues(c.values, c.coding, bits);
  ASSERT_EQ(ts.ok() && vs.ok(), whole) << ts.ToString() << " / " << vs.ToString();
  if (!ts.ok()) {
    EXPECT_EQ(ts.code(), StatusCode::kDataLoss);
  }
  if (!vs.ok()) {
    EXPECT_EQ(vs.code(), StatusCode::kDataLoss);
  }
  for (size_t m : {size_t{1}, expected.size() / 2, expected.size()}) {
    if (m == 0 || m > expected.size()) continue;
    std::vector<int64_t> tp(m);
    std::vector<uint64_t> bp(m);
    ASSERT_TRUE(DecodeTimestamps(c.timestamps, tp).ok()) << m;
    ASSERT_TRUE(DecodeValues(c.values, c.coding, bp).ok()) << m;
    for (size_t i = 0; i < m; ++i) ASSERT_EQ((S{tp[i], bp[i]}), expected[i]) << i << "/" << m;
  }
}

std::vector<std::vector<S>> Shapes() {
  constexpr int64_t t0 = 1'700'000'000'000;
  const double inf = std::numeric_limits<double>::infinity();
  std::mt19937_64 rng(7);
  std::poisson_distribution<int> arrivals(300);
  std::lognormal_distribution<double> latency(std::log(0.08), 0.7);
  std::uniform_int_distribution<int> jitter(-40, 40);
  std::vector<std::vector<S>> out;
  std::vector<S> counter, sum, gauge, flat, wild, edges;
  double c = 0, s = 0;
  for (int i = 0; i < 480; ++i) {
    const int64_t t = t0 + int64_t{i} * 15000 + jitter(rng);
    c += arrivals(rng);
    s += latency(rng);
    counter.push_back({t, B(c)});
    sum.push_back({t, B(s)});
    gauge.push_back({t, B(latency(rng))});
    flat.push_back({t0 + int64_t{i} * 15000, B(42)});
    wild.push_back({t0 + int64_t{i} * int64_t{i} * 977 + i, rng()});
  }
  edges = {{t0, B(1)},           {t0 + 1, kStaleNaNBits},
           {t0 + 2, B(-0.0)},    {t0 + 3, B(inf)},
           {t0 + 4, B(-inf)},    {t0 + 5, B(9007199254740992.0)},
           {t0 + 6, B(-1e300)},  {t0 + 1'000'000'000'000, B(3)},
           {INT64_MAX - 5, B(4)}};
  for (auto* v : {&counter, &sum, &gauge, &flat, &wild, &edges}) out.push_back(*v);
  return out;
}

TEST(ChunkDecodeTest, BatchMatchesIteratorOnEveryShapeAndCoding) {
  for (const std::vector<S>& samples : Shapes()) {
    for (const Streams& c : {Stream(samples), Compact(samples)}) {
      SCOPED_TRACE(testing::Message()
                   << c.samples << " samples, coding " << static_cast<int>(c.coding));
      ExpectBatchMatchesIterator(c);
      Status status;
      ASSERT_EQ(Iterate(c, &status), samples);  // and round-trips
    }
  }
}

TEST(ChunkDecodeTest, DamagedStreamsAgreeWithIterator) {
  std::mt19937 rng(11);
  for (const std::vector<S>& samples : Shapes()) {
    for (const Streams& good : {Stream(samples), Compact(samples)}) {
      // Truncations of either stream.
      for (size_t len = 0; len < good.values.size(); len += 1 + len / 16) {
        Streams cut = good;
        cut.values.resize(len);
        ExpectBatchMatchesIterator(cut);
      }
      for (size_t len = 0; len < good.timestamps.size(); len += 1 + len / 16) {
        Streams cut = good;
        cut.timestamps.resize(len);
        ExpectBatchMatchesIterator(cut);
      }
      // Flipped bits, and more samples claimed than written.
      for (int i = 0; i < 300; ++i) {
        Streams bad = good;
        std::string& s = (rng() & 1) ? bad.values : bad.timestamps;
        s[rng() % s.size()] ^= static_cast<char>(1 << (rng() % 8));
        ExpectBatchMatchesIterator(bad);
      }
      Streams more = good;
      more.samples += 9;
      ExpectBatchMatchesIterator(more);
    }
  }
}

TEST(ChunkDecodeTest, RefusesMoreThanTheMaximumSamples) {
  std::vector<int64_t> t(kChunkMaxSamples + 1);
  std::vector<uint64_t> bits(kChunkMaxSamples + 1);
  EXPECT_EQ(DecodeTimestamps(std::string(1 << 20, '\0'), t).code(), StatusCode::kDataLoss);
  EXPECT_EQ(DecodeValues(std::string(1 << 20, '\0'), ValueCoding::kStream, bits).code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(DecodeTimestamps("", std::span<int64_t>()).ok());
}

TEST(ChunkDecodeTest, AppendChunkSamplesKeepsOnlyTheRange) {
  std::vector<S> samples;
  for (int i = 0; i < 100; ++i) samples.push_back({1000 + i * 10, B(i * 3.0)});
  const Streams c = Compact(samples);
  struct Case {
    int64_t min_t, max_t;
    size_t first, count;  // expected: samples[first, first + count)
  };
  const std::vector<Case> cases = {
      {INT64_MIN, INT64_MAX, 0, 100},
      {1000, 1990, 0, 100},
      {0, 999, 0, 0},
      {1991, 5000, 0, 0},
      {1000, 1000, 0, 1},
      {1990, 1990, 99, 1},
      {1005, 1035, 1, 3},
      {1500, 1500, 50, 1},
      {1501, 1509, 0, 0},
      {1200, 1100, 0, 0},
  };
  ChunkScratch scratch;
  for (const Case& k : cases) {
    std::vector<Sample> out = {{1, 2.0}};  // appended after what is there
    ASSERT_TRUE(AppendChunkSamples(c.samples, c.timestamps, c.values, c.coding, k.min_t, k.max_t,
                                   &scratch, &out)
                    .ok());
    ASSERT_EQ(out.size(), 1 + k.count) << k.min_t << ".." << k.max_t;
    for (size_t i = 0; i < k.count; ++i) {
      EXPECT_EQ(out[1 + i].t_ms, samples[k.first + i].t);
      EXPECT_EQ(B(out[1 + i].v), samples[k.first + i].bits);
    }
  }
  std::vector<Sample> out;
  EXPECT_EQ(AppendChunkSamples(c.samples, c.timestamps, c.values.substr(0, 2), c.coding, INT64_MIN,
                               INT64_MAX, &scratch, &out)
                .code(),
            StatusCode::kDataLoss);
  EXPECT_TRUE(out.empty());
}

// Consecutive chunks with the same timestamp stream reuse its decoding; a
// different stream, or one claiming more samples, is decoded again.
TEST(ChunkDecodeTest, AppendChunkSamplesReusesOnlyTheSameTimestampStream) {
  std::vector<S> a, b, c;
  for (int i = 0; i < 100; ++i) {
    a.push_back({1000 + i * 15, B(i)});
    b.push_back({1000 + i * 15, B(i * 7.5)});
    c.push_back({1003 + i * 16, B(i)});
  }
  const Streams sa = Compact(a), sb = Compact(b), sc = Compact(c);
  ASSERT_EQ(sa.timestamps, sb.timestamps);
  ASSERT_NE(sa.timestamps, sc.timestamps);
  struct Case {
    const Streams* chunk;
    uint32_t samples;  // claimed: a prefix of the chunk
    const std::vector<S>* want;
  };
  const std::vector<Case> cases = {{&sa, 100, &a}, {&sb, 100, &b}, {&sc, 100, &c}, {&sa, 50, &a},
                                   {&sb, 100, &b}, {&sc, 60, &c},  {&sc, 100, &c}};
  ChunkScratch scratch;
  for (size_t k = 0; k < cases.size(); ++k) {
    const Case& x = cases[k];
    std::vector<Sample> out;
    ASSERT_TRUE(AppendChunkSamples(x.samples, x.chunk->timestamps, x.chunk->values, x.chunk->coding,
                                   INT64_MIN, INT64_MAX, &scratch, &out)
                    .ok());
    ASSERT_EQ(out.size(), x.samples) << k;
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i].t_ms, (*x.want)[i].t) << k << " " << i;
      ASSERT_EQ(B(out[i].v), (*x.want)[i].bits) << k << " " << i;
    }
  }
  // A damaged stream after a good one is not mistaken for it.
  std::string damaged = sa.timestamps.substr(0, 3);
  std::vector<Sample> out;
  EXPECT_FALSE(
      AppendChunkSamples(100, damaged, sa.values, sa.coding, INT64_MIN, INT64_MAX, &scratch, &out)
          .ok());
}

// Consumes n bits in reads of every width.
void Advance(BitReader* r, uint64_t n) {
  for (int width = 1; n > 0; width = width % 64 + 1) {
    const int take = static_cast<int>(std::min<uint64_t>(n, width));
    uint64_t v;
    ASSERT_TRUE(r->ReadBits(take, &v));
    n -= static_cast<uint64_t>(take);
  }
}

// Against a bit-at-a-time reference: every width at every offset, up to and
// past the end of buffers of every length near the 8-byte load.
TEST(BitReaderTest, ReadsEveryWidthAtEveryOffsetAndStopsAtTheEnd) {
  std::mt19937_64 rng(5);
  for (size_t size = 0; size <= 20; ++size) {
    std::string bytes(size, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    auto bit_at = [&](uint64_t i) {
      return (static_cast<uint8_t>(bytes[i / 8]) >> (7 - i % 8)) & 1;
    };
    for (uint64_t offset = 0; offset <= size * 8; ++offset) {
      for (int n = 0; n <= 64; ++n) {
        BitReader r(bytes);
        Advance(&r, offset);
        ASSERT_EQ(r.remaining(), size * 8 - offset);
        uint64_t v = 0;
        const bool fits = offset + static_cast<uint64_t>(n) <= size * 8;
        ASSERT_EQ(r.ReadBits(n, &v), fits) << size << " " << offset << " " << n;
        if (!fits) {
          ASSERT_EQ(r.remaining(), size * 8 - offset);  // nothing consumed
          continue;
        }
        uint64_t want = 0;
        for (int i = 0; i < n; ++i) want = (want << 1) | bit_at(offset + i);
        ASSERT_EQ(v, want) << size << " " << offset << " " << n;
        ASSERT_EQ(r.remaining(), size * 8 - offset - n);
      }
      BitReader r(bytes);
      Advance(&r, offset);
      // Peek: the stream's bits first, zeros past the end.
      const uint64_t w = r.Peek();
      for (int i = 0; i < BitReader::kPeekBits && offset + i < size * 8 + 64; ++i) {
        const uint64_t want = offset + i < size * 8 ? bit_at(offset + i) : 0;
        ASSERT_EQ((w >> (63 - i)) & 1, want) << size << " " << offset << " " << i;
      }
      bool bit;
      ASSERT_EQ(r.ReadBit(&bit), offset < size * 8);
    }
  }
}

}  // namespace
}  // namespace quartet::store

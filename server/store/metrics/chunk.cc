#include "server/store/metrics/chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <vector>

#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

// Signed values in buckets: prefix '0' = 0, then '10', '110', '1110',
// '11110', '111110' + that many bits of two's complement, '111111' + 64 bits.
struct Buckets {
  int widths[5];
};
constexpr int kBuckets = 5;
// Jittered scrape intervals need a few ms; integer deltas of counters and
// gauges mostly fit 4-14 bits (tuned on the mix of metric_table_benchmark).
constexpr Buckets kTimeBuckets{{7, 14, 20, 32, 48}};
constexpr Buckets kIntBuckets{{4, 7, 10, 14, 24}};

bool FitsSigned(int64_t v, int bits) {
  const int64_t lo = -(int64_t{1} << (bits - 1));
  const int64_t hi = (int64_t{1} << (bits - 1)) - 1;
  return v >= lo && v <= hi;
}

// Bits WriteBucketed would use for v.
int BucketedCost(int64_t v, const Buckets& b) {
  if (v == 0) return 1;
  for (int i = 0; i < kBuckets; ++i) {
    if (FitsSigned(v, b.widths[i])) return i + 2 + b.widths[i];
  }
  return kBuckets + 1 + 64;
}

void WriteBucketed(BitWriter* w, int64_t v, const Buckets& b) {
  if (v == 0) {
    w->WriteBit(false);
    return;
  }
  for (int i = 0; i < kBuckets; ++i) {
    if (FitsSigned(v, b.widths[i])) {
      w->WriteBits((uint64_t{1} << (i + 2)) - 2, i + 2);  // i+1 ones then a zero
      w->WriteBits(static_cast<uint64_t>(v), b.widths[i]);
      return;
    }
  }
  w->WriteBits((uint64_t{1} << (kBuckets + 1)) - 1, kBuckets + 1);
  w->WriteBits(static_cast<uint64_t>(v), 64);
}

constexpr double kMaxExactInt = 9007199254740992.0;  // 2^53

// Integral doubles whose int64 round trip gives back the same bits.
bool IsIntegral(double x) {
  return std::fabs(x) <= kMaxExactInt && x == std::trunc(x) && !(x == 0 && std::signbit(x));
}

int Clz(uint64_t x) { return std::countl_zero(x); }
int Ctz(uint64_t x) { return std::countr_zero(x); }

// Compact value coding (EncodeCompactValues): the mode byte, the Rice
// parameter limit, the "every residual is 0" parameter and the escape: a
// quotient of kRiceEscape or more is written as kRiceEscape ones + 64 bits.
constexpr uint8_t kCompactStream = 0;
constexpr uint8_t kCompactBase = 1;
constexpr uint8_t kCompactDelta = 2;
constexpr uint8_t kCompactBits = 3;
constexpr uint8_t kMaxRiceK = 62;
constexpr uint8_t kAllZero = 0xff;
constexpr uint64_t kRiceEscape = 24;
constexpr int64_t kMaxExactInt64 = int64_t{1} << 53;

}  // namespace

// ---- BitWriter ------------------------------------------------------------------

void BitWriter::WriteBit(bool bit) {
  if (bits_ % 8 == 0) bytes_.push_back(0);
  if (bit) bytes_.back() = static_cast<char>(bytes_.back() | (0x80 >> (bits_ % 8)));
  ++bits_;
}

void BitWriter::WriteBits(uint64_t v, int nbits) {
  while (nbits > 0) {
    const int used = static_cast<int>(bits_ % 8);
    if (used == 0) bytes_.push_back(0);
    const int free = 8 - used;
    const int take = nbits < free ? nbits : free;
    const uint64_t chunk = (v >> (nbits - take)) & ((uint64_t{1} << take) - 1);
    bytes_.back() = static_cast<char>(static_cast<uint8_t>(bytes_.back()) |
                                      static_cast<uint8_t>(chunk << (free - take)));
    nbits -= take;
    bits_ += static_cast<uint64_t>(take);
  }
}

// ---- ChunkAppender --------------------------------------------------------------

bool ChunkAppender::Append(int64_t t_ms, double v) {
  const uint64_t bits = std::bit_cast<uint64_t>(v);
  if (n_ == 0) {
    ts_.WriteBits(static_cast<uint64_t>(t_ms), 64);
    vs_.WriteBits(bits, 64);
    first_t_ = last_t_ = t_ms;
    last_bits_ = bits;
    n_ = 1;
    return true;
  }
  if (t_ms <= last_t_ || n_ >= kChunkMaxSamples) return false;
  // Modular arithmetic: any pair of int64 timestamps round-trips.
  const int64_t dt =
      static_cast<int64_t>(static_cast<uint64_t>(t_ms) - static_cast<uint64_t>(last_t_));
  const int64_t dod =
      static_cast<int64_t>(static_cast<uint64_t>(dt) - static_cast<uint64_t>(last_dt_));
  WriteBucketed(&ts_, dod, kTimeBuckets);
  last_dt_ = dt;
  last_t_ = t_ms;
  AppendValue(bits, v);
  ++n_;
  return true;
}

void ChunkAppender::AppendValue(uint64_t bits, double v) {
  if (bits == last_bits_) {
    vs_.WriteBit(false);
    last_int_delta_ = 0;
    return;
  }
  const double prev = std::bit_cast<double>(last_bits_);
  int int_cost = 1 << 20;
  int64_t d = 0;
  int64_t dod = 0;
  if (IsIntegral(v) && IsIntegral(prev)) {
    d = static_cast<int64_t>(v) - static_cast<int64_t>(prev);  // |d| <= 2^54
    dod = d - last_int_delta_;                                 // |dod| <= 2^55
    int_cost = BucketedCost(dod, kIntBuckets);
  }
  const uint64_t x = bits ^ last_bits_;
  const int lead = std::min(Clz(x), 31);
  const int trail = Ctz(x);
  const bool reuse = leading_ != 0xff && lead >= leading_ && trail >= trailing_;
  const int xor_cost = reuse ? 1 + 64 - leading_ - trailing_ : 1 + 5 + 6 + 64 - lead - trail;
  if (int_cost <= xor_cost) {
    vs_.WriteBits(0b10, 2);
    WriteBucketed(&vs_, dod, kIntBuckets);
    last_int_delta_ = d;
  } else {
    vs_.WriteBits(0b11, 2);
    if (reuse) {
      vs_.WriteBit(false);
      vs_.WriteBits(x >> trailing_, 64 - leading_ - trailing_);
    } else {
      const int sig = 64 - lead - trail;
      vs_.WriteBit(true);
      vs_.WriteBits(static_cast<uint64_t>(lead), 5);
      vs_.WriteBits(static_cast<uint64_t>(sig & 63), 6);  // 64 is written as 0
      vs_.WriteBits(x >> trail, sig);
      leading_ = static_cast<uint8_t>(lead);
      trailing_ = static_cast<uint8_t>(trail);
    }
    last_int_delta_ = 0;
  }
  last_bits_ = bits;
}

std::string ChunkAppender::Encode() const { return JoinChunk(n_, ts_.bytes(), vs_.bytes()); }

std::string JoinChunk(uint32_t samples, std::string_view timestamps, std::string_view values) {
  std::string out;
  out.reserve(timestamps.size() + values.size() + 8);
  PutVarint64(&out, samples);
  PutVarint64(&out, timestamps.size());
  out.append(timestamps);
  out.append(values);
  return out;
}

Result<ChunkParts> SplitChunk(std::string_view chunk) {
  uint64_t n, ts_len;
  if (!GetVarint64(&chunk, &n) || !GetVarint64(&chunk, &ts_len) || ts_len > chunk.size()) {
    return Status::DataLoss("chunk header is truncated");
  }
  if (n > kChunkMaxSamples) return Status::DataLoss("chunk claims too many samples");
  return ChunkParts{static_cast<uint32_t>(n), chunk.substr(0, ts_len), chunk.substr(ts_len)};
}

// ---- ChunkIterator ----------------------------------------------------------------

bool ChunkIterator::Reader::ReadBit(bool* bit) {
  if (pos_ >= in_.size() * 8) return false;
  *bit = (static_cast<uint8_t>(in_[pos_ / 8]) >> (7 - pos_ % 8)) & 1;
  ++pos_;
  return true;
}

bool ChunkIterator::Reader::ReadBits(int nbits, uint64_t* v) {
  if (static_cast<uint64_t>(nbits) > in_.size() * 8 - pos_) return false;
  uint64_t out = 0;
  while (nbits > 0) {
    const int used = static_cast<int>(pos_ % 8);
    const int avail = 8 - used;
    const int take = nbits < avail ? nbits : avail;
    const uint64_t byte = static_cast<uint8_t>(in_[pos_ / 8]);
    out = (out << take) | ((byte >> (avail - take)) & ((1u << take) - 1));
    nbits -= take;
    pos_ += static_cast<uint64_t>(take);
  }
  *v = out;
  return true;
}

namespace {

bool ReadBucketed(auto* r, const Buckets& b, int64_t* v) {
  int ones = 0;
  bool bit;
  while (ones < kBuckets + 1) {
    if (!r->ReadBit(&bit)) return false;
    if (!bit) break;
    ++ones;
  }
  if (ones == 0) {
    *v = 0;
    return true;
  }
  const int width = ones == kBuckets + 1 ? 64 : b.widths[ones - 1];
  uint64_t raw;
  if (!r->ReadBits(width, &raw)) return false;
  if (width < 64 && (raw >> (width - 1)) & 1) raw |= ~uint64_t{0} << width;  // sign-extend
  *v = static_cast<int64_t>(raw);
  return true;
}

}  // namespace

ChunkIterator::ChunkIterator(std::string_view chunk) {
  Result<ChunkParts> parts = SplitChunk(chunk);
  if (!parts.ok()) {
    status_ = parts.status();
    return;
  }
  *this = ChunkIterator(parts->samples, parts->timestamps, parts->values);
}

ChunkIterator::ChunkIterator(uint32_t samples, std::string_view timestamps, std::string_view values,
                             ValueCoding coding)
    : ts_(timestamps), vs_(values), n_(samples) {
  if (n_ > kChunkMaxSamples) {
    n_ = 0;
    status_ = Status::DataLoss("chunk claims too many samples");
    return;
  }
  if (coding != ValueCoding::kCompact || n_ == 0) return;
  // Header: mode, then for the integer modes zz(first), [zz(base)], k.
  if (values.empty()) {
    Fail("compact value stream without a mode");
    return;
  }
  const uint8_t mode = static_cast<uint8_t>(values[0]);
  values.remove_prefix(1);
  if (mode == kCompactStream) {
    vs_ = Reader(values);
    return;
  }
  uint64_t first, base = 0;
  const bool has_base = mode == kCompactBase || mode == kCompactBits;
  if ((mode != kCompactBase && mode != kCompactDelta && mode != kCompactBits) ||
      !GetVarint64(&values, &first) || (has_base && !GetVarint64(&values, &base)) ||
      values.empty()) {
    Fail("compact value header");
    return;
  }
  first_int_ = mode == kCompactBits ? static_cast<int64_t>(first) : ZigZagDecode(first);
  base_ = ZigZagDecode(base);
  rice_k_ = static_cast<uint8_t>(values[0]);
  values.remove_prefix(1);
  if ((rice_k_ > kMaxRiceK && rice_k_ != kAllZero) ||
      (mode != kCompactBits && (first_int_ > kMaxExactInt64 || first_int_ < -kMaxExactInt64))) {
    Fail("compact value header");
    return;
  }
  int_mode_ = mode;
  vs_ = Reader(values);
}

double ChunkIterator::v() const { return std::bit_cast<double>(bits_); }

bool ChunkIterator::Fail(const char* what) {
  status_ = Status::DataLoss(std::string("malformed chunk: ") + what);
  n_ = 0;
  return false;
}

bool ChunkIterator::Next() {
  if (i_ >= n_) return false;
  if (i_ == 0) {
    uint64_t t, bits;
    if (!ts_.ReadBits(64, &t)) return Fail("truncated first sample");
    if (int_mode_ == kCompactBits) {
      bits = static_cast<uint64_t>(first_int_);
    } else if (int_mode_ != 0) {
      bits = std::bit_cast<uint64_t>(static_cast<double>(first_int_));
    } else if (!vs_.ReadBits(64, &bits)) {
      return Fail("truncated first sample");
    }
    t_ = static_cast<int64_t>(t);
    bits_ = bits;
    started_ = true;
    ++i_;
    return true;
  }
  int64_t dod;
  if (!ReadBucketed(&ts_, kTimeBuckets, &dod)) return Fail("truncated timestamp");
  dt_ = static_cast<int64_t>(static_cast<uint64_t>(dt_) + static_cast<uint64_t>(dod));
  const int64_t t = static_cast<int64_t>(static_cast<uint64_t>(t_) + static_cast<uint64_t>(dt_));
  if (t <= t_) return Fail("timestamps not increasing");
  t_ = t;
  if (int_mode_ != 0) {
    if (!NextCompactValue()) return false;
    ++i_;
    return true;
  }
  bool bit;
  if (!vs_.ReadBit(&bit)) return Fail("truncated value");
  if (!bit) {
    int_delta_ = 0;
  } else {
    if (!vs_.ReadBit(&bit)) return Fail("truncated value");
    if (!bit) {  // integer delta-of-delta
      const double prev = std::bit_cast<double>(bits_);
      if (!IsIntegral(prev)) return Fail("integer delta after a non-integer value");
      int64_t dod_v, d, cur;
      if (!ReadBucketed(&vs_, kIntBuckets, &dod_v)) return Fail("truncated value");
      if (__builtin_add_overflow(int_delta_, dod_v, &d) ||
          __builtin_add_overflow(static_cast<int64_t>(prev), d, &cur) || cur > (int64_t{1} << 53) ||
          cur < -(int64_t{1} << 53)) {
        return Fail("integer value out of range");
      }
      int_delta_ = d;
      bits_ = std::bit_cast<uint64_t>(static_cast<double>(cur));
    } else {  // XOR
      if (!vs_.ReadBit(&bit)) return Fail("truncated value");
      uint64_t lead, sig;
      if (bit) {
        if (!vs_.ReadBits(5, &lead) || !vs_.ReadBits(6, &sig)) return Fail("truncated value");
        if (sig == 0) sig = 64;
        if (lead + sig > 64) return Fail("XOR window out of range");
        leading_ = static_cast<uint8_t>(lead);
        trailing_ = static_cast<uint8_t>(64 - lead - sig);
      } else if (leading_ == 0xff) {
        return Fail("XOR window reused before one was set");
      }
      sig = 64u - leading_ - trailing_;
      uint64_t x;
      if (!vs_.ReadBits(static_cast<int>(sig), &x)) return Fail("truncated value");
      bits_ ^= trailing_ == 64 ? 0 : x << trailing_;
      int_delta_ = 0;
    }
  }
  ++i_;
  return true;
}

bool ChunkIterator::NextCompactValue() {
  uint64_t u = 0;
  if (rice_k_ != kAllZero) {
    uint64_t q = 0;
    bool bit = true;
    while (q < kRiceEscape) {
      if (!vs_.ReadBit(&bit)) return Fail("truncated value");
      if (!bit) break;
      ++q;
    }
    if (q == kRiceEscape) {
      if (!vs_.ReadBits(64, &u)) return Fail("truncated value");
    } else {
      uint64_t low = 0;
      if (rice_k_ > 0 && !vs_.ReadBits(rice_k_, &low)) return Fail("truncated value");
      if (rice_k_ > 0 && q > (~uint64_t{0} >> rice_k_)) return Fail("Rice quotient overflows");
      u = (rice_k_ >= 64 ? 0 : q << rice_k_) | low;
    }
  }
  const int64_t r = ZigZagDecode(u);
  if (int_mode_ == kCompactBits) {  // wrapping: every bit pattern is a value
    bits_ += static_cast<uint64_t>(base_) + static_cast<uint64_t>(r);
    return true;
  }
  const double prev = std::bit_cast<double>(bits_);
  int64_t d, cur;
  if (__builtin_add_overflow(int_mode_ == kCompactBase ? base_ : int_delta_, r, &d) ||
      __builtin_add_overflow(static_cast<int64_t>(prev), d, &cur) || cur > kMaxExactInt64 ||
      cur < -kMaxExactInt64) {
    return Fail("integer value out of range");
  }
  int_delta_ = d;
  bits_ = std::bit_cast<uint64_t>(static_cast<double>(cur));
  return true;
}

bool ChunkIterator::Seek(int64_t t_ms) {
  if (!started_ && !Next()) return false;
  while (t_ < t_ms) {
    if (!Next()) return false;
  }
  return true;
}

// ---- compact coding ------------------------------------------------------------------

bool IsExactInteger(double x) { return IsIntegral(x); }

namespace {

// Bits of the Rice code of every u with parameter k (kAllZero: none).
uint64_t RiceCost(std::span<const uint64_t> us, int k) {
  uint64_t bits = 0;
  for (uint64_t u : us) {
    const uint64_t q = u >> k;
    bits += q < kRiceEscape ? q + 1 + static_cast<uint64_t>(k) : kRiceEscape + 64;
  }
  return bits;
}

// The header and Rice code of residuals `us` (zigzagged), k chosen around
// log2 of their mean, where the total cost is near its minimum.
std::string EncodeRice(uint8_t mode, int64_t first, int64_t base, std::span<const uint64_t> us) {
  std::string out(1, static_cast<char>(mode));
  PutVarint64(&out, mode == kCompactBits ? static_cast<uint64_t>(first) : ZigZagEncode(first));
  if (mode != kCompactDelta) PutVarint64(&out, ZigZagEncode(base));
  if (std::all_of(us.begin(), us.end(), [](uint64_t u) { return u == 0; })) {
    out.push_back(static_cast<char>(kAllZero));
    return out;
  }
  long double sum = 0;
  for (uint64_t u : us) sum += static_cast<long double>(u);
  const long double mean = sum / static_cast<long double>(us.size());
  const int guess = mean < 1 ? 0 : static_cast<int>(std::log2(static_cast<double>(mean)));
  int best_k = 0;
  uint64_t best = UINT64_MAX;
  // The cost is convex in k with its minimum within one of log2(mean).
  for (int k = std::max(0, guess - 1); k <= std::min<int>(kMaxRiceK, guess + 1); ++k) {
    const uint64_t cost = RiceCost(us, k);
    if (cost < best) {
      best = cost;
      best_k = k;
    }
  }
  out.push_back(static_cast<char>(best_k));
  BitWriter w;
  for (uint64_t u : us) {
    const uint64_t q = u >> best_k;
    if (q < kRiceEscape) {
      w.WriteBits((uint64_t{1} << q) - 1, static_cast<int>(q));
      w.WriteBit(false);
      w.WriteBits(u, best_k);
    } else {
      w.WriteBits((uint64_t{1} << kRiceEscape) - 1, static_cast<int>(kRiceEscape));
      w.WriteBits(u, 64);
    }
  }
  out += w.bytes();
  return out;
}

}  // namespace

std::string EncodeCompactValues(std::span<const uint64_t> value_bits) {
  // The streaming code is the fallback and the yardstick.
  ChunkAppender stream;
  for (size_t i = 0; i < value_bits.size(); ++i) {
    stream.Append(static_cast<int64_t>(i), std::bit_cast<double>(value_bits[i]));
  }
  std::string best(1, static_cast<char>(kCompactStream));
  best += stream.value_bytes();
  if (value_bits.empty()) return best;
  // Mode 3: steps of the bit patterns as integers, from their median step:
  // a float that grows steadily (a histogram's _sum) keeps its exponent, so
  // the step is a mantissa increment of nearly constant size. (Integers do
  // better in modes 1 and 2: their steps are not shifted by the exponent.)
  const bool integers = std::all_of(value_bits.begin(), value_bits.end(), [](uint64_t b) {
    return IsIntegral(std::bit_cast<double>(b));
  });
  if (!integers) {
    std::vector<int64_t> steps(value_bits.size() - 1);
    for (size_t i = 1; i < value_bits.size(); ++i) {
      steps[i - 1] = static_cast<int64_t>(value_bits[i] - value_bits[i - 1]);
    }
    int64_t median = 0;
    if (!steps.empty()) {
      std::vector<int64_t> sorted = steps;
      std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
      median = sorted[sorted.size() / 2];
    }
    std::vector<uint64_t> us(steps.size());
    for (size_t i = 0; i < steps.size(); ++i) {
      us[i] = ZigZagEncode(
          static_cast<int64_t>(static_cast<uint64_t>(steps[i]) - static_cast<uint64_t>(median)));
    }
    std::string bits = EncodeRice(kCompactBits, static_cast<int64_t>(value_bits[0]), median, us);
    if (bits.size() < best.size()) best = std::move(bits);
    return best;
  }
  std::vector<int64_t> x(value_bits.size());
  for (size_t i = 0; i < value_bits.size(); ++i) {
    x[i] = static_cast<int64_t>(std::bit_cast<double>(value_bits[i]));
  }
  // |x| <= 2^53: deltas and residuals fit easily in int64.
  std::vector<int64_t> d(x.size() - 1);
  for (size_t i = 1; i < x.size(); ++i) d[i - 1] = x[i] - x[i - 1];
  std::vector<uint64_t> us(d.size());
  // Mode 1: distance from the median delta (steady counters).
  int64_t median = 0;
  if (!d.empty()) {
    std::vector<int64_t> sorted = d;
    std::nth_element(sorted.begin(), sorted.begin() + sorted.size() / 2, sorted.end());
    median = sorted[sorted.size() / 2];
  }
  for (size_t i = 0; i < d.size(); ++i) us[i] = ZigZagEncode(d[i] - median);
  std::string base = EncodeRice(kCompactBase, x[0], median, us);
  if (base.size() < best.size()) best = std::move(base);
  // Mode 2: distance from the previous delta (trends, rate changes).
  int64_t prev = 0;
  for (size_t i = 0; i < d.size(); ++i) {
    us[i] = ZigZagEncode(d[i] - prev);
    prev = d[i];
  }
  std::string delta = EncodeRice(kCompactDelta, x[0], 0, us);
  if (delta.size() < best.size()) best = std::move(delta);
  return best;
}

CompactChunk EncodeCompactChunk(std::span<const int64_t> t, std::span<const uint64_t> value_bits) {
  CompactChunk out;
  ChunkAppender times;  // for its timestamp stream only
  for (int64_t ti : t) times.Append(ti, 0.0);
  out.min_t = times.min_t();
  out.max_t = times.max_t();
  out.samples = times.samples();
  out.timestamps = std::string(times.timestamp_bytes());
  out.values = EncodeCompactValues(value_bits.first(out.samples));
  return out;
}

}  // namespace quartet::store

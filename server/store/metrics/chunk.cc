#include "server/store/metrics/chunk.h"

#include <bit>
#include <cmath>

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

ChunkIterator::ChunkIterator(uint32_t samples, std::string_view timestamps, std::string_view values)
    : ts_(timestamps), vs_(values), n_(samples) {
  if (n_ > kChunkMaxSamples) {
    n_ = 0;
    status_ = Status::DataLoss("chunk claims too many samples");
  }
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
    if (!ts_.ReadBits(64, &t) || !vs_.ReadBits(64, &bits)) return Fail("truncated first sample");
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

bool ChunkIterator::Seek(int64_t t_ms) {
  if (!started_ && !Next()) return false;
  while (t_ < t_ms) {
    if (!Next()) return false;
  }
  return true;
}

}  // namespace quartet::store

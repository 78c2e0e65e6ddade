#include "server/store/metrics/chunk.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <utility>
#include <vector>

#include "server/store/block/varint.h"
#include "server/store/metrics/chunk_format.h"

namespace quartet::store {
namespace {

using namespace chunk_format;

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

int Clz(uint64_t x) { return std::countl_zero(x); }
int Ctz(uint64_t x) { return std::countr_zero(x); }

}  // namespace

// ---- BitWriter ------------------------------------------------------------------

BitWriter::BitWriter(const BitWriter& other) : arena_(other.arena_) {
  if (other.size() > 0) {
    Resize(other.size());  // empty so far: copies nothing
    std::copy_n(other.data_, other.size(), data_);
  }
  bits_ = other.bits_;
}

BitWriter& BitWriter::operator=(const BitWriter& other) {
  if (this != &other) *this = BitWriter(other);
  return *this;
}

BitWriter::BitWriter(BitWriter&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)),
      cap_(std::exchange(other.cap_, 0)),
      bits_(std::exchange(other.bits_, 0)),
      arena_(other.arena_) {}

BitWriter& BitWriter::operator=(BitWriter&& other) noexcept {
  if (this != &other) {
    Release();
    data_ = std::exchange(other.data_, nullptr);
    cap_ = std::exchange(other.cap_, 0);
    bits_ = std::exchange(other.bits_, 0);
    arena_ = other.arena_;
  }
  return *this;
}

void BitWriter::Release() {
  if (data_ == nullptr) return;
  if (arena_ != nullptr) {
    arena_->Free(data_, cap_);
  } else {
    delete[] data_;
  }
  data_ = nullptr;
  cap_ = 0;
}

// Moves the bytes to a block of (at least) `cap` >= size() bytes.
void BitWriter::Resize(size_t cap) {
  char* next;
  if (arena_ != nullptr) {
    cap = arena_->Capacity(cap);
    next = arena_->Allocate(cap);
  } else {
    next = new char[cap];
  }
  const size_t n = size();
  if (n > 0) std::copy_n(data_, n, next);
  const uint64_t bits = bits_;
  Release();
  data_ = next;
  cap_ = static_cast<uint32_t>(cap);
  bits_ = bits;
}

void BitWriter::Grow(size_t need) {
  // 1.5x: an open chunk's buffer is, on average, not far from full.
  Resize(std::max<size_t>({need, size_t{cap_} + cap_ / 2, 16}));
}

void BitWriter::ShrinkToFit() {
  if (size() == 0) {
    Release();
  } else if (size() < cap_) {
    Resize(size());
  }
}

void BitWriter::WriteBit(bool bit) {
  const size_t pos = static_cast<size_t>(bits_ / 8);
  if (bits_ % 8 == 0) {
    if (pos >= cap_) Grow(pos + 1);
    data_[pos] = 0;
  }
  if (bit) data_[pos] = static_cast<char>(data_[pos] | (0x80 >> (bits_ % 8)));
  ++bits_;
}

void BitWriter::WriteBits(uint64_t v, int nbits) {
  if (nbits <= 0) return;
  const size_t need = static_cast<size_t>((bits_ + static_cast<uint64_t>(nbits) + 7) / 8);
  if (need > cap_) Grow(need);
  // Fill the partial last byte, then whole bytes, then the tail.
  const int used = static_cast<int>(bits_ % 8);
  if (used != 0) {
    const int free = 8 - used;
    const int take = nbits < free ? nbits : free;
    const uint64_t head = (v >> (nbits - take)) & ((uint64_t{1} << take) - 1);
    char& last = data_[bits_ / 8];
    last =
        static_cast<char>(static_cast<uint8_t>(last) | static_cast<uint8_t>(head << (free - take)));
    nbits -= take;
    bits_ += static_cast<uint64_t>(take);
  }
  char* out = data_ + bits_ / 8;  // byte-aligned here unless nbits is 0
  while (nbits >= 8) {
    nbits -= 8;
    *out++ = static_cast<char>(static_cast<uint8_t>(v >> nbits));
    bits_ += 8;
  }
  if (nbits > 0) {
    *out = static_cast<char>(static_cast<uint8_t>(v << (8 - nbits)));
    bits_ += static_cast<uint64_t>(nbits);
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

// ---- compact coding ------------------------------------------------------------------

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

// The chunk decoders: ChunkIterator (chunk.h) and the batch decoders
// (chunk_decode.h) share the per-sample steps below, so both read the format
// one way; the batch loops keep the decoder's state in locals.
#include "server/store/metrics/chunk_decode.h"

#include <algorithm>
#include <bit>
#include <string>

#include "server/store/block/varint.h"
#include "server/store/metrics/bit_reader.h"
#include "server/store/metrics/chunk_format.h"

namespace quartet::store {
namespace {

using namespace chunk_format;

// The steps return nullptr or what was malformed (ChunkIterator's messages).
constexpr const char* kTruncatedValue = "truncated value";

// A bucketed signed integer (chunk_format.h): the prefix and the payload of
// every bucket but the 64-bit escape fit one Peek (at most 5 + 1 + 48 bits).
inline bool ReadBucketed(BitReader* r, const Buckets& b, int64_t* v) {
  const uint64_t w = r->Peek();
  int ones = std::countl_one(w);
  if (ones == 0) {
    if (r->remaining() < 1) return false;
    r->Skip(1);
    *v = 0;
    return true;
  }
  if (ones > kBuckets) {
    if (r->remaining() < kBuckets + 1 + 64) return false;
    r->Skip(kBuckets + 1);
    uint64_t raw = 0;
    r->ReadBits(64, &raw);
    *v = static_cast<int64_t>(raw);
    return true;
  }
  // Zero fill past the end reads as the prefix's terminating 0: the length
  // check below refuses what would run past the end.
  const int width = b.widths[ones - 1];
  const int total = ones + 1 + width;
  if (static_cast<uint64_t>(total) > r->remaining()) return false;
  const uint64_t raw = (w << (ones + 1)) >> (64 - width);
  *v = static_cast<int64_t>(raw << (64 - width)) >> (64 - width);  // sign-extend
  r->Skip(total);
  return true;
}

// A Rice-coded u with parameter k (0..kMaxRiceK).
inline const char* ReadRice(BitReader* r, int k, uint64_t* u) {
  const uint64_t w = r->Peek();
  // Only the stream's own bits can be ones, so q <= remaining().
  const int q = std::countl_one(w);
  if (static_cast<uint64_t>(q) >= kRiceEscape) {
    if (r->remaining() < kRiceEscape + 64) return kTruncatedValue;
    r->Skip(kRiceEscape);
    r->ReadBits(64, u);
    return nullptr;
  }
  const uint64_t need = static_cast<uint64_t>(q + 1 + k);
  if (need > r->remaining()) return kTruncatedValue;
  uint64_t low = 0;
  if (k == 0) {
    r->Skip(q + 1);
  } else if (need <= BitReader::kPeekBits) {
    low = (w << (q + 1)) >> (64 - k);
    r->Skip(q + 1 + k);
  } else {
    r->Skip(q + 1);
    r->ReadBits(k, &low);
  }
  if (k > 0 && static_cast<uint64_t>(q) > (~uint64_t{0} >> k)) return "Rice quotient overflows";
  *u = (static_cast<uint64_t>(q) << k) | low;
  return nullptr;
}

inline const char* NextTimestamp(BitReader* r, int64_t* t, int64_t* dt) {
  int64_t dod;
  if (!ReadBucketed(r, kTimeBuckets, &dod)) return "truncated timestamp";
  *dt = static_cast<int64_t>(static_cast<uint64_t>(*dt) + static_cast<uint64_t>(dod));
  const int64_t next = static_cast<int64_t>(static_cast<uint64_t>(*t) + static_cast<uint64_t>(*dt));
  if (next <= *t) return "timestamps not increasing";
  *t = next;
  return nullptr;
}

// One value of the streaming code after the first.
inline const char* NextStreamValue(BitReader* r, uint64_t* bits, int64_t* int_delta,
                                   uint8_t* leading, uint8_t* trailing) {
  const uint64_t w = r->Peek();
  const uint64_t rem = r->remaining();
  if (rem < 1) return kTruncatedValue;
  if ((w >> 63) == 0) {  // the same bits
    r->Skip(1);
    *int_delta = 0;
    return nullptr;
  }
  if (rem < 2) return kTruncatedValue;
  if (((w >> 62) & 1) == 0) {  // integer delta-of-delta
    const double prev = std::bit_cast<double>(*bits);
    if (!IsIntegral(prev)) return "integer delta after a non-integer value";
    r->Skip(2);
    int64_t dod, d, cur;
    if (!ReadBucketed(r, kIntBuckets, &dod)) return kTruncatedValue;
    if (__builtin_add_overflow(*int_delta, dod, &d) ||
        __builtin_add_overflow(static_cast<int64_t>(prev), d, &cur) || cur > kMaxExactInt64 ||
        cur < -kMaxExactInt64) {
      return "integer value out of range";
    }
    *int_delta = d;
    *bits = std::bit_cast<uint64_t>(static_cast<double>(cur));
    return nullptr;
  }
  // XOR: '0' reuses the window, '1' + 5 bits leading zeros + 6 bits length.
  if (rem < 3) return kTruncatedValue;
  if ((w >> 61) & 1) {
    if (rem < 14) return kTruncatedValue;
    const uint64_t lead = (w >> 56) & 31;
    uint64_t sig = (w >> 50) & 63;
    if (sig == 0) sig = 64;
    if (lead + sig > 64) return "XOR window out of range";
    *leading = static_cast<uint8_t>(lead);
    *trailing = static_cast<uint8_t>(64 - lead - sig);
    r->Skip(14);
  } else {
    if (*leading == 0xff) return "XOR window reused before one was set";
    r->Skip(3);
  }
  uint64_t x;
  if (!r->ReadBits(64 - *leading - *trailing, &x)) return kTruncatedValue;
  *bits ^= *trailing == 64 ? 0 : x << *trailing;
  *int_delta = 0;
  return nullptr;
}

// The header of a compact value stream: the mode and, for the Rice modes,
// the first value, the base and the Rice parameter.
struct CompactHeader {
  uint8_t mode = kCompactStream;
  uint8_t k = 0;
  int64_t first = 0;
  int64_t base = 0;
  std::string_view bits;  // what follows the header
};

const char* ParseCompactHeader(std::string_view values, CompactHeader* h) {
  if (values.empty()) return "compact value stream without a mode";
  h->mode = static_cast<uint8_t>(values[0]);
  values.remove_prefix(1);
  if (h->mode == kCompactStream) {
    h->bits = values;
    return nullptr;
  }
  uint64_t first, base = 0;
  const bool has_base = h->mode == kCompactBase || h->mode == kCompactBits;
  if ((h->mode != kCompactBase && h->mode != kCompactDelta && h->mode != kCompactBits) ||
      !GetVarint64(&values, &first) || (has_base && !GetVarint64(&values, &base)) ||
      values.empty()) {
    return "compact value header";
  }
  h->first = h->mode == kCompactBits ? static_cast<int64_t>(first) : ZigZagDecode(first);
  h->base = ZigZagDecode(base);
  h->k = static_cast<uint8_t>(values[0]);
  values.remove_prefix(1);
  if ((h->k > kMaxRiceK && h->k != kAllZero) ||
      (h->mode != kCompactBits && (h->first > kMaxExactInt64 || h->first < -kMaxExactInt64))) {
    return "compact value header";
  }
  h->bits = values;
  return nullptr;
}

// One value of a Rice mode after the first: in the integer modes `value` is
// the current integer and `bits` follows it; in kCompactBits `bits` steps.
inline const char* NextCompactValue(BitReader* r, uint8_t mode, uint8_t k, int64_t base,
                                    int64_t* value, int64_t* int_delta, uint64_t* bits) {
  uint64_t u = 0;
  if (k != kAllZero) {
    if (const char* err = ReadRice(r, k, &u)) return err;
  }
  const int64_t residual = ZigZagDecode(u);
  if (mode == kCompactBits) {  // wrapping: every bit pattern is a value
    *bits += static_cast<uint64_t>(base) + static_cast<uint64_t>(residual);
    return nullptr;
  }
  int64_t d, cur;
  if (__builtin_add_overflow(mode == kCompactBase ? base : *int_delta, residual, &d) ||
      __builtin_add_overflow(*value, d, &cur) || cur > kMaxExactInt64 || cur < -kMaxExactInt64) {
    return "integer value out of range";
  }
  *int_delta = d;
  *value = cur;
  *bits = std::bit_cast<uint64_t>(static_cast<double>(cur));
  return nullptr;
}

Status Malformed(const char* what) {
  return Status::DataLoss(std::string("malformed chunk: ") + what);
}

}  // namespace

// ---- batch ------------------------------------------------------------------------

Status DecodeTimestamps(std::string_view stream, std::span<int64_t> out) {
  if (out.empty()) return Status::Ok();
  if (out.size() > kChunkMaxSamples) return Status::DataLoss("chunk claims too many samples");
  BitReader r(stream);
  uint64_t first;
  if (!r.ReadBits(64, &first)) return Malformed("truncated first sample");
  int64_t t = static_cast<int64_t>(first), dt = 0;
  out[0] = t;
  for (size_t i = 1; i < out.size(); ++i) {
    if (const char* err = NextTimestamp(&r, &t, &dt)) return Malformed(err);
    out[i] = t;
  }
  return Status::Ok();
}

Status DecodeValues(std::string_view stream, ValueCoding coding, std::span<uint64_t> out) {
  if (out.empty()) return Status::Ok();
  if (out.size() > kChunkMaxSamples) return Status::DataLoss("chunk claims too many samples");
  CompactHeader h;
  h.bits = stream;
  if (coding == ValueCoding::kCompact) {
    if (const char* err = ParseCompactHeader(stream, &h)) return Malformed(err);
  }
  BitReader r(h.bits);
  if (h.mode == kCompactStream) {
    uint64_t bits;
    if (!r.ReadBits(64, &bits)) return Malformed("truncated first sample");
    int64_t int_delta = 0;
    uint8_t leading = 0xff, trailing = 0;
    out[0] = bits;
    for (size_t i = 1; i < out.size(); ++i) {
      if (const char* err = NextStreamValue(&r, &bits, &int_delta, &leading, &trailing)) {
        return Malformed(err);
      }
      out[i] = bits;
    }
    return Status::Ok();
  }
  int64_t value = h.first, int_delta = 0;
  uint64_t bits = h.mode == kCompactBits ? static_cast<uint64_t>(h.first)
                                         : std::bit_cast<uint64_t>(static_cast<double>(h.first));
  out[0] = bits;
  for (size_t i = 1; i < out.size(); ++i) {
    if (const char* err = NextCompactValue(&r, h.mode, h.k, h.base, &value, &int_delta, &bits)) {
      return Malformed(err);
    }
    out[i] = bits;
  }
  return Status::Ok();
}

void AppendSamples(const int64_t* t, const uint64_t* bits, size_t begin, size_t end,
                   std::vector<Sample>* out) {
  if (begin >= end) return;
  const size_t need = out->size() + (end - begin);
  if (need > out->capacity()) out->reserve(std::max(need, 2 * out->capacity()));
  for (size_t i = begin; i < end; ++i) out->push_back(Sample{t[i], std::bit_cast<double>(bits[i])});
}

Status AppendChunkSamples(uint32_t samples, std::string_view timestamps, std::string_view values,
                          ValueCoding coding, int64_t min_t, int64_t max_t, ChunkScratch* scratch,
                          std::vector<Sample>* out) {
  if (samples > kChunkMaxSamples) return Status::DataLoss("chunk claims too many samples");
  if (scratch->t_decoded < samples || timestamps != scratch->t_bytes) {
    scratch->t_decoded = 0;
    scratch->t.resize(samples);
    RETURN_IF_ERROR(DecodeTimestamps(timestamps, scratch->t));
    scratch->t_bytes.assign(timestamps);
    scratch->t_decoded = samples;
  }
  const auto first = scratch->t.begin();
  const auto last = first + samples;
  const size_t begin = std::lower_bound(first, last, min_t) - first;
  const size_t end = std::upper_bound(first + begin, last, max_t) - first;
  if (begin >= end) return Status::Ok();
  scratch->bits.resize(end);
  RETURN_IF_ERROR(DecodeValues(values, coding, scratch->bits));
  AppendSamples(scratch->t.data(), scratch->bits.data(), begin, end, out);
  return Status::Ok();
}

// ---- ChunkIterator ----------------------------------------------------------------

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
  CompactHeader h;
  if (const char* err = ParseCompactHeader(values, &h)) {
    Fail(err);
    return;
  }
  vs_ = BitReader(h.bits);
  int_mode_ = h.mode;
  rice_k_ = h.k;
  first_int_ = h.first;
  base_ = h.base;
}

double ChunkIterator::v() const { return std::bit_cast<double>(bits_); }

bool ChunkIterator::Fail(const char* what) {
  status_ = Malformed(what);
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
    } else if (int_mode_ != kCompactStream) {
      bits = std::bit_cast<uint64_t>(static_cast<double>(first_int_));
    } else if (!vs_.ReadBits(64, &bits)) {
      return Fail("truncated first sample");
    }
    t_ = static_cast<int64_t>(t);
    bits_ = bits;
    int_value_ = first_int_;
    started_ = true;
    ++i_;
    return true;
  }
  if (const char* err = NextTimestamp(&ts_, &t_, &dt_)) return Fail(err);
  const char* err =
      int_mode_ != kCompactStream
          ? NextCompactValue(&vs_, int_mode_, rice_k_, base_, &int_value_, &int_delta_, &bits_)
          : NextStreamValue(&vs_, &bits_, &int_delta_, &leading_, &trailing_);
  if (err != nullptr) return Fail(err);
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

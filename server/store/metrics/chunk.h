// The metric chunk codec: up to ~120 (timestamp ms, float64) samples of one
// series, compressed Gorilla-style in two bit streams kept apart so that a
// block can store the timestamp stream once for every series scraped together
// (docs/formats/metrics.md, "Chunks"):
//   - timestamps: the first raw, then delta-of-delta in variable-width buckets;
//   - values: per sample one of "same bits as before" (1 bit), "integer
//     delta-of-delta" (counters and integer gauges, exact for integral
//     doubles up to 2^53) or Gorilla XOR, whichever is shorter.
// Every float64 bit pattern round-trips exactly: NaN payloads, Prometheus's
// StaleNaN (0x7ff0000000000002), -0.0 and ±Inf.
// A chunk built whole (a sealed head chunk, a block chunk) may instead code
// its values "compactly" (EncodeCompactValues): integer-valued series as a
// Rice code of each delta's distance from the chunk's median delta or from
// the previous delta, which is about half the bits of the streaming code for
// counters and histogram buckets; other series keep the streaming code.
//
// ChunkAppender is not thread-safe (the head guards it). ChunkIterator
// (chunk_decode.cc) decodes a sample at a time; chunk_decode.h decodes whole
// streams into arrays, which queries use. ChunkIterator reads
// bytes it does not own; it is safe on arbitrary (untrusted) bytes: it never
// reads out of bounds and reports malformed input through status().
//
//   ChunkAppender c;
//   c.Append(1700000000000, 1.0);       // false if t <= the last timestamp
//   std::string bytes = c.Encode();
//   ChunkIterator it(bytes);
//   while (it.Next()) Use(it.t(), it.v());
//   RETURN_IF_ERROR(it.status());
#pragma once

#include <bit>
#include <cmath>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "server/store/metrics/bit_reader.h"

namespace quartet::store {

// Prometheus's staleness marker: a NaN whose payload marks "series ended".
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;

// Chunks are cut at this many samples (and at kChunkMaxSpanMs or an aligned
// 2-hour boundary; see MetricHead).
inline constexpr uint32_t kChunkTargetSamples = 120;
// Refuse chunks claiming more samples than this (untrusted input).
inline constexpr uint32_t kChunkMaxSamples = 1u << 16;

// How a chunk's value stream is coded: kStream is what ChunkAppender writes
// (open head chunks, format-1 blocks); kCompact is a mode byte, then either
// the same stream or an integer Rice code (sealed head chunks, format-2
// blocks). docs/formats/metrics.md, "Chunks".
enum class ValueCoding : uint8_t { kStream = 0, kCompact = 1 };

// Where a BitWriter keeps its bytes instead of the global heap: the metric
// head gives its open chunks an arena of their own (head_arena.h).
class ByteArena {
 public:
  virtual ~ByteArena() = default;
  // A block of at least n (> 0) bytes; Capacity(n) of them are usable.
  virtual char* Allocate(size_t n) = 0;
  // Returns a block allocated for n bytes.
  virtual void Free(char* p, size_t n) = 0;
  virtual size_t Capacity(size_t n) const = 0;
};

// A growable bit string, most significant bit first. Its bytes come from
// `arena` when one is given (which must outlive the writer), else the heap.
class BitWriter {
 public:
  explicit BitWriter(ByteArena* arena = nullptr) : arena_(arena) {}
  ~BitWriter() { Release(); }
  BitWriter(const BitWriter& other);
  BitWriter& operator=(const BitWriter& other);
  BitWriter(BitWriter&& other) noexcept;
  BitWriter& operator=(BitWriter&& other) noexcept;

  void WriteBit(bool bit);
  // The low `nbits` (0..64) of v.
  void WriteBits(uint64_t v, int nbits);
  std::string_view bytes() const { return {data_, size()}; }
  uint64_t bit_count() const { return bits_; }
  size_t MemoryBytes() const { return cap_; }
  void ShrinkToFit();
  // Hints the CPU to fetch the byte the next write goes to.
  void PrefetchTail() const {
    if (data_ != nullptr) __builtin_prefetch(data_ + bits_ / 8, 1);
  }

 private:
  size_t size() const { return static_cast<size_t>((bits_ + 7) / 8); }
  void Grow(size_t need);
  void Resize(size_t cap);
  void Release();

  char* data_ = nullptr;
  uint32_t cap_ = 0;
  uint64_t bits_ = 0;
  ByteArena* arena_ = nullptr;
};

class ChunkAppender {
 public:
  // The streams' bytes come from `arena` when given (it must outlive this).
  explicit ChunkAppender(ByteArena* arena = nullptr) : ts_(arena), vs_(arena) {}

  // Adds a sample; false (and nothing changes) when t is not after the last
  // timestamp, or the chunk already holds kChunkMaxSamples.
  bool Append(int64_t t_ms, double v);

  uint32_t samples() const { return n_; }
  int64_t min_t() const { return first_t_; }
  int64_t max_t() const { return last_t_; }
  uint64_t last_value_bits() const { return last_bits_; }

  // The two streams, and the serialized chunk: varint(n) varint(len(ts)) ts values.
  std::string_view timestamp_bytes() const { return ts_.bytes(); }
  std::string_view value_bytes() const { return vs_.bytes(); }
  std::string Encode() const;
  // Heap bytes held (for the head's memory accounting).
  size_t MemoryBytes() const { return ts_.MemoryBytes() + vs_.MemoryBytes(); }
  void ShrinkToFit() {
    ts_.ShrinkToFit();
    vs_.ShrinkToFit();
  }
  // Prefetches where the next sample's bits go (a batch of appends to
  // many series does this a few series ahead).
  void PrefetchTail() const {
    ts_.PrefetchTail();
    vs_.PrefetchTail();
  }

 private:
  void AppendValue(uint64_t bits, double v);

  BitWriter ts_;
  BitWriter vs_;
  uint32_t n_ = 0;
  int64_t first_t_ = 0;
  int64_t last_t_ = 0;
  int64_t last_dt_ = 0;
  uint64_t last_bits_ = 0;
  int64_t last_int_delta_ = 0;
  uint8_t leading_ = 0xff;  // XOR window of the last XOR-coded value; 0xff = none
  uint8_t trailing_ = 0;
};

// Iterates a chunk's samples in time order.
class ChunkIterator {
 public:
  // Over a serialized chunk (ChunkAppender::Encode()).
  explicit ChunkIterator(std::string_view chunk);
  // The iterator reads bytes it does not own: not from a temporary.
  explicit ChunkIterator(std::string&& chunk) = delete;
  // Over the two streams held apart (as blocks store them).
  ChunkIterator(uint32_t samples, std::string_view timestamps, std::string_view values,
                ValueCoding coding = ValueCoding::kStream);

  // Advances to the next sample; false at the end or on malformed input.
  bool Next();
  // Advances to the first sample with t >= t_ms (staying put if the current
  // one qualifies); false if there is none.
  bool Seek(int64_t t_ms);
  int64_t t() const { return t_; }
  double v() const;
  uint64_t value_bits() const { return bits_; }
  // DataLoss after Next() returned false on malformed bytes; OK otherwise.
  const Status& status() const { return status_; }

 private:
  bool Fail(const char* what);

  BitReader ts_;
  BitReader vs_;
  uint32_t n_ = 0;
  uint32_t i_ = 0;
  bool started_ = false;
  int64_t t_ = 0;
  int64_t dt_ = 0;
  uint64_t bits_ = 0;
  int64_t int_delta_ = 0;
  uint8_t leading_ = 0xff;
  uint8_t trailing_ = 0;
  // Compact Rice modes (chunk_format.h: 1 residual from base_, 2 from the
  // last delta, 3 steps of the bit patterns); 0 = the streaming code.
  uint8_t int_mode_ = 0;
  uint8_t rice_k_ = 0;
  int64_t first_int_ = 0;
  int64_t base_ = 0;
  int64_t int_value_ = 0;  // the current value in the integer modes
  Status status_;
};

// Splits a serialized chunk into its sample count and streams; DataLoss when
// malformed.
struct ChunkParts {
  uint32_t samples = 0;
  std::string_view timestamps;
  std::string_view values;
};
Result<ChunkParts> SplitChunk(std::string_view chunk);
std::string JoinChunk(uint32_t samples, std::string_view timestamps, std::string_view values);

// Integral doubles with |x| <= 2^53, other than -0.0: the values the
// integer codes carry exactly. Inline: block reads test every value of a
// chunk coded against its neighbour.
inline bool IsExactInteger(double x) {
  // The range first: the cast is then defined, and exact for integers.
  if (!(std::fabs(x) <= 9007199254740992.0)) return false;  // also NaN
  return static_cast<double>(static_cast<int64_t>(x)) == x &&
         std::bit_cast<uint64_t>(x) != 0x8000000000000000ull;  // -0.0
}

// The compact coding of a value stream (ValueCoding::kCompact) for the value
// bits of a chunk's samples in time order: the shortest of its modes.
std::string EncodeCompactValues(std::span<const uint64_t> value_bits);

// A chunk encoded whole: the timestamp stream (as ChunkAppender writes it)
// and the compact value stream.
struct CompactChunk {
  int64_t min_t = 0;
  int64_t max_t = 0;
  uint32_t samples = 0;
  std::string timestamps;
  std::string values;
};
// Encodes samples (t strictly increasing, at most kChunkMaxSamples, at
// least one) as one compact chunk.
CompactChunk EncodeCompactChunk(std::span<const int64_t> t, std::span<const uint64_t> value_bits);

}  // namespace quartet::store

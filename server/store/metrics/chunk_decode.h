// Batch decoding of metric chunks (docs/formats/metrics.md, "Chunks"): a
// chunk's timestamp stream and value stream decoded into arrays in one tight
// loop each, for queries that read many samples (ChunkIterator, chunk.h,
// decodes the same format a sample at a time). The two streams are
// independent, so a block decodes a timestamp stream shared by many series
// once per query, and a value stream only up to the last sample a query's
// range needs. Both read with the word-at-a-time BitReader (bit_reader.h).
//
// Pure functions over bytes they do not own; safe on arbitrary (untrusted)
// bytes: they never read out of bounds and report malformed input as
// DataLoss with the message ChunkIterator gives.
//
//   std::vector<int64_t> t(samples);
//   std::vector<uint64_t> bits(samples);
//   RETURN_IF_ERROR(DecodeTimestamps(timestamps, t));
//   RETURN_IF_ERROR(DecodeValues(values, ValueCoding::kCompact, bits));
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/metrics/chunk.h"
#include "server/store/metrics/metric_types.h"

namespace quartet::store {

// Decodes the first out.size() timestamps (ms) of a timestamp stream into
// `out`. DataLoss when the stream is shorter, malformed or not strictly
// increasing, or out.size() exceeds kChunkMaxSamples.
[[nodiscard]] Status DecodeTimestamps(std::string_view stream, std::span<int64_t> out);

// Decodes the first out.size() value bit patterns of a value stream coded
// `coding` into `out`. DataLoss when the stream is shorter or malformed, or
// out.size() exceeds kChunkMaxSamples.
[[nodiscard]] Status DecodeValues(std::string_view stream, ValueCoding coding,
                                  std::span<uint64_t> out);

// Buffers for decoding chunks, reused from chunk to chunk by one reader.
// The series of one target are scraped together, so consecutive chunks
// often carry the same timestamp stream: the last one decoded is kept with
// its bytes and reused (decoding is a function of the bytes).
struct ChunkScratch {
  std::vector<int64_t> t;
  std::vector<uint64_t> bits;
  std::string t_bytes;   // the stream `t` was decoded from
  size_t t_decoded = 0;  // how many of its timestamps `t` holds
};

// Appends the samples of a chunk with min_t <= t <= max_t to `out`, in
// order: its timestamps are decoded whole (or reused from the previous
// chunk's when the stream is the same), its values only up to the last
// sample in the range. DataLoss when malformed (nothing is appended).
[[nodiscard]] Status AppendChunkSamples(uint32_t samples, std::string_view timestamps,
                                        std::string_view values, ValueCoding coding, int64_t min_t,
                                        int64_t max_t, ChunkScratch* scratch,
                                        std::vector<Sample>* out);

// Appends samples t[i], bits[i] for i in [begin, end) to `out`.
void AppendSamples(const int64_t* t, const uint64_t* bits, size_t begin, size_t end,
                   std::vector<Sample>* out);

}  // namespace quartet::store

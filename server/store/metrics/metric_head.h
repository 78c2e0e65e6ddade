// MetricHead: the in-memory part of the metric table: the series of one head
// period (SeriesIndex), each with its sealed chunks and one open chunk, its
// last sample (for out-of-order and duplicate checks) and its newest
// exemplars up to a budget. A flush freezes the head and starts a new one
// that adopts the recent series' last samples (CarryOver), so the checks
// survive it. Chunks are cut at kChunkTargetSamples samples or at 2-hour
// boundaries (aligned to the epoch, as blocks are compacted). A cut chunk is
// re-coded compactly (chunk.h) into one allocation, and joins the previous
// sealed chunk of its window until that holds kSealedChunkMaxSamples: a
// series of counters costs ~1 byte per sample in memory instead of ~3 with
// the open-chunk code and its per-chunk buffers. Chunk bytes (sealed and
// open) live in the head's own arena (head_arena.h), away from the heap
// that requests churn.
//
// Thread-safety: none; MetricTable guards a head with its mutex (appends
// exclusive, queries shared). A frozen head is immutable and may be read
// concurrently.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "server/store/metrics/chunk.h"
#include "server/store/metrics/chunk_decode.h"
#include "server/store/metrics/head_arena.h"
#include "server/store/metrics/index.h"
#include "server/store/metrics/metric_record.h"
#include "server/store/metrics/metric_types.h"

namespace quartet::store {

inline constexpr int64_t kChunkWindowMs = int64_t{2} * 3600 * 1000;

struct MetricHeadLimits {
  size_t max_series_per_metric = 100000;  // 0 = none
  size_t max_exemplars_per_series = 16;
};

enum class SampleOutcome { kAppended, kDuplicate, kOutOfOrder, kConflict };

// Sealed head chunks grow (by re-coding) up to this many samples.
inline constexpr uint32_t kSealedChunkMaxSamples = 480;

// A cut (sealed) head chunk: a header followed by its timestamp stream and
// compact value stream, in one block of the head's arena. A series links
// its sealed chunks newest first.
class SealedChunk {
 public:
  int64_t min_t() const { return min_t_; }
  int64_t max_t() const { return max_t_; }
  uint32_t samples() const { return samples_; }
  std::string_view timestamps() const { return {data(), ts_bytes_}; }
  std::string_view values() const { return {data() + ts_bytes_, value_bytes_}; }
  size_t MemoryBytes() const { return sizeof(SealedChunk) + ts_bytes_ + value_bytes_; }
  const SealedChunk* older() const { return older_; }

 private:
  friend class MetricHead;
  SealedChunk() = default;
  const char* data() const { return reinterpret_cast<const char*>(this + 1); }

  SealedChunk* older_ = nullptr;
  int64_t min_t_ = 0;
  int64_t max_t_ = 0;
  uint32_t samples_ = 0;
  uint32_t ts_bytes_ = 0;
  uint32_t value_bytes_ = 0;
};

struct HeadSeries {
  explicit HeadSeries(ByteArena* arena) : open(arena) {}
  bool empty() const { return newest == nullptr && open.samples() == 0 && exemplars.empty(); }

  SealedChunk* newest = nullptr;  // sealed chunks, newest first
  ChunkAppender open;
  bool has_last = false;
  int64_t last_t = 0;
  uint64_t last_bits = 0;
  int64_t min_t = INT64_MAX;  // of the samples in this head
  int64_t max_t = INT64_MIN;
  std::vector<Exemplar> exemplars;  // by time, at most the budget
};

class MetricHead {
 public:
  explicit MetricHead(MetricHeadLimits limits) : limits_(limits) {}
  MetricHead(const MetricHead&) = delete;
  MetricHead& operator=(const MetricHead&) = delete;

  // The series of `labels`, created when new unless its metric already has
  // the limit of series (InvalidArgument "metric X has too many series (limit
  // N)"); enforce_limit=false for WAL replay. `created` tells if it is new.
  Result<uint32_t> GetOrCreate(const Labels& labels, bool enforce_limit, bool* created);
  // Appends one sample: refused when older than the series' last one, or at
  // its timestamp with other value bits; ignored when identical.
  SampleOutcome Append(uint32_t ref, int64_t t_ms, double v);
  // Checks a sample without storing it (same outcomes as Append).
  SampleOutcome Check(uint32_t ref, int64_t t_ms, uint64_t bits) const;
  // Keeps an exemplar unless it repeats or precedes the newest kept one
  // (scrapes expose the same exemplar until a new one happens); the oldest
  // goes when the budget is full.
  bool AddExemplar(uint32_t ref, Exemplar exemplar);
  // Sets the last sample of a series (adopted from the previous head).
  void SetLast(uint32_t ref, int64_t t_ms, uint64_t bits);

  // The series to adopt in the next head: those whose last sample is at most
  // `window_ms` older than the newest sample of this head.
  std::vector<SeriesRecordEntry> CarryOver(int64_t window_ms) const;
  // Every series with ref = its id and its last sample: the checkpoint that
  // lets appends after a WAL replay use this head's ids as references.
  std::vector<SeriesRecordEntry> AllSeries() const;

  const SeriesIndex& index() const { return index_; }
  const HeadSeries& series(uint32_t ref) const { return series_[ref]; }
  // Hints the CPU to fetch series `ref` (a batch prefetches a few ahead).
  void PrefetchSeries(uint32_t ref) const {
    const HeadSeries& s = series_[ref];  // spans cache lines: the open chunk, then last_*
    __builtin_prefetch(&s.open, 1);
    __builtin_prefetch(&s.last_t, 1);
  }
  // Then (once the series is in cache) where its next sample is written.
  void PrefetchOpenChunk(uint32_t ref) const { series_[ref].open.PrefetchTail(); }
  size_t series_count() const { return series_.size(); }
  int64_t sample_count() const { return samples_; }
  int64_t exemplar_count() const { return exemplars_; }
  int64_t min_t() const { return min_t_; }
  int64_t max_t() const { return max_t_; }
  // Estimated heap bytes (index, chunks, exemplars).
  size_t bytes() const;

  // Appends every sample of series `ref` in [min_t, max_t] to `out`, in
  // order, decoding with `scratch`. Head chunks are the head's own bytes: a
  // malformed one ends the series' samples there.
  void AppendSamples(uint32_t ref, int64_t min_t, int64_t max_t, ChunkScratch* scratch,
                     std::vector<Sample>* out) const;
  // Calls fn for every sample of series `ref` in [min_t, max_t], in order.
  void ForEachSample(uint32_t ref, int64_t min_t, int64_t max_t,
                     const std::function<void(int64_t, double)>& fn) const;

 private:
  void Cut(HeadSeries* s);
  // The samples of `before` (may be null) then those of `open`, coded
  // compactly into a new arena block.
  SealedChunk* Seal(const SealedChunk* before, const ChunkAppender& open);
  void FreeSealed(SealedChunk* c);

  MetricHeadLimits limits_;
  // First: chunks hold arena blocks until the series are destroyed.
  HeadArena arena_;
  SeriesIndex index_;
  std::deque<HeadSeries> series_;
  std::unordered_map<std::string, uint32_t> per_metric_;  // series per __name__
  int64_t samples_ = 0;
  int64_t exemplars_ = 0;  // held now
  int64_t min_t_ = INT64_MAX;
  int64_t max_t_ = INT64_MIN;
  size_t exemplar_bytes_ = 0;  // approximate
};

}  // namespace quartet::store

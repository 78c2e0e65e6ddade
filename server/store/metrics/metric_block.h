// The metric table's immutable blocks (docs/formats/metrics.md, "Blocks"):
// WriteMetricBlock lays a set of series out in sections of the block file
// format (block/block_writer.h): a symbol table, a series table (labels as
// symbol ids, chunk references), the distinct timestamp streams (every
// series scraped together shares one), the value streams in pages of about
// 1 MiB, exemplars and metadata. MetricBlock opens one and answers queries;
// its series index is rebuilt from the series table at open.
//
// Thread-safety: WriteMetricBlock is a pure function of its inputs. A
// MetricBlock is immutable after Open and may be shared between queries;
// each query brings its own ValuePages cache.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/store/block/catalog.h"
#include "server/store/block/column.h"
#include "server/store/metrics/chunk.h"
#include "server/store/metrics/chunk_decode.h"
#include "server/store/metrics/index.h"
#include "server/store/metrics/metric_types.h"

namespace quartet::store {

// One chunk as written or read: its streams held apart (chunk.h).
struct BlockChunk {
  int64_t min_t = 0;
  int64_t max_t = 0;
  uint32_t samples = 0;
  std::string_view timestamps;
  std::string_view values;
};

struct BlockSeriesSource {
  Labels labels;
  std::vector<BlockChunk> chunks;  // by time, not overlapping
  std::vector<Exemplar> exemplars;
};

// Block chunks are cut at this many samples (2 hours of 15 s scrapes) and
// at aligned 2-hour windows: long chunks amortize the per-chunk header.
inline constexpr uint32_t kBlockChunkSamples = 480;
inline constexpr int64_t kBlockWindowMs = int64_t{2} * 3600 * 1000;

// Cuts samples (by time; of equal timestamps the first is kept) into
// compact chunks of at most kBlockChunkSamples, none straddling an aligned
// 2-hour window.
std::vector<CompactChunk> CutBlockChunks(std::span<const std::pair<int64_t, uint64_t>> samples);

// Writes `series` (sorted by labels, each with at least one chunk) and
// `metadata` to a finished block file at `path`: format 2 when the chunks'
// values are coded compactly, format 1 for the streaming code (kept so that
// tests can write the blocks older versions wrote). Fills meta's time range
// (ns) and rows (samples); returns it.
Result<BlockMeta> WriteMetricBlock(std::span<const BlockSeriesSource> series,
                                   std::span<const MetricMetadata> metadata, BlockMeta meta,
                                   const std::string& path,
                                   ValueCoding coding = ValueCoding::kCompact);

// ms -> ns for block metas, saturating.
int64_t MsToNs(int64_t t_ms);

class MetricBlock;

// Decompressed value pages of one block, kept for the duration of a query,
// the decoded values of the last chunks that other chunks are coded
// against (series read in order find their neighbour's chunk here), and
// the decoded timestamp streams (every series scraped together shares one,
// so a query decodes it once).
class ValuePages {
 public:
  Result<std::string_view> Get(const MetricBlock& block, uint32_t page);

 private:
  friend class MetricBlock;
  using Key = std::pair<const MetricBlock*, uint32_t>;
  std::map<Key, std::string> pages_;
  std::map<Key, std::vector<uint64_t>> values_;
  std::deque<Key> values_order_;                    // oldest first, for eviction
  std::map<Key, std::vector<int64_t>> timestamps_;  // by timestamp stream id
  ChunkScratch scratch_;
};

class MetricBlock {
 public:
  // Reads and validates the series table, symbols, timestamps, exemplars and
  // metadata (value pages are read by queries). DataLoss when damaged.
  static Result<std::shared_ptr<const MetricBlock>> Open(std::shared_ptr<const CatalogBlock> b);

  const BlockMeta& meta() const { return block_->meta; }
  const std::shared_ptr<const CatalogBlock>& catalog_block() const { return block_; }
  uint64_t wal_until() const { return wal_until_; }
  const SeriesIndex& index() const { return index_; }
  size_t series_count() const { return series_.size(); }
  int64_t series_min_t(uint32_t id) const { return series_[id].min_t; }
  int64_t series_max_t(uint32_t id) const { return series_[id].max_t; }

  // Appends the samples of series `id` in [min_t, max_t] to `out`, in order.
  Status AppendSamples(uint32_t id, int64_t min_t, int64_t max_t, ValuePages* pages,
                       std::vector<Sample>* out) const;
  // Calls fn for each sample of series `id` in [min_t, max_t], in order.
  Status ForEachSample(uint32_t id, int64_t min_t, int64_t max_t, ValuePages* pages,
                       const std::function<void(int64_t, double)>& fn) const;
  // Exemplars of series `id`, by time.
  std::span<const Exemplar> exemplars(uint32_t id) const;
  const std::vector<MetricMetadata>& metadata() const { return metadata_; }
  // How chunk values are coded: kStream in format 1 blocks, else kCompact.
  ValueCoding coding() const { return coding_; }

 private:
  friend class ValuePages;
  static constexpr uint32_t kNoBase = UINT32_MAX;
  struct ChunkRef {
    int64_t min_t;
    int64_t max_t;
    uint32_t samples;
    uint32_t ts_id;
    uint64_t offset;  // in the series' value page
    uint32_t length;
    // The chunk of the previous series this one is coded against (its
    // values are base - own), or kNoBase.
    uint32_t base = kNoBase;
    uint32_t page = 0;
  };
  struct SeriesInfo {
    int64_t min_t;
    int64_t max_t;
    uint32_t page;
    uint32_t first_chunk;
    uint32_t chunk_count;
    uint32_t first_exemplar;
    uint32_t exemplar_count;
  };
  explicit MetricBlock(std::shared_ptr<const CatalogBlock> b) : block_(std::move(b)) {}
  Status Load();
  // The value bytes of chunk c.
  Result<std::string_view> ChunkBytes(uint32_t c, ValuePages* pages) const;
  // The value bits of every sample of chunk c, resolving its base chunks;
  // valid until the next call with the same `pages`.
  Result<const std::vector<uint64_t>*> ChunkValues(uint32_t c, ValuePages* pages) const;
  // The first `samples` timestamps of stream `ts_id`, decoded; valid until
  // the next call with the same `pages`.
  Result<const std::vector<int64_t>*> Timestamps(uint32_t ts_id, uint32_t samples,
                                                 ValuePages* pages) const;

  std::shared_ptr<const CatalogBlock> block_;
  uint64_t wal_until_ = 0;
  uint32_t pages_ = 0;
  ValueCoding coding_ = ValueCoding::kStream;
  SeriesIndex index_;
  std::vector<SeriesInfo> series_;
  std::vector<ChunkRef> chunks_;
  std::string timestamps_raw_;
  std::optional<StringColumn> timestamps_;
  std::vector<Exemplar> exemplars_;
  std::vector<MetricMetadata> metadata_;
};

}  // namespace quartet::store

// MetricTable: the metric store (TSDB) of quartetd on the storage engine.
// Series are label sets (Prometheus's model); samples are (unix ms, float64).
// An append goes into the in-memory head (MetricHead: series index, open
// chunks, exemplars) and then to the write-ahead log as series, samples,
// exemplars and metadata records (metric_record.h); it returns once the WAL
// has it under the sync policy. A background thread cuts the head into an
// immutable block (metric_block.h) when it grows past head_flush_bytes or
// gets older than head_flush_age, deletes the WAL segments the block covers,
// every minute applies retention and merges level-0 blocks of one 2-hour
// window into one, and the blocks of one 12-hour window into one. Queries merge blocks, the head
// being flushed and the live head. docs/formats/metrics.md describes the records and the block
// layout.
//
// Appends check, per series, that samples are newer than its last one
// (Prometheus's "out of order sample") and that a repeated timestamp carries
// the same value; a new series of a metric that already has
// max_series_per_metric series is refused ("metric X has too many series
// (limit N)"). Refused samples are counted in MetricAppendResult; the rest
// of the batch is stored. Past memory_limit_bytes an append waits up to 2 s
// for the flush under way, then is refused with ResourceExhausted.
//
// Thread-safety: all methods may be called concurrently; Append runs
// concurrently with Select and the other queries (a shared mutex guards the
// heads: appends hold it exclusively for the in-memory insert only, not for
// the WAL write, so concurrent appenders share one group commit). Query
// callbacks run on the calling thread after the table's locks are released.
//
//   ASSIGN_OR_RETURN(auto table, MetricTable::Open({.table = {.dir = "data/metrics"}}));
//   MetricBatch batch;
//   batch.series.push_back({{{"__name__", "up"}, {"job", "api"}}, {{t_ms, 1.0}}, {}});
//   ASSIGN_OR_RETURN(MetricAppendResult r, table->Append(batch));
//   RETURN_IF_ERROR(table->Select({{"job", LabelMatch::Op::kEq, "api"}}, t0, t1,
//       [](const Labels& series, std::span<const Sample> samples) { return true; }));
#pragma once

#include <atomic>
#include <condition_variable>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <span>
#include <string>
#include <thread>
#include <vector>

#include "server/store/block/catalog.h"
#include "server/store/interface.h"
#include "server/store/metrics/metric_block.h"
#include "server/store/metrics/metric_head.h"
#include "server/store/metrics/metric_types.h"
#include "server/store/options.h"
#include "server/store/wal/wal.h"

namespace quartet::store {

struct MetricTableOptions {
  // dir, sync, head_flush_bytes/age, memory_limit_bytes, retention_*;
  // max_streams does not apply (see limits).
  TableOptions table;
  MetricHeadLimits limits;
};

struct MetricTableStats {
  int64_t head_samples = 0;  // live head + the head being flushed
  int64_t head_series = 0;   // live head ("active series")
  size_t head_bytes = 0;     // live head + the head being flushed
  int64_t replayed_records = 0;
  int64_t undecodable_records = 0;
  int64_t refused_appends = 0;  // whole batches refused (memory limit)
  int64_t out_of_order_samples = 0;
  int64_t conflicting_samples = 0;
  int64_t series_limit_samples = 0;
  int64_t blocks = 0;
  uint64_t block_bytes = 0;
  int64_t block_samples = 0;
  int64_t flushes = 0;
  int64_t flush_failures = 0;
  int64_t compactions = 0;
  int64_t retention_removed_blocks = 0;
  uint64_t retention_removed_bytes = 0;
  int64_t damaged_blocks = 0;  // set aside at Open or when a query hit damage
};

class MetricTable final : public MetricStore {
 public:
  // Opens dir/blocks then dir/wal (replaying it); starts the background
  // thread unless `background` is false (tests drive Flush/Compact/
  // ApplyRetention themselves).
  static Result<std::unique_ptr<MetricTable>> Open(const MetricTableOptions& options,
                                                   bool background = true);
  ~MetricTable() override;
  MetricTable(const MetricTable&) = delete;
  MetricTable& operator=(const MetricTable&) = delete;

  // Stores a batch. Not OK only when nothing can be stored: ResourceExhausted
  // (memory limit; retry later: 429), Unavailable (closed), or the WAL's I/O
  // error (the samples may still be served until restart; a retry is safe:
  // identical samples are ignored as duplicates).
  Result<MetricAppendResult> Append(const MetricBatch& batch) override;
  // Known series are found from the borrowed bytes; Append calls it.
  Result<MetricAppendResult> AppendRefs(std::span<const SeriesSamplesRef> series,
                                        const std::vector<MetricMetadata>& metadata) override;

  // Calls fn once per series matching `matchers` that has samples in
  // [min_t_ms, max_t_ms] (inclusive, as PromQL selects), series in label
  // order, samples in time order, until fn returns false. InvalidArgument for
  // a regex that does not compile.
  Status Select(const std::vector<LabelMatch>& matchers, int64_t min_t_ms, int64_t max_t_ms,
                const SeriesFn& fn) override;
  // The same for exemplars (Prometheus's /api/v1/query_exemplars).
  Status SelectExemplars(const std::vector<LabelMatch>& matchers, int64_t min_t_ms,
                         int64_t max_t_ms, const ExemplarFn& fn) override;

  // Sorted label names / values of `name` / label sets of the series with
  // samples in [min_t_ms, max_t_ms] that match `matchers` (none: all).
  Result<std::vector<std::string>> LabelNames(const std::vector<LabelMatch>& matchers,
                                              int64_t min_t_ms, int64_t max_t_ms) override;
  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               const std::vector<LabelMatch>& matchers,
                                               int64_t min_t_ms, int64_t max_t_ms) override;
  Result<std::vector<Labels>> Series(const std::vector<LabelMatch>& matchers, int64_t min_t_ms,
                                     int64_t max_t_ms) override;

  // Metadata by metric family, sorted by family; only `family` when given.
  std::vector<MetricMetadata> Metadata(std::string_view family = {}) const override;

  // Writes the head to a block now (no-op when empty) and deletes the WAL
  // segments it covers. Serialised with the background flush.
  Status Flush();
  // Deletes blocks past retention_age / retention_bytes at `now`.
  Result<RetentionResult> ApplyRetention(int64_t now_unix_nanos);
  // Merges level-0 blocks that share a settled 2-hour window into one level-1
  // block, then the level-0 and level-1 blocks of a settled 12-hour window
  // into one level-2 block (chunks re-cut: CutBlockChunks). Returns the
  // number of blocks written.
  // `now_unix_nanos` decides which windows are settled (tests pass a future
  // time to compact at once).
  Result<int> Compact(int64_t now_unix_nanos);

  MetricTableStats stats() const;
  const WalReplayReport& wal_report() const { return wal_report_; }
  // What Open found in blocks/ and any block a query found damaged since.
  std::vector<CatalogIssue> issues() const;
  // Stops the background thread and closes the WAL. Idempotent.
  Status Close();

 private:
  explicit MetricTable(const MetricTableOptions& options);
  Status Replay();
  void BackgroundLoop();
  std::vector<std::shared_ptr<const MetricBlock>> QueryBlocks();  // mu_ held (shared)
  Result<std::shared_ptr<const MetricBlock>> OpenBlock(std::shared_ptr<const CatalogBlock> b);
  void SetAside(const CatalogBlock& block, const Status& problem);
  size_t HeadBytesLocked() const;
  // Under mu_: the live head's id of each series of `batch` (hashes[i] =
  // HashLabels of its labels), or UINT32_MAX when the head lacks it.
  void FindKnown(std::span<const SeriesSamplesRef> batch, std::span<const uint64_t> hashes,
                 std::vector<uint32_t>* known) const;
  void SetMetadata(const std::vector<MetricMetadata>& metadata,
                   std::vector<MetricMetadata>* changed);
  Status WaitForRoom();
  // Writes the blocks `ids` as one block of `level` and swaps it in for them
  // (the catalog's Replace: atomic, crash-safe). False when one of them is
  // gone (retention ran meanwhile).
  Result<bool> MergeBlocks(const std::vector<std::string>& ids, uint32_t level);
  // Every series matching `matchers` with data in [min_t, max_t] from every
  // source, with its samples or exemplars when asked, merged by label set.
  enum class GatherMode { kLabels, kSamples, kExemplars };
  struct Gathered {
    std::vector<Sample> samples;
    std::vector<Exemplar> exemplars;
    int sources = 0;
  };
  Status Gather(const std::vector<LabelMatch>& matchers, int64_t min_t, int64_t max_t,
                GatherMode mode, std::map<Labels, Gathered>* out);

  MetricTableOptions options_;
  std::unique_ptr<BlockCatalog> catalog_;
  std::unique_ptr<Wal> wal_;
  WalReplayReport wal_report_;

  // Appenders hold append_mu_ shared from their head insert to the end of
  // their WAL write; a flush takes it exclusively to rotate the WAL and swap
  // heads, so every record of the segments a block covers is in that block.
  std::shared_mutex append_mu_;
  mutable std::shared_mutex mu_;
  std::unique_ptr<MetricHead> head_;          // guarded by mu_
  int64_t head_first_append_mono_ = 0;        // guarded by mu_; 0 while empty
  std::unique_ptr<const MetricHead> frozen_;  // guarded by mu_; set during a flush
  // The blocks frozen_ becomes, one per 2-hour window it spans: window ->
  // block id, and the windows already added to the catalog (a failed flush
  // is retried for the others only).
  std::map<int64_t, std::string> frozen_block_ids_;  // guarded by mu_
  std::set<int64_t> frozen_done_windows_;            // guarded by mu_
  uint64_t frozen_wal_until_ = 0;                    // guarded by mu_
  std::mutex flush_mu_;                              // serialises Flush, Compact, retention

  mutable std::mutex metadata_mu_;
  std::map<std::string, MetricMetadata, std::less<>> metadata_;  // guarded by metadata_mu_

  mutable std::mutex blocks_mu_;
  std::map<std::string, std::shared_ptr<const MetricBlock>> block_cache_;  // guarded by blocks_mu_
  std::set<std::string> damaged_;                                          // guarded by blocks_mu_
  std::vector<CatalogIssue> issues_;                                       // guarded by blocks_mu_
  int64_t open_damaged_ = 0;  // blocks the catalog set aside at Open

  int64_t replayed_records_ = 0;
  int64_t undecodable_records_ = 0;
  std::atomic<int64_t> refused_appends_{0};
  std::atomic<int64_t> out_of_order_{0};
  std::atomic<int64_t> conflicting_{0};
  std::atomic<int64_t> series_limited_{0};
  std::atomic<int64_t> flushes_{0};
  std::atomic<int64_t> flush_failures_{0};
  std::atomic<int64_t> compactions_{0};
  std::atomic<int64_t> retention_blocks_{0};
  std::atomic<uint64_t> retention_bytes_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  std::condition_variable flushed_cv_;  // a flush finished (appenders wait on it)
  bool stopping_ = false;               // guarded by bg_mu_
  bool flush_wanted_ = false;           // guarded by bg_mu_
  std::thread background_;
};

}  // namespace quartet::store

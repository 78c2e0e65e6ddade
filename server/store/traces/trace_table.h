// TraceTable: the trace store of quartetd (TraceStore in interface.h) on the
// storage engine: appends go to the write-ahead log, then to the in-memory
// head (TraceHead), which is queryable at once. A background thread cuts the
// head into immutable trace blocks (trace_block.h, docs/formats/traces.md)
// when it grows past head_flush_bytes or ages past head_flush_age, applies
// retention and compacts level-0 blocks of one 2-hour window into one.
// Queries read the head, the head being flushed and every block, merging a
// trace split across them. Open() loads the blocks, drops WAL segments they
// already cover and replays the rest, so every acknowledged span survives a
// crash exactly once.
//
// Thread-safety: all methods may be called concurrently (TraceStore's
// contract). Appends write the WAL outside the table lock, so concurrent
// appenders share one group commit; the head is guarded by a shared mutex.
// Query callbacks run under the shared lock: they must not call back in.
#pragma once

#include <array>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/store/block/catalog.h"
#include "server/store/interface.h"
#include "server/store/options.h"
#include "server/store/traces/trace_block.h"
#include "server/store/traces/trace_head.h"
#include "server/store/wal/wal.h"

namespace quartet::store {

struct TraceTableStats {
  int64_t spans = 0;      // in the head (the part being flushed included)
  int64_t traces = 0;     // in the head (a trace split across both counts twice)
  size_t head_bytes = 0;  // head + the part being flushed
  int64_t replayed_records = 0;
  int64_t undecodable_records = 0;  // intact WAL records this version cannot read
  int64_t refused_appends = 0;      // over the memory limit
  int64_t blocks = 0;
  uint64_t block_bytes = 0;
  int64_t block_spans = 0;
  int64_t flushes = 0;  // blocks written from the head
  int64_t flush_failures = 0;
  int64_t compactions = 0;  // compacted blocks written
  int64_t retention_removed_blocks = 0;
  int64_t damaged_blocks = 0;     // set aside at open or when a query found damage
  SearchCacheStats search_cache;  // decoded columns kept for searches
};

class TraceTable final : public TraceStore {
 public:
  // Opens (creating if needed) the table in options.dir: blocks/ first
  // (damaged blocks are set aside and listed in issues()), then wal/, whose
  // corruption is reported in wal_report() and skipped. Starts the
  // background flush/retention/compaction thread.
  // `background` false: no background flush, retention or compaction (tests
  // call Flush() and friends themselves).
  // `search_cache_bytes`: budget of the cache of decoded span columns that
  // searches share (search_cache.h); about 13 bytes a stored span hold the
  // search columns of every row group, 4-8 more each numeric attribute key
  // queried. 0 disables it.
  static constexpr size_t kDefaultSearchCacheBytes = size_t{256} << 20;
  static Result<std::unique_ptr<TraceTable>> Open(
      const TableOptions& options, bool background = true,
      size_t search_cache_bytes = kDefaultSearchCacheBytes);
  ~TraceTable() override;

  using TraceStore::AppendSpans;
  // Logs `protobuf` (when given) as the WAL record, else the request encoded.
  Result<AppendResult> AppendSpans(otlp::ExportTraceServiceRequest request,
                                   std::string_view protobuf) override;
  Result<otlp::ExportTraceServiceRequest> GetTrace(const TraceId& id) override;
  Result<TraceSummary> GetTraceSummary(const TraceId& id) override;
  Status SearchTraces(const TraceFilter& filter,
                      const std::function<bool(const TraceCandidate&)>& fn) override;
  // SearchTraces' traces as merged summaries in id order, from the heads'
  // summaries and the blocks' index sections (trace_summaries.cc).
  Status SearchSummaries(const TraceFilter& filter,
                         const std::function<bool(const TraceSummary&)>& fn) override;
  Result<std::vector<std::string>> TagNames(std::string_view scope,
                                            const TimeRange& range) override;
  Result<std::vector<std::string>> TagValues(std::string_view scope, std::string_view name,
                                             const TimeRange& range, size_t limit) override;

  // Writes everything in the head to a block now (no-op when empty). The
  // background thread calls it; tests and shutdown may too.
  Status Flush();
  // Deletes whole blocks past options.retention_age / retention_bytes as of
  // `now` (the background thread runs it every minute).
  Result<RetentionResult> ApplyRetention(int64_t now_unix_nanos);
  // Merges level-0 blocks of each 2-hour window into one level-1 block
  // (the background thread runs it every minute); returns blocks written.
  Result<int> Compact();

  TraceTableStats stats() const;
  const WalReplayReport& wal_report() const { return wal_report_; }
  // Damaged blocks found (at open or by queries) and what was done.
  std::vector<CatalogIssue> issues() const;
  // Stops the background thread, makes everything appended so far durable
  // and closes the WAL (the head is not flushed: the WAL replays it).
  Status Close();

 private:
  using BlockIndexes = std::vector<std::shared_ptr<const TraceBlockIndex>>;
  TraceTable(const TableOptions& options, size_t search_cache_bytes);

  Status LoadBlocks();
  void BackgroundLoop();
  // Fills the search cache with the search columns of blocks not yet warmed
  // (newest first, never evicting); background thread only.
  void WarmSearchCache();
  Status WriteFrozen();  // requires maint_mu_
  Status CompactGroup(const CompactionGroup& group, const BlockIndexes& blocks);
  void SetBlocks(BlockIndexes blocks);  // requires mu_ exclusive
  // Sets a block found damaged by a query aside; takes mu_.
  void ReportDamaged(const std::string& id, const Status& status);
  // The frozen head (null when none) and the head, oldest first; requires mu_.
  std::array<const TraceHead*, 2> Heads() const { return {frozen_.get(), &head_}; }

  // The merged summary of `id` across every source; span_count 0 if absent.
  // The parts (one trace's spans in one head or block) that may match
  // `filter`, for SearchTraces and SearchSummaries: the heads' under a short
  // shared lock, then each overlapping block's matching rows. `blocks` gets
  // the snapshot searched; a block that cannot be read goes to `damaged`.
  void CollectParts(const TraceFilter& filter, TraceSearchContext* context, BlockIndexes* blocks,
                    std::vector<std::pair<std::string, Status>>* damaged,
                    const std::function<void(const TraceSummary&)>& part);
  TraceSummary MergedSummary(const TraceId& id, const BlockIndexes& blocks) const;
  // Every span of `id` across every source. Damaged blocks go to *damaged.
  otlp::ExportTraceServiceRequest MergedSpans(
      const TraceId& id, const BlockIndexes& blocks,
      std::vector<std::pair<std::string, Status>>* damaged) const;

  const TableOptions options_;
  // Shared by every search; entries of blocks leaving blocks_ are dropped.
  SearchCache search_cache_;
  ScanPool scan_pool_;
  std::set<std::string> warmed_;  // CachePrefix of blocks warmed; background thread only
  std::unique_ptr<BlockCatalog> catalog_;
  std::unique_ptr<Wal> wal_;  // reset by Close under append_mu_ and maint_mu_
  WalReplayReport wal_report_;

  // Appenders hold it shared across their WAL write and head insert; a cut
  // holds it exclusively to rotate the WAL and freeze the head, so every
  // record in a segment below the cut is in the frozen head, none after.
  std::shared_mutex append_mu_;
  // Serialises flush, retention, compaction and Close.
  std::mutex maint_mu_;

  mutable std::shared_mutex mu_;
  TraceHead head_;                           // guarded by mu_
  std::shared_ptr<const TraceHead> frozen_;  // guarded by mu_; being written to a block
  uint64_t frozen_until_ = 0;                // WAL segment of the cut; maint_mu_
  int64_t head_started_ns_ = 0;              // monotonic time of the head's first span; mu_
  BlockIndexes blocks_;                      // guarded by mu_; catalog order
  std::vector<CatalogIssue> issues_;         // guarded by mu_

  int64_t replayed_records_ = 0;
  int64_t undecodable_records_ = 0;
  std::atomic<int64_t> refused_appends_{0};
  std::atomic<int64_t> flushes_{0};
  std::atomic<int64_t> flush_failures_{0};
  std::atomic<int64_t> compactions_{0};
  std::atomic<int64_t> retention_removed_{0};
  std::atomic<int64_t> damaged_blocks_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  bool stop_ = false;             // guarded by bg_mu_
  bool flush_requested_ = false;  // guarded by bg_mu_
  std::thread background_;
};

}  // namespace quartet::store

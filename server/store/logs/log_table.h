// LogTable: the log store of quartetd (LogStore in interface.h) on the
// storage engine: appends go to the write-ahead log, then to the in-memory
// head (LogHead), queryable at once. A background thread cuts the head into
// an immutable block (log_block.h, docs/formats/logs.md) when it grows past
// head_flush_bytes or gets older than head_flush_age, then deletes the WAL
// segments the block covers; every minute it applies retention. Queries
// merge the head, the head being flushed and the blocks lazily in time order.
// Past memory_limit_bytes an append waits up to 2 s for the flush under way,
// then is refused with ResourceExhausted.
// Open() opens the blocks, drops WAL segments already in a block and replays
// the rest, so every acknowledged line survives a crash exactly once.
//
// Thread-safety: all methods may be called concurrently (LogStore's
// contract). Appends write the WAL outside the table lock, so concurrent
// appenders share one group commit; the heads are guarded by a shared mutex,
// held (shared) by a scan for its whole duration.
#pragma once

#include <atomic>
#include <condition_variable>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include "server/store/block/catalog.h"
#include "server/store/interface.h"
#include "server/store/logs/log_block.h"
#include "server/store/logs/log_head.h"
#include "server/store/options.h"
#include "server/store/wal/wal.h"

namespace quartet::store {

struct LogTableStats {
  int64_t entries = 0;    // in the heads (live and being flushed)
  int64_t streams = 0;    // of the live head
  size_t head_bytes = 0;  // live head + the head being flushed
  int64_t replayed_records = 0;
  int64_t undecodable_records = 0;
  int64_t refused_appends = 0;
  int64_t blocks = 0;
  uint64_t block_bytes = 0;
  int64_t block_rows = 0;
  int64_t flushes = 0;
  int64_t flush_failures = 0;
  int64_t retention_removed_blocks = 0;
  uint64_t retention_removed_bytes = 0;
  int64_t damaged_blocks = 0;  // set aside at Open or when a query hit damage
};

class LogTable final : public LogStore {
 public:
  // Opens dir/blocks then dir/wal; starts the background thread unless
  // `background` is false (tests drive Flush/ApplyRetention themselves).
  static Result<std::unique_ptr<LogTable>> Open(const TableOptions& options,
                                                bool background = true);
  ~LogTable() override;

  Result<AppendResult> AppendLogs(std::vector<LogStream> streams) override;
  Status Scan(const LogScan& scan, const std::function<bool(const LogRow&)>& fn) override;
  Status LogsOfTrace(const TraceId& trace_id, const SpanId& span_id,
                     const std::function<bool(const LogRow&)>& fn) override;
  Result<std::vector<std::string>> LabelNames(const TimeRange& range) override;
  Result<std::vector<std::string>> LabelValues(std::string_view name,
                                               const TimeRange& range) override;
  Result<std::vector<Labels>> Series(const std::vector<LabelMatch>& matchers,
                                     const TimeRange& range) override;
  int64_t CountLogsOfTrace(const TraceId& trace_id) override;

  // Writes the head to a block now (no-op when it is empty) and deletes the
  // WAL segments it covers. Serialised with the background flush.
  Status Flush();
  // Deletes blocks past options.retention_age / retention_bytes at `now`.
  Result<RetentionResult> ApplyRetention(int64_t now_unix_nanos);
  // Merges level-0 blocks that share a 2-hour window into one level-1 block.
  // Returns the number of blocks written.
  Result<int> Compact();

  LogTableStats stats() const;
  const WalReplayReport& wal_report() const { return wal_report_; }
  // What Open found in blocks/ and any block a query found damaged since.
  std::vector<CatalogIssue> issues() const;
  // Stops the background thread (flushing nothing: the WAL has it all) and
  // closes the WAL. Idempotent.
  Status Close();

 private:
  explicit LogTable(const TableOptions& options);
  void BackgroundLoop();
  // The blocks to query, index decoded, damaged ones left out. Called with
  // mu_ held (shared) so that it agrees with frozen_.
  std::vector<std::shared_ptr<const LogBlock>> QueryBlocks();
  void SetAside(const CatalogBlock& block, const Status& problem);
  Result<std::shared_ptr<const LogBlock>> OpenBlock(std::shared_ptr<const CatalogBlock> b);
  size_t HeadBytesLocked() const;

  TableOptions options_;
  std::unique_ptr<BlockCatalog> catalog_;
  std::unique_ptr<Wal> wal_;
  WalReplayReport wal_report_;

  // Appenders hold append_mu_ shared from their WAL write to their head
  // insert; a flush takes it exclusively to rotate the WAL and swap heads,
  // so no record of a segment the flush will delete lands in the new head.
  std::shared_mutex append_mu_;
  mutable std::shared_mutex mu_;
  // Shared with the scans that still read them after releasing mu_.
  std::shared_ptr<LogHead> head_;          // guarded by mu_
  int64_t head_first_append_mono_ = 0;     // guarded by mu_; 0 while empty
  std::shared_ptr<const LogHead> frozen_;  // guarded by mu_; set during a flush
  std::string frozen_block_id_;            // guarded by mu_: the block frozen_ becomes
  uint64_t frozen_wal_until_ = 0;          // guarded by mu_: the WAL segment it precedes
  std::mutex flush_mu_;                    // serialises Flush, Compact, retention

  mutable std::mutex blocks_mu_;
  std::map<std::string, std::shared_ptr<const LogBlock>> block_cache_;  // guarded by blocks_mu_
  std::set<std::string> damaged_;                                       // guarded by blocks_mu_
  std::vector<CatalogIssue> issues_;                                    // guarded by blocks_mu_

  int64_t replayed_records_ = 0;
  int64_t undecodable_records_ = 0;
  std::atomic<int64_t> refused_appends_{0};
  std::atomic<int64_t> flushes_{0};
  std::atomic<int64_t> flush_failures_{0};
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

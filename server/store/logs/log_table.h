// LogTable: the log store of quartetd (LogStore in interface.h) on the
// storage engine: appends go to the write-ahead log, then to the in-memory
// head (LogHead), queryable at once; Open() replays the WAL, so every
// acknowledged line survives a crash.
//
// Thread-safety: all methods may be called concurrently (LogStore's
// contract). Appends write the WAL outside the table lock, so concurrent
// appenders share one group commit; the head is guarded by a shared mutex.
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>

#include "server/store/interface.h"
#include "server/store/logs/log_head.h"
#include "server/store/options.h"
#include "server/store/wal/wal.h"

namespace quartet::store {

struct LogTableStats {
  int64_t entries = 0;
  int64_t streams = 0;
  size_t head_bytes = 0;
  int64_t replayed_records = 0;
  int64_t undecodable_records = 0;
  int64_t refused_appends = 0;
};

class LogTable final : public LogStore {
 public:
  static Result<std::unique_ptr<LogTable>> Open(const TableOptions& options);
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
  LogTableStats stats() const;
  const WalReplayReport& wal_report() const { return wal_report_; }
  Status Close();

 private:
  explicit LogTable(const TableOptions& options);

  TableOptions options_;
  std::unique_ptr<Wal> wal_;
  WalReplayReport wal_report_;
  mutable std::shared_mutex mu_;
  LogHead head_;  // guarded by mu_
  int64_t replayed_records_ = 0;
  int64_t undecodable_records_ = 0;
  std::atomic<int64_t> refused_appends_{0};
};

}  // namespace quartet::store

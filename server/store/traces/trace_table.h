// TraceTable: the trace store of quartetd (TraceStore in interface.h) on the
// storage engine: appends go to the write-ahead log, then to the in-memory
// head (TraceHead), which is queryable at once; Open() replays the WAL, so
// every acknowledged span survives a crash.
//
// Thread-safety: all methods may be called concurrently (TraceStore's
// contract). Appends write the WAL outside the table lock, so concurrent
// appenders share one group commit; the head is guarded by a shared mutex.
#pragma once

#include <atomic>
#include <memory>
#include <shared_mutex>

#include "server/store/interface.h"
#include "server/store/options.h"
#include "server/store/traces/trace_head.h"
#include "server/store/wal/wal.h"

namespace quartet::store {

struct TraceTableStats {
  int64_t spans = 0;
  int64_t traces = 0;
  size_t head_bytes = 0;
  int64_t replayed_records = 0;
  int64_t undecodable_records = 0;  // intact WAL records this version cannot read
  int64_t refused_appends = 0;      // over the memory limit
};

class TraceTable final : public TraceStore {
 public:
  // Opens (creating if needed) the table in options.dir and replays its WAL.
  // Corruption in the WAL is reported in `wal_report` and skipped.
  static Result<std::unique_ptr<TraceTable>> Open(const TableOptions& options);
  ~TraceTable() override;

  Result<AppendResult> AppendSpans(const otlp::ExportTraceServiceRequest& request) override;
  Result<otlp::ExportTraceServiceRequest> GetTrace(const TraceId& id) override;
  Result<TraceSummary> GetTraceSummary(const TraceId& id) override;
  Status SearchTraces(const TraceFilter& filter,
                      const std::function<bool(const TraceCandidate&)>& fn) override;
  Result<std::vector<std::string>> TagNames(std::string_view scope,
                                            const TimeRange& range) override;
  Result<std::vector<std::string>> TagValues(std::string_view scope, std::string_view name,
                                             const TimeRange& range, size_t limit) override;

  TraceTableStats stats() const;
  const WalReplayReport& wal_report() const { return wal_report_; }
  // Makes everything appended so far durable and closes the WAL.
  Status Close();

 private:
  explicit TraceTable(const TableOptions& options);

  TableOptions options_;
  std::unique_ptr<Wal> wal_;
  WalReplayReport wal_report_;
  mutable std::shared_mutex mu_;
  TraceHead head_;  // guarded by mu_
  int64_t replayed_records_ = 0;
  int64_t undecodable_records_ = 0;
  std::atomic<int64_t> refused_appends_{0};
};

}  // namespace quartet::store

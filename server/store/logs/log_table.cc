#include "server/store/logs/log_table.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>

#include "server/store/logs/log_record.h"

namespace quartet::store {
namespace {

constexpr char kLogsRecord = 'L';  // payload: EncodeLogBatch

bool ContainsAll(std::string_view line, const std::vector<std::string>& needles) {
  for (const std::string& n : needles) {
    if (line.find(n) == std::string_view::npos) return false;
  }
  return true;
}

}  // namespace

LogTable::LogTable(const TableOptions& options) : options_(options) {}

LogTable::~LogTable() { (void)Close(); }

Result<std::unique_ptr<LogTable>> LogTable::Open(const TableOptions& options) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<LogTable> table(new LogTable(options));
  ASSIGN_OR_RETURN(table->wal_,
                   Wal::Open(WalOptions{.dir = options.dir + "/wal", .sync = options.sync}));
  Status replayed = table->wal_->Replay(
      [&](std::string_view record, WalPosition) -> Status {
        // An intact record this version cannot read is counted and skipped.
        Result<std::vector<LogStream>> batch =
            record.empty() || record[0] != kLogsRecord
                ? Result<std::vector<LogStream>>(Status::DataLoss("unknown record type"))
                : DecodeLogBatch(record.substr(1));
        if (!batch.ok()) {
          ++table->undecodable_records_;
          return Status::Ok();
        }
        table->head_.Add(std::move(*batch));
        ++table->replayed_records_;
        return Status::Ok();
      },
      &table->wal_report_);
  RETURN_IF_ERROR(replayed);
  return table;
}

Status LogTable::Close() {
  std::unique_lock lock(mu_);
  if (wal_ == nullptr) return Status::Ok();
  Status status = wal_->Close();
  wal_.reset();
  return status;
}

Result<AppendResult> LogTable::AppendLogs(std::vector<LogStream> streams) {
  AppendResult result;
  int64_t total = 0;
  for (const LogStream& s : streams) total += s.entries.size();
  if (total == 0) return result;
  {
    std::shared_lock lock(mu_);
    if (wal_ == nullptr) return Status::Unavailable("log table is closed");
    if (head_.bytes() > options_.memory_limit_bytes) {
      refused_appends_.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted("log store is over its memory limit (" +
                                       std::to_string(options_.memory_limit_bytes >> 20) +
                                       " MiB) while it writes to disk; retry later");
    }
  }
  std::string record(1, kLogsRecord);
  record += EncodeLogBatch(streams);
  RETURN_IF_ERROR(wal_->Append(record).status());
  std::unique_lock lock(mu_);
  result.accepted = head_.Add(std::move(streams));
  return result;
}

Status LogTable::Scan(const LogScan& scan, const std::function<bool(const LogRow&)>& fn) {
  ASSIGN_OR_RETURN(CompiledMatchers matchers, CompiledMatchers::Compile(scan.matchers));
  std::shared_lock lock(mu_);
  head_.Scan(matchers, scan.range, scan.direction, [&](const LogRow& row) {
    if (!ContainsAll(row.line, scan.required_substrings)) return true;
    return fn(row);
  });
  return Status::Ok();
}

Status LogTable::LogsOfTrace(const TraceId& trace_id, const SpanId& span_id,
                             const std::function<bool(const LogRow&)>& fn) {
  std::shared_lock lock(mu_);
  head_.ScanTrace(trace_id, span_id, fn);
  return Status::Ok();
}

int64_t LogTable::CountLogsOfTrace(const TraceId& trace_id) {
  std::shared_lock lock(mu_);
  return head_.CountTrace(trace_id);
}

Result<std::vector<std::string>> LogTable::LabelNames(const TimeRange& range) {
  std::shared_lock lock(mu_);
  std::set<std::string> names;
  head_.ForEachStream(range, [&](const Labels& labels) {
    for (const auto& [name, value] : labels) names.insert(name);
  });
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> LogTable::LabelValues(std::string_view name,
                                                       const TimeRange& range) {
  std::shared_lock lock(mu_);
  std::set<std::string> values;
  head_.ForEachStream(range, [&](const Labels& labels) {
    if (std::string_view v = LabelValue(labels, name); !v.empty()) values.insert(std::string(v));
  });
  return std::vector<std::string>(values.begin(), values.end());
}

Result<std::vector<Labels>> LogTable::Series(const std::vector<LabelMatch>& matchers,
                                             const TimeRange& range) {
  ASSIGN_OR_RETURN(CompiledMatchers compiled, CompiledMatchers::Compile(matchers));
  std::shared_lock lock(mu_);
  std::vector<Labels> out;
  head_.ForEachStream(range, [&](const Labels& labels) {
    if (compiled.Matches(labels)) out.push_back(labels);
  });
  return out;
}

LogTableStats LogTable::stats() const {
  std::shared_lock lock(mu_);
  return LogTableStats{.entries = head_.entry_count(),
                       .streams = static_cast<int64_t>(head_.stream_count()),
                       .head_bytes = head_.bytes(),
                       .replayed_records = replayed_records_,
                       .undecodable_records = undecodable_records_,
                       .refused_appends = refused_appends_.load(std::memory_order_relaxed)};
}

}  // namespace quartet::store

#include "server/store/logs/log_table.h"

#include <algorithm>
#include <filesystem>
#include <mutex>
#include <set>

#include "base/clock.h"
#include "server/store/logs/log_record.h"
#include "server/store/logs/log_scan.h"

namespace quartet::store {
namespace {

constexpr char kLogsRecord = 'L';  // payload: EncodeLogBatch
// A thread keeps a WAL record buffer up to this size between appends:
// above a Loki client's usual batch (promtail's 1 MiB), small enough that
// the HTTP and gRPC workers together keep a few tens of MiB at most.
constexpr size_t kKeptRecordBytes = size_t{2} << 20;
constexpr auto kCheckInterval = std::chrono::seconds(1);
constexpr int64_t kRetentionIntervalNs = 60'000'000'000;
constexpr int64_t kFullHeadWaitNs = 2'000'000'000;
constexpr int64_t kCompactionWindowNs = int64_t{2} * 3600 * 1'000'000'000;
// The largest window (head bytes of its rows) compacted at zstd 19.
constexpr size_t kStrongCompactionBytes = size_t{256} << 20;

std::vector<std::string> Needles(const std::vector<std::string>& required) {
  std::vector<std::string> out;
  for (const std::string& s : required) {
    if (!s.empty()) out.push_back(s);
  }
  return out;
}

// The streams of `head` in label order, as a block writer consumes them.
std::vector<LogBlockSource> SourcesOf(const LogHead& head) {
  std::vector<LogBlockSource> sources;
  head.ForEachStreamSorted([&](const Labels& labels, const std::vector<uint32_t>& by_time) {
    if (by_time.empty()) return;
    LogBlockSource& src = sources.emplace_back(LogBlockSource{&labels, {}});
    src.entries.reserve(by_time.size());
    for (uint32_t i : by_time) src.entries.push_back(&head.entry(i));
  });
  return sources;
}

}  // namespace

LogTable::LogTable(const TableOptions& options)
    : options_(options), head_(std::make_shared<LogHead>()) {}

LogTable::~LogTable() { (void)Close(); }

Result<std::unique_ptr<LogTable>> LogTable::Open(const TableOptions& options, bool background) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<LogTable> table(new LogTable(options));
  ASSIGN_OR_RETURN(table->catalog_, BlockCatalog::Open(options.dir + "/blocks"));
  table->issues_ = table->catalog_->issues();
  // WAL segments below the newest block's wal_until are already in blocks: a
  // crash between adding a block and deleting its segments must not make
  // their lines appear twice.
  uint64_t wal_until = 0;
  for (const auto& b : *table->catalog_->Blocks()) {
    Result<std::shared_ptr<const LogBlock>> block = table->OpenBlock(b);
    if (block.ok()) wal_until = std::max(wal_until, (*block)->wal_until());
  }
  ASSIGN_OR_RETURN(table->wal_,
                   Wal::Open(WalOptions{.dir = options.dir + "/wal", .sync = options.sync}));
  if (wal_until > 0) RETURN_IF_ERROR(table->wal_->RemoveSegmentsBefore(wal_until));
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
        table->head_->Add(std::move(*batch));
        ++table->replayed_records_;
        return Status::Ok();
      },
      &table->wal_report_);
  RETURN_IF_ERROR(replayed);
  if (table->head_->entry_count() > 0) table->head_first_append_mono_ = MonotonicNanos();
  if (background) table->background_ = std::thread([t = table.get()] { t->BackgroundLoop(); });
  return table;
}

Status LogTable::Close() {
  {
    std::lock_guard l(bg_mu_);
    stopping_ = true;
  }
  bg_cv_.notify_all();
  if (background_.joinable()) background_.join();
  std::lock_guard f(flush_mu_);
  std::unique_lock a(append_mu_);
  std::unique_lock lock(mu_);
  if (wal_ == nullptr) return Status::Ok();
  Status status = wal_->Close();
  wal_.reset();
  return status;
}

size_t LogTable::HeadBytesLocked() const {
  return head_->bytes() + (frozen_ != nullptr ? frozen_->bytes() : 0);
}

Result<AppendResult> LogTable::AppendLogs(std::vector<LogStream> streams) {
  AppendResult result;
  int64_t total = 0;
  for (const LogStream& s : streams) total += s.entries.size();
  if (total == 0) return result;
  // Over the memory limit, an append waits a little for the flush under way
  // (backpressure that keeps ingest going at disk speed) before it is refused.
  const int64_t deadline = MonotonicNanos() + kFullHeadWaitNs;
  for (;;) {
    {
      std::shared_lock lock(mu_);
      if (HeadBytesLocked() <= options_.memory_limit_bytes) break;
    }
    std::unique_lock l(bg_mu_);
    if (!background_.joinable() || stopping_ || MonotonicNanos() >= deadline) {
      refused_appends_.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted("log store is over its memory limit (" +
                                       std::to_string(options_.memory_limit_bytes >> 20) +
                                       " MiB) while it writes to disk; retry later");
    }
    flush_wanted_ = true;
    bg_cv_.notify_all();
    flushed_cv_.wait_for(l, std::chrono::milliseconds(20));
  }
  {
    std::shared_lock lock(mu_);
    const size_t fresh = head_->CountNewStreams(streams);
    if (fresh > options_.max_streams) {
      return Status::InvalidArgument("the request has " + std::to_string(fresh) +
                                     " new streams, over the limit of " +
                                     std::to_string(options_.max_streams) +
                                     " active streams (a label with unbounded values?)");
    }
    if (fresh > 0 && head_->stream_count() + fresh > options_.max_streams) {
      refused_appends_.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted(
          "active stream limit exceeded: " + std::to_string(head_->stream_count()) +
          " streams in memory + " + std::to_string(fresh) + " new > " +
          std::to_string(options_.max_streams) + "; retry after the next flush to disk");
    }
  }
  // The record buffer is the thread's, reused across appends: a fresh one
  // per request cost page faults. One that a huge request grew is dropped.
  thread_local std::string record;
  record.assign(1, kLogsRecord);
  AppendLogBatch(streams, &record);
  struct Shrink {
    ~Shrink() {
      if (record.capacity() > kKeptRecordBytes) std::string().swap(record);
    }
  } shrink;
  std::shared_lock append(append_mu_);
  if (wal_ == nullptr) return Status::Unavailable("log table is closed");
  RETURN_IF_ERROR(wal_->Append(record).status());
  size_t head_bytes;
  {
    std::unique_lock lock(mu_);
    result.accepted = head_->Add(std::move(streams));
    if (head_first_append_mono_ == 0) head_first_append_mono_ = MonotonicNanos();
    head_bytes = head_->bytes();
  }
  if (head_bytes > FlushThresholdBytes(options_)) {
    std::lock_guard l(bg_mu_);
    if (!flush_wanted_) {
      flush_wanted_ = true;
      bg_cv_.notify_all();
    }
  }
  return result;
}

// ---- blocks -----------------------------------------------------------------

Result<std::shared_ptr<const LogBlock>> LogTable::OpenBlock(std::shared_ptr<const CatalogBlock> b) {
  {
    std::lock_guard l(blocks_mu_);
    if (damaged_.contains(b->meta.id)) return Status::DataLoss("block set aside");
    if (auto it = block_cache_.find(b->meta.id); it != block_cache_.end()) return it->second;
  }
  Result<std::shared_ptr<const LogBlock>> block = LogBlock::Open(b);
  if (!block.ok()) {
    SetAside(*b, block.status());
    return block.status();
  }
  std::lock_guard l(blocks_mu_);
  block_cache_.emplace(b->meta.id, *block);
  return block;
}

void LogTable::SetAside(const CatalogBlock& b, const Status& problem) {
  std::lock_guard l(blocks_mu_);
  if (!damaged_.insert(b.meta.id).second) return;
  block_cache_.erase(b.meta.id);
  // Keep the bytes for inspection; the next Open no longer sees the block.
  std::error_code ec;
  std::string aside = b.path + ".corrupt";
  std::filesystem::rename(b.path, aside, ec);
  issues_.push_back(CatalogIssue{b.path, problem.ToString(),
                                 ec ? "left out of queries; could not move aside: " + ec.message()
                                    : "left out of queries; moved to " + aside});
}

std::vector<std::shared_ptr<const LogBlock>> LogTable::QueryBlocks() {
  std::shared_ptr<const BlockList> list = catalog_->Blocks();
  std::vector<std::shared_ptr<const LogBlock>> out;
  out.reserve(list->size());
  for (const auto& b : *list) {
    // The block being flushed is still answered from frozen_.
    if (frozen_ != nullptr && b->meta.id == frozen_block_id_) continue;
    Result<std::shared_ptr<const LogBlock>> block = OpenBlock(b);
    if (block.ok()) out.push_back(std::move(*block));
  }
  std::lock_guard l(blocks_mu_);
  if (block_cache_.size() > list->size()) {  // drop blocks retention or compaction removed
    std::set<std::string_view> live;
    for (const auto& b : *list) live.insert(b->meta.id);
    std::erase_if(block_cache_, [&](const auto& kv) { return !live.contains(kv.first); });
  }
  return out;
}

// ---- flush, retention, compaction --------------------------------------------

Status LogTable::Flush() {
  std::lock_guard f(flush_mu_);
  std::string id;
  uint64_t wal_until;
  {
    std::unique_lock a(append_mu_);
    std::unique_lock l(mu_);
    if (wal_ == nullptr) return Status::Unavailable("log table is closed");
    if (frozen_ == nullptr) {  // else: a failed flush is retried first
      if (head_->entry_count() == 0) return Status::Ok();
      ASSIGN_OR_RETURN(frozen_wal_until_, wal_->Rotate());
      frozen_ = std::move(head_);
      head_ = std::make_shared<LogHead>();
      head_first_append_mono_ = 0;
    }
    id = NewBlockId(UnixNanos());
    frozen_block_id_ = id;
    wal_until = frozen_wal_until_;
  }
  // frozen_ is immutable and only this (serialised) function replaces it, so
  // it is read here without mu_ while queries keep answering from it.
  BlockMeta meta;
  meta.id = id;
  meta.level = 0;
  meta.extra_json = WalUntilJson(wal_until);
  const std::string path = catalog_->PathFor(id);
  Result<BlockMeta> written = WriteLogBlock(SourcesOf(*frozen_), std::move(meta), path);
  Status added = written.ok() ? catalog_->Add(path) : written.status();
  if (!added.ok()) {
    flush_failures_.fetch_add(1, std::memory_order_relaxed);
    std::error_code ec;
    if (written.ok()) std::filesystem::remove(path, ec);
    return added;
  }
  {
    std::unique_lock l(mu_);
    frozen_.reset();
    frozen_block_id_.clear();
  }
  flushes_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard l(bg_mu_);
    flushed_cv_.notify_all();
  }
  return wal_->RemoveSegmentsBefore(wal_until);
}

Result<RetentionResult> LogTable::ApplyRetention(int64_t now_unix_nanos) {
  std::lock_guard f(flush_mu_);
  ASSIGN_OR_RETURN(
      RetentionResult r,
      catalog_->ApplyRetention(options_.retention_age, options_.retention_bytes, now_unix_nanos));
  retention_blocks_.fetch_add(static_cast<int64_t>(r.removed_ids.size()),
                              std::memory_order_relaxed);
  retention_bytes_.fetch_add(r.removed_bytes, std::memory_order_relaxed);
  return r;
}

namespace {

// Re-reads every row of `block` into `head` (for compaction).
Status ReadBlockInto(const LogBlock& block, LogHead* head) {
  LogPageCache pages;
  for (uint32_t s = 0; s < block.streams().size(); ++s) {
    std::vector<LogStream> batch(1);
    batch[0].labels = block.streams()[s].labels;
    for (const LogBlockRun& run : block.RunsOf(s)) {
      ASSIGN_OR_RETURN(std::shared_ptr<const LogPage> page, pages.Get(block, run.page));
      for (uint32_t r = run.first; r < run.first + run.rows; ++r) {
        LogEntry& e = batch[0].entries.emplace_back();
        e.timestamp_ns = page->timestamp(r);
        e.line.assign(page->line(r));
        RETURN_IF_ERROR(page->Metadata(r, &e.structured_metadata));
        ASSIGN_OR_RETURN(auto ids, page->Ids(r));
        e.trace_id = ids.first;
        e.span_id = ids.second;
      }
    }
    head->Add(std::move(batch));
  }
  return Status::Ok();
}

}  // namespace

Result<int> LogTable::Compact() {
  std::lock_guard f(flush_mu_);
  const int64_t now = UnixNanos();
  // A window still receiving flushes is left alone: compacting it early would
  // strand later level-0 blocks beside the level-1 one.
  const int64_t settled =
      now - kCompactionWindowNs -
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.head_flush_age).count();
  int written = 0;
  for (const CompactionGroup& group : catalog_->CompactionCandidates(0, kCompactionWindowNs, 2)) {
    if (group.window_start_ns > settled) continue;
    std::shared_ptr<const BlockList> list = catalog_->Blocks();
    LogHead merged;
    uint64_t wal_until = 0;
    size_t found = 0;
    for (const auto& b : *list) {
      if (std::find(group.ids.begin(), group.ids.end(), b->meta.id) == group.ids.end()) continue;
      ASSIGN_OR_RETURN(std::shared_ptr<const LogBlock> block, OpenBlock(b));
      RETURN_IF_ERROR(ReadBlockInto(*block, &merged));
      wal_until = std::max(wal_until, block->wal_until());
      ++found;
    }
    if (found != group.ids.size()) continue;  // retention raced us
    BlockMeta meta;
    meta.id = NewBlockId(now);
    meta.level = 1;
    meta.sources = group.ids;
    meta.extra_json = WalUntilJson(wal_until);
    const std::string path = catalog_->PathFor(meta.id) + ".new";
    // zstd 19 shrinks the text ~12% but compresses ~3 MB/s of lines per core
    // (log_table_benchmark), and flushes wait for a compaction: only windows
    // small enough to finish in about a minute get it.
    const int text_level =
        merged.bytes() <= kStrongCompactionBytes ? kLogCompactedTextLevel : kLogTextLevel;
    ASSIGN_OR_RETURN(BlockMeta done,
                     WriteLogBlock(SourcesOf(merged), std::move(meta), path, text_level));
    Status replaced = catalog_->Replace(group.ids, path);
    if (!replaced.ok()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      return replaced;
    }
    ++written;
  }
  return written;
}

void LogTable::BackgroundLoop() {
  int64_t last_retention = MonotonicNanos();
  std::unique_lock l(bg_mu_);
  while (!stopping_) {
    bg_cv_.wait_for(l, kCheckInterval, [&] { return stopping_ || flush_wanted_; });
    if (stopping_) break;
    flush_wanted_ = false;
    l.unlock();
    bool due;
    {
      std::shared_lock lock(mu_);
      const int64_t age_ns =
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.head_flush_age).count();
      due = frozen_ != nullptr || head_->bytes() > FlushThresholdBytes(options_) ||
            (head_first_append_mono_ != 0 && MonotonicNanos() - head_first_append_mono_ >= age_ns);
    }
    // Failures are counted in stats() and retried on the next tick; the data
    // is safe in the WAL meanwhile.
    if (due) (void)Flush();
    if (MonotonicNanos() - last_retention >= kRetentionIntervalNs) {
      (void)ApplyRetention(UnixNanos());
      (void)Compact();
      last_retention = MonotonicNanos();
    }
    l.lock();
  }
}

// ---- queries ------------------------------------------------------------------

Status LogTable::Scan(const LogScan& scan, const std::function<bool(const LogRow&)>& fn) {
  ASSIGN_OR_RETURN(CompiledMatchers matchers, CompiledMatchers::Compile(scan.matchers));
  const std::vector<std::string> needles = Needles(scan.required_substrings);
  LogPageCache pages;
  const BlockDamageFn damaged = [&](const LogBlock& b, const Status& s) {
    SetAside(*b.catalog_block(), s);
  };
  std::vector<std::unique_ptr<LogCursor>> cursors;
  {
    // The lock only while the sources are picked and the heads' slices
    // copied: the merge (and the caller's fn) runs while appends go on.
    std::shared_lock lock(mu_);
    for (auto& b : QueryBlocks()) {
      AddBlockCursors(b, matchers, scan.range, scan.direction, needles, &pages, damaged, &cursors);
    }
    if (frozen_ != nullptr) {
      AddHeadCursors(frozen_, matchers, scan.range, scan.direction, needles, &cursors);
    }
    AddHeadCursors(head_, matchers, scan.range, scan.direction, needles, &cursors);
  }
  MergeCursors(std::move(cursors), scan.direction, fn);
  return Status::Ok();
}

Status LogTable::LogsOfTrace(const TraceId& trace_id, const SpanId& span_id,
                             const std::function<bool(const LogRow&)>& fn) {
  // Few lines per trace: gather copies from every source, then sort.
  struct Found {
    const Labels* stream;
    LogEntry entry;
  };
  std::vector<Found> found;
  std::shared_lock lock(mu_);
  std::vector<std::shared_ptr<const LogBlock>> blocks = QueryBlocks();
  for (const auto& b : blocks) {
    Result<std::vector<std::pair<uint32_t, uint32_t>>> rows = b->RowsOfTrace(trace_id);
    if (!rows.ok()) {
      SetAside(*b->catalog_block(), rows.status());
      continue;
    }
    LogPageCache pages;
    Status status = [&]() -> Status {
      for (const auto& [page_no, r] : *rows) {
        ASSIGN_OR_RETURN(std::shared_ptr<const LogPage> page, pages.Get(*b, page_no));
        ASSIGN_OR_RETURN(auto ids, page->Ids(r));
        if (span_id.valid() && ids.second != span_id) continue;
        Found& f =
            found.emplace_back(Found{&b->streams()[b->StreamAt(page_no, r)].labels, LogEntry{}});
        f.entry.timestamp_ns = page->timestamp(r);
        f.entry.line.assign(page->line(r));
        RETURN_IF_ERROR(page->Metadata(r, &f.entry.structured_metadata));
        f.entry.trace_id = ids.first;
        f.entry.span_id = ids.second;
      }
      return Status::Ok();
    }();
    if (!status.ok()) SetAside(*b->catalog_block(), status);
  }
  for (const LogHead* head : {frozen_.get(), static_cast<const LogHead*>(head_.get())}) {
    if (head == nullptr) continue;
    head->ScanTrace(trace_id, span_id, [&](const LogRow& row) {
      found.push_back(Found{row.stream, LogEntry{.timestamp_ns = row.timestamp_ns,
                                                 .line = std::string(row.line),
                                                 .structured_metadata = *row.structured_metadata,
                                                 .trace_id = row.trace_id,
                                                 .span_id = row.span_id}});
      return true;
    });
  }
  std::stable_sort(found.begin(), found.end(), [](const Found& a, const Found& b) {
    return a.entry.timestamp_ns < b.entry.timestamp_ns;
  });
  for (const Found& f : found) {
    LogRow row{.stream = f.stream,
               .timestamp_ns = f.entry.timestamp_ns,
               .line = f.entry.line,
               .structured_metadata = &f.entry.structured_metadata,
               .trace_id = f.entry.trace_id,
               .span_id = f.entry.span_id};
    if (!fn(row)) break;
  }
  return Status::Ok();
}

int64_t LogTable::CountLogsOfTrace(const TraceId& trace_id) {
  std::shared_lock lock(mu_);
  int64_t n = head_->CountTrace(trace_id) + (frozen_ ? frozen_->CountTrace(trace_id) : 0);
  for (const auto& b : QueryBlocks()) {
    Result<std::vector<std::pair<uint32_t, uint32_t>>> rows = b->RowsOfTrace(trace_id);
    if (rows.ok()) {
      n += static_cast<int64_t>(rows->size());
    } else {
      SetAside(*b->catalog_block(), rows.status());
    }
  }
  return n;
}

namespace {

template <typename Fn>
void ForEachBlockStream(const std::vector<std::shared_ptr<const LogBlock>>& blocks,
                        const TimeRange& range, Fn fn) {
  for (const auto& b : blocks) {
    if (!range.Overlaps(b->meta().min_time_ns, b->meta().max_time_ns)) continue;
    for (const LogBlockStream& s : b->streams()) {
      if (range.Overlaps(s.min_time_ns, s.max_time_ns)) fn(s.labels);
    }
  }
}

}  // namespace

Result<std::vector<std::string>> LogTable::LabelNames(const TimeRange& range) {
  std::set<std::string> names;
  auto add = [&](const Labels& labels) {
    for (const auto& [name, value] : labels) names.insert(name);
  };
  std::shared_lock lock(mu_);
  ForEachBlockStream(QueryBlocks(), range, add);
  if (frozen_ != nullptr) frozen_->ForEachStream(range, add);
  head_->ForEachStream(range, add);
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> LogTable::LabelValues(std::string_view name,
                                                       const TimeRange& range) {
  std::set<std::string> values;
  auto add = [&](const Labels& labels) {
    if (std::string_view v = LabelValue(labels, name); !v.empty()) values.insert(std::string(v));
  };
  std::shared_lock lock(mu_);
  ForEachBlockStream(QueryBlocks(), range, add);
  if (frozen_ != nullptr) frozen_->ForEachStream(range, add);
  head_->ForEachStream(range, add);
  return std::vector<std::string>(values.begin(), values.end());
}

Result<std::vector<Labels>> LogTable::Series(const std::vector<LabelMatch>& matchers,
                                             const TimeRange& range) {
  ASSIGN_OR_RETURN(CompiledMatchers compiled, CompiledMatchers::Compile(matchers));
  std::set<Labels> series;
  auto add = [&](const Labels& labels) {
    if (compiled.Matches(labels)) series.insert(labels);
  };
  std::shared_lock lock(mu_);
  ForEachBlockStream(QueryBlocks(), range, add);
  if (frozen_ != nullptr) frozen_->ForEachStream(range, add);
  head_->ForEachStream(range, add);
  return std::vector<Labels>(series.begin(), series.end());
}

LogTableStats LogTable::stats() const {
  LogTableStats s;
  {
    std::shared_lock lock(mu_);
    s.entries = head_->entry_count() + (frozen_ ? frozen_->entry_count() : 0);
    s.streams = static_cast<int64_t>(head_->stream_count());
    s.head_bytes = HeadBytesLocked();
  }
  std::shared_ptr<const BlockList> blocks = catalog_->Blocks();
  s.blocks = static_cast<int64_t>(blocks->size());
  for (const auto& b : *blocks) {
    s.block_bytes += b->meta.bytes;
    s.block_rows += static_cast<int64_t>(b->meta.rows);
  }
  s.replayed_records = replayed_records_;
  s.undecodable_records = undecodable_records_;
  s.refused_appends = refused_appends_.load(std::memory_order_relaxed);
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.flush_failures = flush_failures_.load(std::memory_order_relaxed);
  s.retention_removed_blocks = retention_blocks_.load(std::memory_order_relaxed);
  s.retention_removed_bytes = retention_bytes_.load(std::memory_order_relaxed);
  {
    std::lock_guard l(blocks_mu_);
    s.damaged_blocks = static_cast<int64_t>(damaged_.size());
  }
  return s;
}

std::vector<CatalogIssue> LogTable::issues() const {
  std::lock_guard l(blocks_mu_);
  return issues_;
}

}  // namespace quartet::store

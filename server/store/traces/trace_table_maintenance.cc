// TraceTable's background work: loading blocks at open, flushing the head to
// blocks, retention, compaction, and setting damaged blocks aside.

#include <algorithm>
#include <cstring>
#include <filesystem>
#include <set>

#include "base/clock.h"
#include "server/store/traces/trace_merge.h"
#include "server/store/traces/trace_table.h"

namespace quartet::store {
namespace {

constexpr std::chrono::seconds kMaintenanceInterval{60};
constexpr int64_t kCompactionWindowNs = int64_t{2} * 3600 * 1'000'000'000;

bool IdLess(const TraceId& a, const TraceId& b) {
  return std::memcmp(a.bytes.data(), b.bytes.data(), 16) < 0;
}

// Moves a damaged block out of the catalog's sight (*.blk only is loaded).
std::string SetAside(const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(path, path + ".corrupt", ec);
  return ec ? "left in place (rename failed: " + ec.message() + ")"
            : "moved to " + std::filesystem::path(path).filename().string() + ".corrupt";
}

}  // namespace

Status TraceTable::LoadBlocks() {
  ASSIGN_OR_RETURN(catalog_, BlockCatalog::Open(options_.dir + "/blocks"));
  std::vector<CatalogIssue> issues = catalog_->issues();
  bool set_aside = false;
  BlockIndexes indexes;
  for (const auto& block : *catalog_->Blocks()) {
    Result<std::shared_ptr<const TraceBlockIndex>> index =
        TraceBlockIndex::Load(block->meta, block->reader);
    if (index.ok()) {
      indexes.push_back(std::move(*index));
      continue;
    }
    issues.push_back(
        CatalogIssue{block->path, std::string(index.status().message()), SetAside(block->path)});
    set_aside = true;
  }
  damaged_blocks_ += static_cast<int64_t>(issues.size());
  if (set_aside) {
    // Reopen so that the catalog's sizes and retention no longer count the
    // blocks moved aside.
    ASSIGN_OR_RETURN(catalog_, BlockCatalog::Open(options_.dir + "/blocks"));
    BlockIndexes kept;
    for (const auto& block : *catalog_->Blocks()) {
      for (const auto& index : indexes) {
        if (index->id() == block->meta.id) kept.push_back(index);
      }
    }
    indexes = std::move(kept);
  }
  std::unique_lock lock(mu_);
  issues_ = std::move(issues);
  blocks_ = std::move(indexes);
  return Status::Ok();
}

void TraceTable::ReportDamaged(const std::string& id, const Status& status) {
  std::unique_lock lock(mu_);
  auto it =
      std::find_if(blocks_.begin(), blocks_.end(), [&](const auto& b) { return b->id() == id; });
  if (it == blocks_.end()) return;  // already reported by another query
  const std::string path = catalog_->PathFor(id);
  issues_.push_back(CatalogIssue{path, std::string(status.message()), SetAside(path)});
  search_cache_.EraseWithPrefix((*it)->CachePrefix());
  blocks_.erase(it);
  damaged_blocks_.fetch_add(1, std::memory_order_relaxed);
}

void TraceTable::SetBlocks(BlockIndexes blocks) {
  std::sort(blocks.begin(), blocks.end(), [](const auto& a, const auto& b) {
    return a->meta().min_time_ns != b->meta().min_time_ns
               ? a->meta().min_time_ns < b->meta().min_time_ns
               : a->id() < b->id();
  });
  for (const auto& old : blocks_) {
    if (std::find(blocks.begin(), blocks.end(), old) == blocks.end()) {
      search_cache_.EraseWithPrefix(old->CachePrefix());
    }
  }
  blocks_ = std::move(blocks);
}

Status TraceTable::Flush() {
  std::lock_guard maint(maint_mu_);
  if (frozen_ == nullptr) {  // else: a failed flush left a frozen head; retry it
    std::unique_lock append_lock(append_mu_);
    if (wal_ == nullptr) return Status::Unavailable("trace table is closed");
    {
      std::shared_lock lock(mu_);
      if (head_.trace_count() == 0) return Status::Ok();
    }
    ASSIGN_OR_RETURN(frozen_until_, wal_->Rotate());
    std::unique_lock lock(mu_);
    frozen_ = std::make_shared<const TraceHead>(std::move(head_));
    head_ = TraceHead();
    head_started_ns_ = 0;
  }
  Status status = WriteFrozen();
  if (!status.ok()) flush_failures_.fetch_add(1, std::memory_order_relaxed);
  return status;
}

Status TraceTable::WriteFrozen() {
  // frozen_ changes only under maint_mu_, which the caller holds: read it
  // without mu_ while queries keep reading it too.
  const TraceHead& frozen = *frozen_;
  std::vector<const TraceHead::Trace*> traces;
  traces.reserve(frozen.trace_count());
  frozen.ForEachTrace([&](const TraceHead::Trace& t) {
    traces.push_back(&t);
    return true;
  });
  std::sort(traces.begin(), traces.end(), [](const auto* a, const auto* b) {
    return IdLess(a->summary.trace_id, b->summary.trace_id);
  });
  BlockMeta meta;
  meta.id = NewBlockId(UnixNanos());
  meta.level = 0;
  meta.extra_json = WalUntilJson(frozen_until_);
  const std::string path = catalog_->PathFor(meta.id);
  {
    ASSIGN_OR_RETURN(std::unique_ptr<TraceBlockBuilder> builder, TraceBlockBuilder::Create(path));
    // Straight from the frozen head, which queries keep reading: borrowed,
    // not copied into a request per trace.
    std::vector<TraceBlockBuilder::SpanGroup> groups;
    std::vector<const otlp::Span*> spans;
    for (const TraceHead::Trace* t : traces) {
      frozen.Groups(*t, &groups, &spans);
      RETURN_IF_ERROR(builder->Add(t->summary, groups));
    }
    RETURN_IF_ERROR(builder->Finish(meta).status());
  }
  RETURN_IF_ERROR(catalog_->Add(path));
  std::shared_ptr<const TraceBlockIndex> index;
  for (const auto& block : *catalog_->Blocks()) {
    if (block->meta.id != meta.id) continue;
    ASSIGN_OR_RETURN(index, TraceBlockIndex::Load(block->meta, block->reader));
  }
  if (index == nullptr) return Status::Internal("flushed block " + meta.id + " not in the catalog");
  {
    std::unique_lock lock(mu_);
    BlockIndexes blocks = blocks_;
    blocks.push_back(std::move(index));
    SetBlocks(std::move(blocks));
    frozen_.reset();
  }
  flushes_.fetch_add(1, std::memory_order_relaxed);
  // Only now: until the block is in the catalog, these segments are the
  // spans' only durable copy. A crash before this line is handled by Open.
  return wal_->RemoveSegmentsBefore(frozen_until_);
}

Result<RetentionResult> TraceTable::ApplyRetention(int64_t now_unix_nanos) {
  std::lock_guard maint(maint_mu_);
  ASSIGN_OR_RETURN(
      RetentionResult result,
      catalog_->ApplyRetention(options_.retention_age, options_.retention_bytes, now_unix_nanos));
  if (!result.removed_ids.empty()) {
    std::unique_lock lock(mu_);
    BlockIndexes kept;
    for (const auto& block : blocks_) {
      if (std::find(result.removed_ids.begin(), result.removed_ids.end(), block->id()) ==
          result.removed_ids.end()) {
        kept.push_back(block);
      }
    }
    blocks_ = std::move(kept);
    retention_removed_.fetch_add(static_cast<int64_t>(result.removed_ids.size()),
                                 std::memory_order_relaxed);
  }
  return result;
}

Result<int> TraceTable::Compact() {
  std::lock_guard maint(maint_mu_);
  int written = 0;
  for (const CompactionGroup& group : catalog_->CompactionCandidates(0, kCompactionWindowNs, 2)) {
    BlockIndexes blocks;
    {
      std::shared_lock lock(mu_);
      blocks = blocks_;
    }
    BlockIndexes sources;
    for (const std::string& id : group.ids) {
      for (const auto& block : blocks) {
        if (block->id() == id) sources.push_back(block);
      }
    }
    if (sources.size() != group.ids.size()) continue;  // one was set aside
    RETURN_IF_ERROR(CompactGroup(group, sources));
    ++written;
    compactions_.fetch_add(1, std::memory_order_relaxed);
  }
  return written;
}

Status TraceTable::CompactGroup(const CompactionGroup& group, const BlockIndexes& sources) {
  // Every (trace, block, row), by trace id: rows of one block are already in
  // id order, so reading them in this order decompresses each page once.
  struct Entry {
    TraceId id;
    size_t source;
    size_t row;
  };
  std::vector<Entry> entries;
  uint64_t wal_until = 0;
  for (size_t s = 0; s < sources.size(); ++s) {
    wal_until = std::max(wal_until, sources[s]->wal_until());
    for (size_t row = 0; row < sources[s]->trace_count(); ++row) {
      entries.push_back(Entry{sources[s]->summary(row).trace_id, s, row});
    }
  }
  std::stable_sort(entries.begin(), entries.end(),
                   [](const Entry& a, const Entry& b) { return IdLess(a.id, b.id); });
  BlockMeta meta;
  meta.id = NewBlockId(UnixNanos());
  meta.level = group.level + 1;
  meta.sources = group.ids;
  meta.extra_json = WalUntilJson(wal_until);
  const std::string path = catalog_->PathFor(meta.id);
  {
    ASSIGN_OR_RETURN(std::unique_ptr<TraceBlockBuilder> builder, TraceBlockBuilder::Create(path));
    std::vector<TraceBlockIndex::PageCache> caches(sources.size());
    for (size_t i = 0; i < entries.size();) {
      TraceSummary summary;
      bool has_root = false;
      otlp::ExportTraceServiceRequest spans;
      size_t j = i;
      for (; j < entries.size() && entries[j].id == entries[i].id; ++j) {
        const TraceBlockIndex& block = *sources[entries[j].source];
        MergeSummary(block.summary(entries[j].row), block.has_root(entries[j].row), &summary,
                     &has_root);
        Result<otlp::ExportTraceServiceRequest> part =
            block.ReadTrace(entries[j].row, &caches[entries[j].source]);
        if (!part.ok()) {
          // Leave the group as it is; the query path sets the block aside.
          return part.status();
        }
        MergeSpans(std::move(*part), &spans);
      }
      RETURN_IF_ERROR(builder->Add(summary, spans));
      i = j;
    }
    RETURN_IF_ERROR(builder->Finish(meta).status());
  }
  RETURN_IF_ERROR(catalog_->Replace(group.ids, path));
  std::shared_ptr<const TraceBlockIndex> index;
  for (const auto& block : *catalog_->Blocks()) {
    if (block->meta.id != meta.id) continue;
    ASSIGN_OR_RETURN(index, TraceBlockIndex::Load(block->meta, block->reader));
  }
  if (index == nullptr) return Status::Internal("compacted block " + meta.id + " not in catalog");
  std::unique_lock lock(mu_);
  BlockIndexes blocks;
  for (const auto& block : blocks_) {
    if (std::find(group.ids.begin(), group.ids.end(), block->id()) == group.ids.end()) {
      blocks.push_back(block);
    }
  }
  blocks.push_back(std::move(index));
  SetBlocks(std::move(blocks));
  return Status::Ok();
}

void TraceTable::BackgroundLoop() {
  int64_t next_maintenance = MonotonicNanos();
  std::unique_lock l(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(l, std::chrono::seconds(1), [this] { return stop_ || flush_requested_; });
    if (stop_) break;
    flush_requested_ = false;
    l.unlock();
    bool flush;
    {
      std::shared_lock lock(mu_);
      const int64_t age = head_.trace_count() == 0 ? 0 : MonotonicNanos() - head_started_ns_;
      flush = frozen_ != nullptr || head_.bytes() > FlushThresholdBytes(options_) ||
              (head_.trace_count() > 0 &&
               age >= std::chrono::nanoseconds(options_.head_flush_age).count());
    }
    // Failures are counted in stats (flush_failures) and retried next round:
    // the frozen head stays queryable and its WAL segments stay on disk.
    if (flush) (void)Flush();
    if (MonotonicNanos() >= next_maintenance) {
      next_maintenance = MonotonicNanos() + std::chrono::nanoseconds(kMaintenanceInterval).count();
      (void)ApplyRetention(UnixNanos());
      (void)Compact();
    }
    WarmSearchCache();
    l.lock();
  }
}

void TraceTable::WarmSearchCache() {
  BlockIndexes blocks;
  {
    std::shared_lock lock(mu_);
    blocks = blocks_;
  }
  // Newest blocks first: the ones queries most likely read.
  std::reverse(blocks.begin(), blocks.end());
  std::set<std::string> current;
  for (const auto& b : blocks) current.insert(b->CachePrefix());
  std::erase_if(warmed_, [&](const std::string& p) { return current.count(p) == 0; });
  auto keep_going = [this] {
    std::lock_guard l(bg_mu_);
    return !stop_;
  };
  for (const auto& b : blocks) {
    if (!keep_going()) return;
    const std::string prefix = b->CachePrefix();
    if (warmed_.count(prefix) != 0) continue;
    // A damaged row group is left for a query to find and report.
    if (b->WarmSearchCache(&search_cache_, keep_going).ok()) warmed_.insert(prefix);
  }
}

Status TraceTable::Close() {
  {
    std::lock_guard l(bg_mu_);
    stop_ = true;
    bg_cv_.notify_all();
  }
  if (background_.joinable()) background_.join();
  std::lock_guard maint(maint_mu_);
  std::unique_lock append_lock(append_mu_);
  if (wal_ == nullptr) return Status::Ok();
  Status status = wal_->Close();
  wal_.reset();
  return status;
}

std::vector<CatalogIssue> TraceTable::issues() const {
  std::shared_lock lock(mu_);
  return issues_;
}

TraceTableStats TraceTable::stats() const {
  std::shared_lock lock(mu_);
  TraceTableStats s{.spans = static_cast<int64_t>(head_.spans().size()),
                    .traces = static_cast<int64_t>(head_.trace_count()),
                    .head_bytes = head_.bytes(),
                    .replayed_records = replayed_records_,
                    .undecodable_records = undecodable_records_,
                    .refused_appends = refused_appends_.load(std::memory_order_relaxed)};
  if (frozen_ != nullptr) {
    s.spans += static_cast<int64_t>(frozen_->spans().size());
    s.traces += static_cast<int64_t>(frozen_->trace_count());
    s.head_bytes += frozen_->bytes();
  }
  s.blocks = static_cast<int64_t>(blocks_.size());
  for (const auto& block : blocks_) {
    s.block_bytes += block->meta().bytes;
    s.block_spans += static_cast<int64_t>(block->meta().rows);
  }
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.flush_failures = flush_failures_.load(std::memory_order_relaxed);
  s.compactions = compactions_.load(std::memory_order_relaxed);
  s.retention_removed_blocks = retention_removed_.load(std::memory_order_relaxed);
  s.damaged_blocks = damaged_blocks_.load(std::memory_order_relaxed);
  s.search_cache = search_cache_.stats();
  return s;
}

}  // namespace quartet::store

// MetricTable's background work: flushing the head to a block, compaction,
// retention and the loop that schedules them (declared in metric_table.h).
#include <algorithm>
#include <bit>
#include <deque>
#include <filesystem>
#include <map>

#include "base/clock.h"
#include "server/store/metrics/metric_record.h"
#include "server/store/metrics/metric_table.h"
#include "server/store/wal_coverage.h"

namespace quartet::store {
namespace {

constexpr auto kCheckInterval = std::chrono::seconds(1);
constexpr int64_t kMaintenanceIntervalNs = 60'000'000'000;
constexpr int64_t kCompactionWindowNs = int64_t{2} * 3600 * 1'000'000'000;
constexpr int64_t kLongCompactionWindowNs = int64_t{12} * 3600 * 1'000'000'000;
// A series whose last sample is this much older than the newest of the head
// is not carried into the next head (its out-of-order check lapses, as a
// Prometheus series leaves the head once it is gone for a block range).
constexpr int64_t kCarryWindowMs = int64_t{2} * 3600 * 1000;

// Series with their chunks re-cut for blocks (CutBlockChunks), split by
// aligned 2-hour window so that every block lies in one window and can be
// compacted; `owned` holds the chunk bytes the sources view.
struct WindowedSources {
  std::deque<std::vector<CompactChunk>> owned;
  std::map<int64_t, std::vector<BlockSeriesSource>> windows;
};

// The 2-hour window (epoch-aligned) of a time in ms, floor division.
int64_t WindowOfMs(int64_t t) { return t / kChunkWindowMs - (t % kChunkWindowMs < 0 ? 1 : 0); }

// Adds one series: chunks cut from `samples` (by time) and its exemplars.
void AddSeries(const Labels& labels, std::span<const std::pair<int64_t, uint64_t>> samples,
               std::vector<Exemplar> exemplars, WindowedSources* out) {
  const std::vector<CompactChunk>& chunks = out->owned.emplace_back(CutBlockChunks(samples));
  std::map<int64_t, BlockSeriesSource*> mine;
  auto part = [&](int64_t window) {
    BlockSeriesSource*& p = mine[window];
    if (p == nullptr) {
      p = &out->windows[window].emplace_back();
      p->labels = labels;
    }
    return p;
  };
  for (const CompactChunk& c : chunks) {
    part(WindowOfMs(c.min_t))
        ->chunks.push_back(BlockChunk{c.min_t, c.max_t, c.samples, c.timestamps, c.values});
  }
  for (Exemplar& e : exemplars) part(WindowOfMs(e.t_ms))->exemplars.push_back(std::move(e));
}

// The series of `head` in label order.
WindowedSources SourcesOf(const MetricHead& head) {
  std::vector<std::pair<Labels, uint32_t>> order;
  order.reserve(head.series_count());
  for (uint32_t ref = 0; ref < head.series_count(); ++ref) {
    const HeadSeries& s = head.series(ref);
    if (s.empty()) continue;
    order.emplace_back(head.index().LabelsOf(ref), ref);
  }
  std::sort(order.begin(), order.end());
  WindowedSources out;
  std::vector<std::pair<int64_t, uint64_t>> samples;
  for (auto& [labels, ref] : order) {
    samples.clear();
    head.ForEachSample(ref, INT64_MIN, INT64_MAX, [&](int64_t t, double v) {
      samples.emplace_back(t, std::bit_cast<uint64_t>(v));
    });
    AddSeries(labels, samples, head.series(ref).exemplars, &out);
  }
  return out;
}

}  // namespace

Status MetricTable::Flush() {
  std::lock_guard f(flush_mu_);
  uint64_t wal_until;
  {
    std::unique_lock a(append_mu_);
    std::unique_lock l(mu_);
    if (wal_ == nullptr) return Status::Unavailable("metric table is closed");
    if (frozen_ == nullptr) {  // else: a failed flush is retried first
      if (head_->sample_count() == 0 && head_->exemplar_count() == 0) return Status::Ok();
      ASSIGN_OR_RETURN(frozen_wal_until_, wal_->Rotate());
      // The new head starts its segment with a checkpoint: the recent series
      // and their last samples, and all metadata, so that replaying only
      // the segments after the block restores the checks.
      std::vector<SeriesRecordEntry> carried = head_->CarryOver(kCarryWindowMs);
      auto next = std::make_unique<MetricHead>(options_.limits);
      for (const SeriesRecordEntry& s : carried) {
        bool created;
        Result<uint32_t> ref = next->GetOrCreate(s.labels, /*enforce_limit=*/false, &created);
        if (ref.ok()) next->SetLast(*ref, s.last_t, s.last_bits);
      }
      const std::vector<MetricMetadata> metadata = Metadata();
      const std::string checkpoint = EncodeSeriesRecord(true, carried);
      const std::string md = EncodeMetadataRecord(metadata);
      std::vector<std::string_view> records = {checkpoint};
      if (!metadata.empty()) records.push_back(md);
      RETURN_IF_ERROR(wal_->AppendBatch(records));
      frozen_ = std::move(head_);
      head_ = std::move(next);
      head_first_append_mono_ = 0;
      frozen_block_ids_.clear();
      frozen_done_windows_.clear();
    }
    wal_until = frozen_wal_until_;
  }
  // frozen_ is immutable and only this (serialised) function replaces it, so
  // it is read here without mu_ while queries keep answering from it.
  WindowedSources sources = SourcesOf(*frozen_);
  const std::map<int64_t, std::vector<BlockSeriesSource>>& windows = sources.windows;
  {
    std::unique_lock l(mu_);
    for (const auto& [window, series] : windows) {
      if (!frozen_done_windows_.contains(window)) {
        frozen_block_ids_[window] = NewBlockId(UnixNanos());
      }
    }
  }
  const std::vector<MetricMetadata> metadata = Metadata();
  for (const auto& [window, series] : windows) {
    std::string id;
    {
      std::shared_lock l(mu_);
      if (frozen_done_windows_.contains(window)) continue;
      id = frozen_block_ids_[window];
    }
    BlockMeta meta;
    meta.id = id;
    meta.level = 0;
    meta.extra_json = WalUntilJson(wal_until);
    const std::string path = catalog_->PathFor(id);
    Result<BlockMeta> written = WriteMetricBlock(series, metadata, std::move(meta), path);
    Status added = written.ok() ? catalog_->Add(path) : written.status();
    if (!added.ok()) {
      flush_failures_.fetch_add(1, std::memory_order_relaxed);
      std::error_code ec;
      if (written.ok()) std::filesystem::remove(path, ec);
      return added;
    }
    std::unique_lock l(mu_);
    frozen_done_windows_.insert(window);
  }
  {
    std::unique_lock l(mu_);
    frozen_.reset();
    frozen_block_ids_.clear();
    frozen_done_windows_.clear();
  }
  flushes_.fetch_add(1, std::memory_order_relaxed);
  {
    std::lock_guard l(bg_mu_);
    flushed_cv_.notify_all();
  }
  return wal_->RemoveSegmentsBefore(wal_until);
}

Result<RetentionResult> MetricTable::ApplyRetention(int64_t now_unix_nanos) {
  std::lock_guard f(flush_mu_);
  ASSIGN_OR_RETURN(RetentionResult r,
                   catalog_->ApplyRetention(options_.table.retention_age,
                                            options_.table.retention_bytes, now_unix_nanos));
  retention_blocks_.fetch_add(static_cast<int64_t>(r.removed_ids.size()),
                              std::memory_order_relaxed);
  retention_bytes_.fetch_add(r.removed_bytes, std::memory_order_relaxed);
  return r;
}

namespace {

// The aligned window of length `window_ns` that holds t, floor division.
int64_t WindowStart(int64_t t, int64_t window_ns) {
  return (t / window_ns - (t % window_ns < 0 ? 1 : 0)) * window_ns;
}

}  // namespace

Result<bool> MetricTable::MergeBlocks(const std::vector<std::string>& ids, uint32_t level) {
  std::vector<std::shared_ptr<const MetricBlock>> blocks;
  for (const auto& b : *catalog_->Blocks()) {
    if (std::find(ids.begin(), ids.end(), b->meta.id) == ids.end()) continue;
    ASSIGN_OR_RETURN(std::shared_ptr<const MetricBlock> block, OpenBlock(b));
    blocks.push_back(std::move(block));
  }
  if (blocks.size() != ids.size()) return false;  // retention raced us
  // Every block lists its series in label order: merge them series by
  // series, so that only one series' samples are decoded at a time.
  std::vector<ValuePages> pages(blocks.size());
  std::vector<uint32_t> cursor(blocks.size(), 0);
  std::vector<Labels> current(blocks.size());
  auto load = [&](size_t k) {
    if (cursor[k] < blocks[k]->series_count()) current[k] = blocks[k]->index().LabelsOf(cursor[k]);
  };
  for (size_t k = 0; k < blocks.size(); ++k) load(k);
  std::deque<std::vector<CompactChunk>> owned;
  std::vector<BlockSeriesSource> sources;
  std::vector<std::pair<int64_t, uint64_t>> samples;
  for (;;) {
    const Labels* next = nullptr;
    for (size_t k = 0; k < blocks.size(); ++k) {
      if (cursor[k] < blocks[k]->series_count() && (next == nullptr || current[k] < *next)) {
        next = &current[k];
      }
    }
    if (next == nullptr) break;
    BlockSeriesSource& src = sources.emplace_back();
    src.labels = *next;
    samples.clear();
    for (size_t k = 0; k < blocks.size(); ++k) {
      if (cursor[k] >= blocks[k]->series_count() || current[k] != src.labels) continue;
      RETURN_IF_ERROR(blocks[k]->ForEachSample(
          cursor[k], INT64_MIN, INT64_MAX, &pages[k],
          [&](int64_t t, double v) { samples.emplace_back(t, std::bit_cast<uint64_t>(v)); }));
      for (const Exemplar& e : blocks[k]->exemplars(cursor[k])) src.exemplars.push_back(e);
      ++cursor[k];
      load(k);
    }
    std::stable_sort(samples.begin(), samples.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    std::stable_sort(src.exemplars.begin(), src.exemplars.end(),
                     [](const Exemplar& a, const Exemplar& b) { return a.t_ms < b.t_ms; });
    for (const CompactChunk& c : owned.emplace_back(CutBlockChunks(samples))) {
      src.chunks.push_back(BlockChunk{c.min_t, c.max_t, c.samples, c.timestamps, c.values});
    }
    if (src.chunks.empty() && src.exemplars.empty()) sources.pop_back();
  }
  std::map<std::string, MetricMetadata> metadata;
  uint64_t wal_until = 0;
  for (const auto& block : blocks) {
    for (const MetricMetadata& md : block->metadata()) metadata[md.family] = md;
    wal_until = std::max(wal_until, block->wal_until());
  }
  std::vector<MetricMetadata> md;
  for (auto& [family, m] : metadata) md.push_back(std::move(m));
  BlockMeta meta;
  meta.id = NewBlockId(UnixNanos());
  meta.level = level;
  meta.sources = ids;
  meta.extra_json = WalUntilJson(wal_until);
  const std::string path = catalog_->PathFor(meta.id) + ".new";
  Result<BlockMeta> done = WriteMetricBlock(sources, md, std::move(meta), path);
  Status replaced = done.ok() ? catalog_->Replace(ids, path) : done.status();
  if (!replaced.ok()) {
    std::error_code ec;
    std::filesystem::remove(path, ec);
    return replaced;
  }
  compactions_.fetch_add(1, std::memory_order_relaxed);
  return true;
}

Result<int> MetricTable::Compact(int64_t now_unix_nanos) {
  std::lock_guard f(flush_mu_);
  // A window still receiving flushes is left alone: compacting it early
  // would strand later blocks beside the compacted one.
  const int64_t settled_end =
      now_unix_nanos -
      std::chrono::duration_cast<std::chrono::nanoseconds>(options_.table.head_flush_age).count();
  int written = 0;
  // Level 1: the level-0 blocks of one 2-hour window.
  for (const CompactionGroup& group : catalog_->CompactionCandidates(0, kCompactionWindowNs, 2)) {
    if (group.window_start_ns > settled_end - kCompactionWindowNs) continue;
    ASSIGN_OR_RETURN(bool merged, MergeBlocks(group.ids, 1));
    written += merged ? 1 : 0;
  }
  // Level 2: the blocks of levels 0 and 1 of one 12-hour window, so that a
  // series costs one label entry per 12 hours and reads open fewer blocks.
  std::map<int64_t, std::vector<std::string>> long_windows;
  for (const auto& b : *catalog_->Blocks()) {
    if (b->meta.level >= 2) continue;
    const int64_t start = WindowStart(b->meta.min_time_ns, kLongCompactionWindowNs);
    if (b->meta.max_time_ns >= start + kLongCompactionWindowNs ||
        start + kLongCompactionWindowNs > settled_end) {
      continue;
    }
    long_windows[start].push_back(b->meta.id);
  }
  for (const auto& [start, ids] : long_windows) {
    if (ids.size() < 2) continue;
    ASSIGN_OR_RETURN(bool merged, MergeBlocks(ids, 2));
    written += merged ? 1 : 0;
  }
  return written;
}

void MetricTable::BackgroundLoop() {
  int64_t last_maintenance = MonotonicNanos();
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
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.table.head_flush_age)
              .count();
      due = frozen_ != nullptr || head_->bytes() > FlushThresholdBytes(options_.table) ||
            (head_first_append_mono_ != 0 && MonotonicNanos() - head_first_append_mono_ >= age_ns);
    }
    // Failures are counted in stats() and retried on the next tick; the data
    // is safe in the WAL meanwhile.
    if (due) (void)Flush();
    if (MonotonicNanos() - last_maintenance >= kMaintenanceIntervalNs) {
      (void)ApplyRetention(UnixNanos());
      (void)Compact(UnixNanos());
      last_maintenance = MonotonicNanos();
    }
    l.lock();
  }
}

}  // namespace quartet::store

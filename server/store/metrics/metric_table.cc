#include "server/store/metrics/metric_table.h"

#include <algorithm>
#include <bit>
#include <filesystem>
#include <set>

#include "base/clock.h"
#include "server/store/label_match.h"
#include "server/store/metrics/metric_record.h"

namespace quartet::store {
namespace {

constexpr int64_t kFullHeadWaitNs = 2'000'000'000;

}  // namespace

MetricTable::MetricTable(const MetricTableOptions& options)
    : options_(options), head_(std::make_unique<MetricHead>(options.limits)) {}

MetricTable::~MetricTable() { (void)Close(); }

Result<std::unique_ptr<MetricTable>> MetricTable::Open(const MetricTableOptions& options,
                                                       bool background) {
  const std::string& dir = options.table.dir;
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Internal("cannot create " + dir + ": " + ec.message());
  std::unique_ptr<MetricTable> table(new MetricTable(options));
  ASSIGN_OR_RETURN(table->catalog_, BlockCatalog::Open(dir + "/blocks"));
  table->issues_ = table->catalog_->issues();
  for (const CatalogIssue& issue : table->issues_) {
    if (issue.action.find(".corrupt") != std::string::npos) ++table->open_damaged_;
  }
  // Segments below the newest block's wal_until are in blocks already; the
  // blocks' metadata is the starting point the WAL's metadata updates.
  uint64_t wal_until = 0;
  for (const auto& b : *table->catalog_->Blocks()) {
    Result<std::shared_ptr<const MetricBlock>> block = table->OpenBlock(b);
    if (!block.ok()) continue;
    wal_until = std::max(wal_until, (*block)->wal_until());
    table->SetMetadata((*block)->metadata(), nullptr);
  }
  ASSIGN_OR_RETURN(table->wal_,
                   Wal::Open(WalOptions{.dir = dir + "/wal", .sync = options.table.sync}));
  if (wal_until > 0) RETURN_IF_ERROR(table->wal_->RemoveSegmentsBefore(wal_until));
  RETURN_IF_ERROR(table->Replay());
  if (table->head_->sample_count() > 0) table->head_first_append_mono_ = MonotonicNanos();
  if (background) table->background_ = std::thread([t = table.get()] { t->BackgroundLoop(); });
  return table;
}

Status MetricTable::Replay() {
  // References are per head: a checkpoint record (the first of a head's
  // segments) starts a new numbering. Samples are gathered per series and
  // sorted before they enter the head, because concurrent appenders may have
  // reached the WAL in another order than the head.
  std::unordered_map<uint32_t, uint32_t> refs;
  std::vector<std::vector<std::pair<int64_t, uint64_t>>> pending;
  std::vector<std::pair<int64_t, uint64_t>> floor;  // carried last samples
  std::vector<bool> has_floor;
  // Samples whose series record comes later in the WAL: an appender may add
  // a sample to a series another appender created, and reach the WAL first.
  std::unordered_map<uint32_t, std::vector<std::pair<int64_t, uint64_t>>> early;
  Status replayed = wal_->Replay(
      [&](std::string_view record, WalPosition) -> Status {
        Result<MetricRecord> r = DecodeMetricRecord(record);
        if (!r.ok()) {  // intact but unreadable by this version: counted, skipped
          ++undecodable_records_;
          return Status::Ok();
        }
        ++replayed_records_;
        if (r->checkpoint) {
          refs.clear();
          early.clear();  // their series records were lost (a failed append)
        }
        for (const SeriesRecordEntry& s : r->series) {
          bool created;
          Result<uint32_t> ref = head_->GetOrCreate(s.labels, /*enforce_limit=*/false, &created);
          if (!ref.ok()) continue;
          refs[s.ref] = *ref;
          if (pending.size() <= *ref) {
            pending.resize(*ref + 1);
            floor.resize(*ref + 1);
            has_floor.resize(*ref + 1);
          }
          if (auto e = early.find(s.ref); e != early.end()) {
            pending[*ref].insert(pending[*ref].end(), e->second.begin(), e->second.end());
            early.erase(e);
          }
          if (s.has_last && (!has_floor[*ref] || floor[*ref].first < s.last_t)) {
            floor[*ref] = {s.last_t, s.last_bits};
            has_floor[*ref] = true;
          }
        }
        for (const SampleRecordEntry& s : r->samples) {
          auto it = refs.find(s.ref);
          if (it == refs.end()) {
            early[s.ref].emplace_back(s.t_ms, s.bits);
          } else {
            pending[it->second].emplace_back(s.t_ms, s.bits);
          }
        }
        for (const ExemplarRecordEntry& e : r->exemplars) {
          auto it = refs.find(e.ref);
          if (it != refs.end()) head_->AddExemplar(it->second, e.exemplar);
        }
        SetMetadata(r->metadata, nullptr);
        return Status::Ok();
      },
      &wal_report_);
  RETURN_IF_ERROR(replayed);
  for (uint32_t ref = 0; ref < pending.size(); ++ref) {
    auto& samples = pending[ref];
    std::stable_sort(samples.begin(), samples.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    for (const auto& [t, bits] : samples) head_->Append(ref, t, std::bit_cast<double>(bits));
    if (has_floor[ref]) head_->SetLast(ref, floor[ref].first, floor[ref].second);
  }
  // The replayed head numbers its series differently from the records it
  // read; appends after this use its ids, so a checkpoint restates them.
  if (head_->series_count() > 0) {
    RETURN_IF_ERROR(wal_->Append(EncodeSeriesRecord(true, head_->AllSeries())).status());
  }
  return Status::Ok();
}

Status MetricTable::Close() {
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

size_t MetricTable::HeadBytesLocked() const {
  return head_->bytes() + (frozen_ != nullptr ? frozen_->bytes() : 0);
}

void MetricTable::SetMetadata(const std::vector<MetricMetadata>& metadata,
                              std::vector<MetricMetadata>* changed) {
  if (metadata.empty()) return;
  std::lock_guard l(metadata_mu_);
  for (const MetricMetadata& m : metadata) {
    if (m.family.empty()) continue;
    auto [it, fresh] = metadata_.try_emplace(m.family, m);
    if (!fresh) {
      if (it->second.type == m.type && it->second.help == m.help && it->second.unit == m.unit) {
        continue;
      }
      it->second = m;
    }
    if (changed != nullptr) changed->push_back(m);
  }
}

std::vector<MetricMetadata> MetricTable::Metadata(std::string_view family) const {
  std::lock_guard l(metadata_mu_);
  std::vector<MetricMetadata> out;
  if (!family.empty()) {
    if (auto it = metadata_.find(family); it != metadata_.end()) out.push_back(it->second);
    return out;
  }
  for (const auto& [name, m] : metadata_) out.push_back(m);
  return out;
}

Status MetricTable::WaitForRoom() {
  // Over the memory limit, an append waits a little for the flush under way
  // (backpressure that keeps ingest at disk speed) before it is refused.
  const int64_t deadline = MonotonicNanos() + kFullHeadWaitNs;
  for (;;) {
    {
      std::shared_lock lock(mu_);
      if (HeadBytesLocked() <= options_.table.memory_limit_bytes) return Status::Ok();
    }
    std::unique_lock l(bg_mu_);
    if (!background_.joinable() || stopping_ || MonotonicNanos() >= deadline) {
      refused_appends_.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted("metric store is over its memory limit (" +
                                       std::to_string(options_.table.memory_limit_bytes >> 20) +
                                       " MiB) while it writes to disk; retry later");
    }
    flush_wanted_ = true;
    bg_cv_.notify_all();
    flushed_cv_.wait_for(l, std::chrono::milliseconds(20));
  }
}

Result<MetricAppendResult> MetricTable::Append(const MetricBatch& batch) {
  std::vector<LabelRef> labels;
  size_t n = 0;
  for (const SeriesSamples& s : batch.series) n += s.labels.size();
  labels.reserve(n);
  std::vector<SeriesSamplesRef> refs;
  refs.reserve(batch.series.size());
  for (const SeriesSamples& s : batch.series) {
    const size_t begin = labels.size();
    for (const auto& [name, value] : s.labels) labels.push_back(LabelRef{name, value});
    refs.push_back(SeriesSamplesRef{std::span(labels).subspan(begin), s.samples, s.exemplars});
  }
  return AppendRefs(refs, batch.metadata);
}

namespace {

std::string_view MetricNameOf(std::span<const LabelRef> labels) {
  for (const LabelRef& l : labels) {
    if (l.name == "__name__") return l.value;
  }
  return {};
}

}  // namespace

namespace {

constexpr uint32_t kUnknownSeries = UINT32_MAX;

}  // namespace

void MetricTable::FindKnown(std::span<const SeriesSamplesRef> batch,
                            std::span<const uint64_t> hashes, std::vector<uint32_t>* known) const {
  // A lookup is a chain of cache misses (slot, stored hash, labels) and a
  // request's series are spread over the whole table: fetching the slot 16
  // series ahead and the entry 8 ahead overlaps them. Series that are not
  // found (new, or added earlier in this batch) are looked up again in
  // order by the append loop.
  const SeriesIndex& index = head_->index();
  constexpr size_t kSlotAhead = 16, kEntryAhead = 8;
  const size_t n = batch.size();
  for (size_t i = 0; i < std::min(n, kSlotAhead); ++i) index.PrefetchSlot(hashes[i]);
  for (size_t i = 0; i < n; ++i) {
    if (i + kSlotAhead < n) index.PrefetchSlot(hashes[i + kSlotAhead]);
    if (i + kEntryAhead < n) index.PrefetchEntry(hashes[i + kEntryAhead]);
    (*known)[i] = index.FindRefs(batch[i].labels, hashes[i]).value_or(kUnknownSeries);
  }
}

Result<MetricAppendResult> MetricTable::AppendRefs(
    std::span<const SeriesSamplesRef> batch, const std::vector<MetricMetadata>& batch_metadata) {
  MetricAppendResult result;
  RETURN_IF_ERROR(WaitForRoom());
  std::vector<SeriesRecordEntry> new_series;
  SamplesRecordBuilder samples;
  std::vector<ExemplarRecordEntry> exemplars;
  std::vector<MetricMetadata> metadata;
  auto reject = [&](int64_t* counter, int64_t n, const Status& why) {
    *counter += n;
    if (result.error.ok()) result.error = why;
  };
  // Hashed outside the lock; the lookups below then run ahead of the
  // appends (see FindKnown).
  std::vector<uint64_t> hashes(batch.size());
  for (size_t i = 0; i < batch.size(); ++i) hashes[i] = HashLabels(batch[i].labels);
  std::vector<uint32_t> known(batch.size());
  std::shared_lock append(append_mu_);
  if (wal_ == nullptr) return Status::Unavailable("metric table is closed");
  size_t head_bytes;
  {
    std::unique_lock lock(mu_);
    FindKnown(batch, hashes, &known);
    // The same for the appends: a series' HeadSeries 8 ahead, then (its
    // fields cached by then) its open chunk's write position 4 ahead.
    constexpr size_t kSeriesAhead = 8, kChunkAhead = 4;
    for (size_t i = 0; i < batch.size(); ++i) {
      if (i + kSeriesAhead < batch.size() && known[i + kSeriesAhead] != kUnknownSeries) {
        head_->PrefetchSeries(known[i + kSeriesAhead]);
      }
      if (i + kChunkAhead < batch.size() && known[i + kChunkAhead] != kUnknownSeries) {
        head_->PrefetchOpenChunk(known[i + kChunkAhead]);
      }
      const SeriesSamplesRef& s = batch[i];
      const int64_t n = static_cast<int64_t>(s.samples.size());
      // A known series is found first, from the borrowed bytes: its labels
      // equal a stored (valid) set, so only new ones are copied and
      // validated; most series of a request exist.
      bool created = false;
      Result<uint32_t> ref = Status::NotFound("");
      if (known[i] != kUnknownSeries) {
        ref = known[i];
      } else {
        Labels owned = ToLabels(s.labels);
        if (owned.empty() || !ValidLabels(owned)) {
          reject(&result.invalid_samples, n,
                 Status::InvalidArgument("invalid label set (labels must be sorted by name, "
                                         "unique, with non-empty names and values)"));
          result.dropped_exemplars += static_cast<int64_t>(s.exemplars.size());
          continue;
        }
        ref = head_->GetOrCreate(owned, /*enforce_limit=*/true, &created);
        if (created) new_series.push_back(SeriesRecordEntry{*ref, std::move(owned)});
      }
      if (!ref.ok()) {
        reject(&result.series_limit_samples, n, ref.status());
        result.dropped_exemplars += static_cast<int64_t>(s.exemplars.size());
        continue;
      }
      for (const Sample& sample : s.samples) {
        switch (head_->Append(*ref, sample.t_ms, sample.v)) {
          case SampleOutcome::kAppended:
            samples.Add(*ref, sample.t_ms, std::bit_cast<uint64_t>(sample.v));
            ++result.accepted_samples;
            break;
          case SampleOutcome::kDuplicate:
            ++result.duplicate_samples;
            break;
          case SampleOutcome::kOutOfOrder:
            reject(&result.out_of_order_samples, 1,
                   Status::InvalidArgument("out of order sample for series " +
                                           std::string(MetricNameOf(s.labels)) + " at " +
                                           std::to_string(sample.t_ms) + " ms"));
            break;
          case SampleOutcome::kConflict:
            reject(&result.conflicting_samples, 1,
                   Status::InvalidArgument("duplicate sample for timestamp " +
                                           std::to_string(sample.t_ms) + " with another value"));
            break;
        }
      }
      for (const Exemplar& e : s.exemplars) {
        if (head_->AddExemplar(*ref, e)) {
          exemplars.push_back(ExemplarRecordEntry{*ref, e});
          ++result.accepted_exemplars;
        } else {
          ++result.dropped_exemplars;
        }
      }
    }
    if (head_first_append_mono_ == 0 && result.accepted_samples > 0) {
      head_first_append_mono_ = MonotonicNanos();
    }
    head_bytes = head_->bytes();
  }
  SetMetadata(batch_metadata, &metadata);
  out_of_order_.fetch_add(result.out_of_order_samples, std::memory_order_relaxed);
  conflicting_.fetch_add(result.conflicting_samples, std::memory_order_relaxed);
  series_limited_.fetch_add(result.series_limit_samples, std::memory_order_relaxed);
  std::string series_rec, exemplar_rec, metadata_rec;
  std::vector<std::string_view> records;
  if (!new_series.empty()) records.push_back(series_rec = EncodeSeriesRecord(false, new_series));
  if (!samples.empty()) records.push_back(samples.record());
  if (!exemplars.empty()) records.push_back(exemplar_rec = EncodeExemplarsRecord(exemplars));
  if (!metadata.empty()) records.push_back(metadata_rec = EncodeMetadataRecord(metadata));
  if (!records.empty()) RETURN_IF_ERROR(wal_->AppendBatch(records));
  if (head_bytes > FlushThresholdBytes(options_.table)) {
    std::lock_guard l(bg_mu_);
    if (!flush_wanted_) {
      flush_wanted_ = true;
      bg_cv_.notify_all();
    }
  }
  return result;
}

// ---- blocks -------------------------------------------------------------------------

Result<std::shared_ptr<const MetricBlock>> MetricTable::OpenBlock(
    std::shared_ptr<const CatalogBlock> b) {
  {
    std::lock_guard l(blocks_mu_);
    if (damaged_.contains(b->meta.id)) return Status::DataLoss("block set aside");
    if (auto it = block_cache_.find(b->meta.id); it != block_cache_.end()) return it->second;
  }
  Result<std::shared_ptr<const MetricBlock>> block = MetricBlock::Open(b);
  if (!block.ok()) {
    SetAside(*b, block.status());
    return block.status();
  }
  std::lock_guard l(blocks_mu_);
  block_cache_.emplace(b->meta.id, *block);
  return block;
}

void MetricTable::SetAside(const CatalogBlock& b, const Status& problem) {
  std::lock_guard l(blocks_mu_);
  if (!damaged_.insert(b.meta.id).second) return;
  block_cache_.erase(b.meta.id);
  // Keep the bytes for inspection; the next Open no longer sees the block.
  std::error_code ec;
  const std::string aside = b.path + ".corrupt";
  std::filesystem::rename(b.path, aside, ec);
  issues_.push_back(CatalogIssue{b.path, problem.ToString(),
                                 ec ? "left out of queries; could not move aside: " + ec.message()
                                    : "left out of queries; moved to " + aside});
}

std::vector<std::shared_ptr<const MetricBlock>> MetricTable::QueryBlocks() {
  std::shared_ptr<const BlockList> list = catalog_->Blocks();
  std::vector<std::shared_ptr<const MetricBlock>> out;
  out.reserve(list->size());
  for (const auto& b : *list) {
    // The block being flushed is still answered from frozen_.
    if (frozen_ != nullptr && std::any_of(frozen_block_ids_.begin(), frozen_block_ids_.end(),
                                          [&](const auto& w) { return w.second == b->meta.id; })) {
      continue;
    }
    Result<std::shared_ptr<const MetricBlock>> block = OpenBlock(b);
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

std::vector<CatalogIssue> MetricTable::issues() const {
  std::lock_guard l(blocks_mu_);
  return issues_;
}

MetricTableStats MetricTable::stats() const {
  MetricTableStats s;
  {
    std::shared_lock lock(mu_);
    s.head_samples = head_->sample_count() + (frozen_ ? frozen_->sample_count() : 0);
    s.head_series = static_cast<int64_t>(head_->series_count());
    s.head_bytes = HeadBytesLocked();
  }
  std::shared_ptr<const BlockList> blocks = catalog_->Blocks();
  s.blocks = static_cast<int64_t>(blocks->size());
  for (const auto& b : *blocks) {
    s.block_bytes += b->meta.bytes;
    s.block_samples += static_cast<int64_t>(b->meta.rows);
  }
  s.replayed_records = replayed_records_;
  s.undecodable_records = undecodable_records_;
  s.refused_appends = refused_appends_.load(std::memory_order_relaxed);
  s.out_of_order_samples = out_of_order_.load(std::memory_order_relaxed);
  s.conflicting_samples = conflicting_.load(std::memory_order_relaxed);
  s.series_limit_samples = series_limited_.load(std::memory_order_relaxed);
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.flush_failures = flush_failures_.load(std::memory_order_relaxed);
  s.compactions = compactions_.load(std::memory_order_relaxed);
  s.retention_removed_blocks = retention_blocks_.load(std::memory_order_relaxed);
  s.retention_removed_bytes = retention_bytes_.load(std::memory_order_relaxed);
  std::lock_guard l(blocks_mu_);
  // Blocks the catalog set aside at Open, and those a query found damaged.
  s.damaged_blocks = static_cast<int64_t>(damaged_.size());
  s.damaged_blocks += open_damaged_;
  return s;
}

}  // namespace quartet::store

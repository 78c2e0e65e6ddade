#include "server/store/profiles/profile_table.h"

#include <algorithm>
#include <filesystem>

#include "base/clock.h"
#include "server/store/block/block_writer.h"
#include "server/store/label_match.h"
#include "server/store/profiles/profile_record.h"
#include "server/store/wal_coverage.h"

namespace quartet::store {
namespace {

constexpr auto kCheckInterval = std::chrono::seconds(1);
constexpr int64_t kRetentionIntervalNs = 60'000'000'000;
constexpr int64_t kFullHeadWaitNs = 2'000'000'000;
constexpr int64_t kHourNs = int64_t{3600} * 1'000'000'000;
constexpr size_t kDataCacheBlocks = 8;
constexpr const char* kDataSections[] = {"strings", "symbols", "stacks", "samples"};

bool RowOverlaps(const ProfileRow& row, const TimeRange& range) {
  int64_t end;
  if (__builtin_add_overflow(row.time_ns, std::max<int64_t>(row.duration_ns, 1), &end)) {
    end = INT64_MAX;
  }
  return row.time_ns < range.end_ns && end > range.start_ns;
}

// A query's matchers split into series matchers and sample-label matchers.
struct Selection {
  CompiledMatchers series;
  std::optional<CompiledMatchers> samples;
  std::optional<std::string> span_id;  // an equality on span_id: use the postings

  static Result<Selection> Make(const std::vector<LabelMatch>& matchers) {
    std::vector<LabelMatch> series, samples;
    std::optional<std::string> span;
    for (const LabelMatch& m : matchers) {
      if (!IsSampleLabelName(m.name)) {
        series.push_back(m);
        continue;
      }
      samples.push_back(m);
      if (m.name == "span_id" && m.op == LabelMatch::Op::kEq && !m.value.empty()) span = m.value;
    }
    ASSIGN_OR_RETURN(CompiledMatchers s, CompiledMatchers::Compile(series));
    Selection sel{std::move(s), std::nullopt, span};
    if (!samples.empty()) {
      ASSIGN_OR_RETURN(CompiledMatchers p, CompiledMatchers::Compile(samples));
      sel.samples.emplace(std::move(p));
    }
    return sel;
  }

  // Profile rows of `seg` of `type` in `range` whose series match.
  std::vector<uint32_t> Rows(const ProfileSegment& seg, std::string_view type,
                             const TimeRange& range) const {
    std::vector<char> ok(seg.series().size());
    bool any = false;
    for (size_t i = 0; i < ok.size(); ++i) {
      const ProfileSeries& s = seg.series()[i];
      ok[i] = (type.empty() || s.profile_type == type) && series.Matches(s.labels);
      any = any || ok[i];
    }
    std::vector<uint32_t> rows;
    if (!any) return rows;
    auto consider = [&](uint32_t r) {
      const ProfileRow& row = seg.profile(r);
      if (ok[row.series] && RowOverlaps(row, range)) rows.push_back(r);
    };
    if (span_id.has_value()) {
      for (uint32_t r : seg.ProfilesWithSpan(*span_id)) consider(r);
    } else {
      for (uint32_t r = 0; r < seg.profile_count(); ++r) consider(r);
    }
    return rows;
  }

  const CompiledMatchers* sample_filter() const { return samples ? &*samples : nullptr; }
};

}  // namespace

ProfileTable::ProfileTable(const TableOptions& options)
    : options_(options), head_(std::make_shared<ProfileSegment>()) {}

ProfileTable::~ProfileTable() { (void)Close(); }

Result<std::unique_ptr<ProfileTable>> ProfileTable::Open(const TableOptions& options,
                                                         bool background) {
  std::error_code ec;
  std::filesystem::create_directories(options.dir, ec);
  if (ec) return Status::Internal("cannot create " + options.dir + ": " + ec.message());
  std::unique_ptr<ProfileTable> t(new ProfileTable(options));
  ASSIGN_OR_RETURN(t->catalog_, BlockCatalog::Open(options.dir + "/blocks"));
  t->issues_ = t->catalog_->issues();
  // Segments below the newest block's wal_until are in blocks already: a
  // crash between adding a block and deleting them must not double profiles.
  uint64_t wal_until = 0;
  for (const auto& b : *t->catalog_->Blocks()) {
    Result<std::shared_ptr<const Block>> block = t->OpenBlock(b);
    if (block.ok()) wal_until = std::max(wal_until, (*block)->wal_until);
  }
  ASSIGN_OR_RETURN(t->wal_,
                   Wal::Open(WalOptions{.dir = options.dir + "/wal", .sync = options.sync}));
  if (wal_until > 0) RETURN_IF_ERROR(t->wal_->RemoveSegmentsBefore(wal_until));
  RETURN_IF_ERROR(t->wal_->Replay(
      [&](std::string_view record, WalPosition) -> Status {
        // An intact record this version cannot read is counted and skipped.
        Result<ProfileRecord> rec = DecodeProfileRecord(record);
        if (!rec.ok() || !CheckProfileRefs(rec->profile).ok()) {
          ++t->undecodable_records_;
          return Status::Ok();
        }
        t->head_->Add(rec->labels, rec->from_ns, rec->until_ns - rec->from_ns, rec->profile);
        ++t->replayed_records_;
        return Status::Ok();
      },
      &t->wal_report_));
  if (t->head_->profile_count() > 0) t->head_first_append_mono_ = MonotonicNanos();
  if (background) t->background_ = std::thread([p = t.get()] { p->BackgroundLoop(); });
  return t;
}

Status ProfileTable::Close() {
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

Result<ProfileAppendResult> ProfileTable::AppendProfile(const Labels& labels, int64_t from_ns,
                                                        int64_t until_ns,
                                                        const pprof::Profile& profile) {
  if (until_ns < from_ns) {
    return Status::InvalidArgument("until (" + std::to_string(until_ns) + ") is before from (" +
                                   std::to_string(from_ns) + ")");
  }
  if (!std::is_sorted(labels.begin(), labels.end()) ||
      std::adjacent_find(labels.begin(), labels.end(), [](const auto& a, const auto& b) {
        return a.first == b.first;
      }) != labels.end()) {
    return Status::InvalidArgument("series labels must be sorted by name and unique");
  }
  RETURN_IF_ERROR(CheckProfileRefs(profile));
  const int64_t deadline = MonotonicNanos() + kFullHeadWaitNs;
  for (;;) {
    {
      std::shared_lock lock(mu_);
      const size_t bytes = head_->bytes() + (frozen_ ? frozen_->bytes() : 0);
      if (bytes <= options_.memory_limit_bytes) break;
    }
    std::unique_lock l(bg_mu_);
    if (!background_.joinable() || stopping_ || MonotonicNanos() >= deadline) {
      refused_appends_.fetch_add(1, std::memory_order_relaxed);
      return Status::ResourceExhausted("profile store is over its memory limit (" +
                                       std::to_string(options_.memory_limit_bytes >> 20) +
                                       " MiB) while it writes to disk; retry later");
    }
    flush_wanted_ = true;
    bg_cv_.notify_all();
    flushed_cv_.wait_for(l, std::chrono::milliseconds(20));
  }
  const std::string record = EncodeProfileRecord(labels, from_ns, until_ns, profile);
  std::shared_lock append(append_mu_);
  if (wal_ == nullptr) return Status::Unavailable("profile table is closed");
  RETURN_IF_ERROR(wal_->Append(record).status());
  ProfileAppendResult result;
  size_t head_bytes;
  {
    std::unique_lock lock(mu_);
    result = head_->Add(labels, from_ns, until_ns - from_ns, profile);
    if (head_first_append_mono_ == 0) head_first_append_mono_ = MonotonicNanos();
    head_bytes = head_->bytes();
  }
  appended_profiles_.fetch_add(result.profiles, std::memory_order_relaxed);
  appended_samples_.fetch_add(result.samples, std::memory_order_relaxed);
  if (head_bytes > FlushThresholdBytes(options_)) {
    std::lock_guard l(bg_mu_);
    flush_wanted_ = true;
    bg_cv_.notify_all();
  }
  return result;
}

// ---- blocks -------------------------------------------------------------------

Result<std::shared_ptr<const ProfileTable::Block>> ProfileTable::OpenBlock(
    std::shared_ptr<const CatalogBlock> b) {
  {
    std::lock_guard l(blocks_mu_);
    if (damaged_.contains(b->meta.id)) return Status::DataLoss("block set aside");
    if (auto it = blocks_.find(b->meta.id); it != blocks_.end()) return it->second;
  }
  Result<std::string> index = b->reader->ReadSection("index");
  Result<ProfileSegment> seg =
      index.ok() ? ProfileSegment::DecodeIndex(*index) : Result<ProfileSegment>(index.status());
  if (!seg.ok()) {
    SetAside(*b, seg.status());
    return seg.status();
  }
  auto block = std::make_shared<Block>();
  block->catalog = b;
  block->index = std::make_shared<const ProfileSegment>(std::move(*seg));
  block->wal_until = ParseWalUntil(b->meta.extra_json);
  std::lock_guard l(blocks_mu_);
  blocks_.emplace(b->meta.id, block);
  return std::shared_ptr<const Block>(block);
}

Result<std::shared_ptr<const ProfileSegment>> ProfileTable::BlockData(const Block& b) {
  const std::string& id = b.catalog->meta.id;
  {
    std::lock_guard l(blocks_mu_);
    for (auto it = data_cache_.begin(); it != data_cache_.end(); ++it) {
      if (it->first != id) continue;
      data_cache_.splice(data_cache_.begin(), data_cache_, it);
      return it->second;
    }
  }
  Status status = [&]() -> Status {
    ASSIGN_OR_RETURN(std::string index, b.catalog->reader->ReadSection("index"));
    std::string data[4];
    for (int i = 0; i < 4; ++i) {
      ASSIGN_OR_RETURN(data[i], b.catalog->reader->ReadSection(kDataSections[i]));
    }
    ASSIGN_OR_RETURN(ProfileSegment seg, ProfileSegment::DecodeIndex(index));
    RETURN_IF_ERROR(seg.LoadData(data[0], data[1], data[2], data[3]));
    auto shared = std::make_shared<const ProfileSegment>(std::move(seg));
    std::lock_guard l(blocks_mu_);
    data_cache_.emplace_front(id, std::move(shared));
    if (data_cache_.size() > kDataCacheBlocks) data_cache_.pop_back();
    return Status::Ok();
  }();
  if (!status.ok()) {
    SetAside(*b.catalog, status);
    return status;
  }
  std::lock_guard l(blocks_mu_);
  for (const auto& [cached_id, seg] : data_cache_) {
    if (cached_id == id) return seg;
  }
  return Status::Internal("profile block cache lost " + id);
}

void ProfileTable::SetAside(const CatalogBlock& b, const Status& problem) {
  std::lock_guard l(blocks_mu_);
  if (!damaged_.insert(b.meta.id).second) return;
  blocks_.erase(b.meta.id);
  std::erase_if(data_cache_, [&](const auto& kv) { return kv.first == b.meta.id; });
  std::error_code ec;
  const std::string aside = b.path + ".corrupt";
  std::filesystem::rename(b.path, aside, ec);
  issues_.push_back(CatalogIssue{b.path, problem.ToString(),
                                 ec ? "left out of queries; could not move aside: " + ec.message()
                                    : "left out of queries; moved to " + aside});
}

std::vector<std::shared_ptr<const ProfileTable::Block>> ProfileTable::QueryBlocks() {
  std::shared_ptr<const BlockList> list = catalog_->Blocks();
  std::vector<std::shared_ptr<const Block>> out;
  for (const auto& b : *list) {
    if (frozen_ != nullptr && b->meta.id == frozen_block_id_) continue;  // answered from frozen_
    Result<std::shared_ptr<const Block>> block = OpenBlock(b);
    if (block.ok()) out.push_back(std::move(*block));
  }
  std::lock_guard l(blocks_mu_);
  if (blocks_.size() > list->size()) {  // forget blocks retention or compaction removed
    std::set<std::string_view> live;
    for (const auto& b : *list) live.insert(b->meta.id);
    std::erase_if(blocks_, [&](const auto& kv) { return !live.contains(kv.first); });
  }
  return out;
}

Status ProfileTable::WriteBlock(const ProfileSegment& seg, BlockMeta meta,
                                const std::string& path) {
  meta.min_time_ns = seg.min_time_ns();
  meta.max_time_ns = std::max(seg.min_time_ns(), seg.max_time_ns());
  meta.rows = seg.sample_count();
  ASSIGN_OR_RETURN(auto writer, BlockWriter::Create(path));
  for (const auto& [name, bytes] : seg.Encode()) {
    RETURN_IF_ERROR(writer->AddSection(name, bytes, Codec::kZstd, 6));
  }
  return writer->Finish(meta.ToJson());
}

// ---- flush, retention, compaction ------------------------------------------------

Status ProfileTable::Flush() {
  std::lock_guard f(flush_mu_);
  std::string id;
  uint64_t wal_until;
  {
    std::unique_lock a(append_mu_);
    std::unique_lock l(mu_);
    if (wal_ == nullptr) return Status::Unavailable("profile table is closed");
    if (frozen_ == nullptr) {  // else a failed flush is retried
      if (head_->profile_count() == 0) return Status::Ok();
      ASSIGN_OR_RETURN(frozen_wal_until_, wal_->Rotate());
      frozen_ = std::move(head_);
      head_ = std::make_shared<ProfileSegment>();
      head_first_append_mono_ = 0;
    }
    id = NewBlockId(UnixNanos());
    frozen_block_id_ = id;
    wal_until = frozen_wal_until_;
  }
  BlockMeta meta;
  meta.id = id;
  meta.extra_json = WalUntilJson(wal_until);
  const std::string path = catalog_->PathFor(id);
  Status written = WriteBlock(*frozen_, std::move(meta), path);
  Status added = written.ok() ? catalog_->Add(path) : written;
  if (!added.ok()) {
    flush_failures_.fetch_add(1, std::memory_order_relaxed);
    std::error_code ec;
    std::filesystem::remove(path, ec);
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

Result<RetentionResult> ProfileTable::ApplyRetention(int64_t now_unix_nanos) {
  std::lock_guard f(flush_mu_);
  ASSIGN_OR_RETURN(
      RetentionResult r,
      catalog_->ApplyRetention(options_.retention_age, options_.retention_bytes, now_unix_nanos));
  retention_blocks_.fetch_add(static_cast<int64_t>(r.removed_ids.size()),
                              std::memory_order_relaxed);
  retention_bytes_.fetch_add(r.removed_bytes, std::memory_order_relaxed);
  return r;
}

Result<int> ProfileTable::CompactLevel(uint32_t level, int64_t window_ns, int64_t settled_before) {
  int written = 0;
  for (const CompactionGroup& group : catalog_->CompactionCandidates(level, window_ns, 2)) {
    if (group.window_start_ns + window_ns > settled_before) continue;
    ProfileSegment merged;
    uint64_t wal_until = 0;
    size_t found = 0;
    for (const auto& b : *catalog_->Blocks()) {
      if (std::find(group.ids.begin(), group.ids.end(), b->meta.id) == group.ids.end()) continue;
      ASSIGN_OR_RETURN(std::shared_ptr<const Block> block, OpenBlock(b));
      ASSIGN_OR_RETURN(std::shared_ptr<const ProfileSegment> data, BlockData(*block));
      for (size_t i = 0; i < data->profile_count(); ++i) {
        StoredProfile p = data->Materialize(i);
        merged.Add(p.labels, p.time_ns, p.duration_ns, p.profile);
      }
      wal_until = std::max(wal_until, block->wal_until);
      ++found;
    }
    if (found != group.ids.size()) continue;  // retention raced us
    BlockMeta meta;
    meta.id = NewBlockId(UnixNanos());
    meta.level = level + 1;
    meta.sources = group.ids;
    meta.extra_json = WalUntilJson(wal_until);
    const std::string path = catalog_->PathFor(meta.id) + ".new";
    Status status = WriteBlock(merged, std::move(meta), path);
    if (status.ok()) status = catalog_->Replace(group.ids, path);
    if (!status.ok()) {
      std::error_code ec;
      std::filesystem::remove(path, ec);
      return status;
    }
    compactions_.fetch_add(1, std::memory_order_relaxed);
    ++written;
  }
  return written;
}

Result<int> ProfileTable::Compact(bool all) {
  std::lock_guard f(flush_mu_);
  // A window still receiving flushes is left alone: compacting it early
  // would strand later level-0 blocks beside the merged one.
  const int64_t settled = all ? INT64_MAX
                              : UnixNanos() - std::chrono::duration_cast<std::chrono::nanoseconds>(
                                                  options_.head_flush_age)
                                                  .count();
  // One level: 2-hour blocks keep a query of an hour from decoding a day,
  // and merging further saves little (samples, not symbols, dominate).
  return CompactLevel(0, 2 * kHourNs, settled);
}

void ProfileTable::BackgroundLoop() {
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
          std::chrono::duration_cast<std::chrono::nanoseconds>(options_.head_flush_age).count();
      due = frozen_ != nullptr || head_->bytes() > FlushThresholdBytes(options_) ||
            (head_first_append_mono_ != 0 && MonotonicNanos() - head_first_append_mono_ >= age_ns);
    }
    // Failures are counted and retried next tick; the WAL holds the data.
    if (due) (void)Flush();
    if (MonotonicNanos() - last_maintenance >= kRetentionIntervalNs) {
      (void)ApplyRetention(UnixNanos());
      (void)Compact();
      last_maintenance = MonotonicNanos();
    }
    l.lock();
  }
}

// ---- queries ---------------------------------------------------------------------

Status ProfileTable::SelectProfiles(std::string_view profile_type,
                                    const std::vector<LabelMatch>& matchers, const TimeRange& range,
                                    const std::function<bool(const StoredProfile&)>& fn) {
  ASSIGN_OR_RETURN(Selection sel, Selection::Make(matchers));
  const CompiledMatchers* filter = sel.sample_filter();
  std::vector<std::shared_ptr<const Block>> blocks;
  std::vector<StoredProfile> from_heads;
  {
    // Head profiles are copied out under the lock; fn runs without it.
    std::shared_lock lock(mu_);
    blocks = QueryBlocks();
    for (const ProfileSegment* h :
         {frozen_.get(), static_cast<const ProfileSegment*>(head_.get())}) {
      if (h == nullptr) continue;
      for (uint32_t r : sel.Rows(*h, profile_type, range)) {
        StoredProfile p = h->Materialize(r, filter);
        if (filter == nullptr || !p.profile.sample.empty()) from_heads.push_back(std::move(p));
      }
    }
  }
  for (const auto& b : blocks) {
    const BlockMeta& meta = b->catalog->meta;
    if (meta.min_time_ns >= range.end_ns || meta.max_time_ns < range.start_ns) continue;
    std::vector<uint32_t> rows = sel.Rows(*b->index, profile_type, range);
    if (rows.empty()) continue;
    Result<std::shared_ptr<const ProfileSegment>> data = BlockData(*b);
    if (!data.ok()) continue;  // set aside and reported in issues()
    for (uint32_t r : rows) {
      StoredProfile p = (*data)->Materialize(r, filter);
      if (filter != nullptr && p.profile.sample.empty()) continue;
      if (!fn(p)) return Status::Ok();
    }
  }
  for (const StoredProfile& p : from_heads) {
    if (!fn(p)) break;
  }
  return Status::Ok();
}

Status ProfileTable::SelectProfileBatches(std::string_view profile_type,
                                          const std::vector<LabelMatch>& matchers,
                                          const TimeRange& range,
                                          const std::function<bool(const ProfileBatch&)>& fn) {
  ASSIGN_OR_RETURN(Selection sel, Selection::Make(matchers));
  const CompiledMatchers* filter = sel.sample_filter();
  auto deliver = [&](const ProfileSegment& seg, const std::vector<uint32_t>& rows) {
    if (rows.empty()) return true;
    std::unique_ptr<ProfileBatch> batch = seg.Batch(rows, filter);
    return batch->rows.empty() || fn(*batch);
  };
  std::vector<std::shared_ptr<const Block>> blocks;
  std::shared_ptr<const ProfileSegment> frozen;
  {
    // One snapshot of blocks, frozen and live head. The live head changes
    // under appends, so its batch is read under the lock (a merge of at most
    // head_flush_age of profiles, by stack ids); the rest after.
    std::shared_lock lock(mu_);
    blocks = QueryBlocks();
    frozen = frozen_;
    if (!deliver(*head_, sel.Rows(*head_, profile_type, range))) return Status::Ok();
  }
  for (const auto& b : blocks) {
    const BlockMeta& meta = b->catalog->meta;
    if (meta.min_time_ns >= range.end_ns || meta.max_time_ns < range.start_ns) continue;
    std::vector<uint32_t> rows = sel.Rows(*b->index, profile_type, range);
    if (rows.empty()) continue;
    Result<std::shared_ptr<const ProfileSegment>> data = BlockData(*b);
    if (!data.ok()) continue;  // set aside and reported in issues()
    if (!deliver(**data, rows)) return Status::Ok();
  }
  if (frozen != nullptr) deliver(*frozen, sel.Rows(*frozen, profile_type, range));
  return Status::Ok();
}

Result<std::pair<int64_t, int64_t>> ProfileTable::CountSamples(
    std::string_view profile_type, const std::vector<LabelMatch>& matchers,
    const TimeRange& range) {
  int64_t profiles = 0;
  uint64_t total = 0;  // wraps instead of overflowing on hostile values
  RETURN_IF_ERROR(SelectProfiles(profile_type, matchers, range, [&](const StoredProfile& p) {
    ++profiles;
    for (const pprof::Sample& s : p.profile.sample) {
      total += s.value.empty() ? 0 : static_cast<uint64_t>(s.value[0]);
    }
    return true;
  }));
  return std::pair<int64_t, int64_t>{profiles, static_cast<int64_t>(total)};
}

Status ProfileTable::ForEachSeries(const std::vector<LabelMatch>& matchers, const TimeRange& range,
                                   const std::function<void(const ProfileSeries&)>& fn) {
  ASSIGN_OR_RETURN(Selection sel, Selection::Make(matchers));
  auto visit = [&](const ProfileSegment& seg) {
    std::vector<char> seen(seg.series().size());
    for (uint32_t r : sel.Rows(seg, {}, range)) {
      const uint32_t s = seg.profile(r).series;
      if (!seen[s]) seen[s] = 1, fn(seg.series()[s]);
    }
  };
  std::shared_lock lock(mu_);
  for (const auto& b : QueryBlocks()) {
    const BlockMeta& meta = b->catalog->meta;
    if (meta.min_time_ns < range.end_ns && meta.max_time_ns >= range.start_ns) visit(*b->index);
  }
  if (frozen_ != nullptr) visit(*frozen_);
  visit(*head_);
  return Status::Ok();
}

Result<std::vector<std::string>> ProfileTable::ProfileTypes(const std::vector<LabelMatch>& matchers,
                                                            const TimeRange& range) {
  std::set<std::string> out;
  RETURN_IF_ERROR(
      ForEachSeries(matchers, range, [&](const ProfileSeries& s) { out.insert(s.profile_type); }));
  return std::vector<std::string>(out.begin(), out.end());
}

Result<std::vector<std::string>> ProfileTable::ProfileLabelNames(
    const std::vector<LabelMatch>& matchers, const TimeRange& range) {
  std::set<std::string> out;
  RETURN_IF_ERROR(ForEachSeries(matchers, range, [&](const ProfileSeries& s) {
    for (const auto& [k, v] : s.labels) out.insert(k);
  }));
  return std::vector<std::string>(out.begin(), out.end());
}

Result<std::vector<std::string>> ProfileTable::ProfileLabelValues(
    std::string_view name, const std::vector<LabelMatch>& matchers, const TimeRange& range) {
  std::set<std::string> out;
  RETURN_IF_ERROR(ForEachSeries(matchers, range, [&](const ProfileSeries& s) {
    if (std::string_view v = LabelValue(s.labels, name); !v.empty()) out.insert(std::string(v));
  }));
  return std::vector<std::string>(out.begin(), out.end());
}

ProfileTableStats ProfileTable::stats() const {
  ProfileTableStats s;
  {
    std::shared_lock lock(mu_);
    for (const ProfileSegment* h :
         {frozen_.get(), static_cast<const ProfileSegment*>(head_.get())}) {
      if (h == nullptr) continue;
      s.head_profiles += static_cast<int64_t>(h->profile_count());
      s.head_samples += static_cast<int64_t>(h->sample_count());
      s.head_bytes += h->bytes();
    }
  }
  std::shared_ptr<const BlockList> blocks = catalog_->Blocks();
  s.blocks = static_cast<int64_t>(blocks->size());
  for (const auto& b : *blocks) s.block_bytes += b->meta.bytes;
  s.appended_profiles = appended_profiles_.load(std::memory_order_relaxed);
  s.appended_samples = appended_samples_.load(std::memory_order_relaxed);
  s.replayed_records = replayed_records_;
  s.undecodable_records = undecodable_records_;
  s.refused_appends = refused_appends_.load(std::memory_order_relaxed);
  s.flushes = flushes_.load(std::memory_order_relaxed);
  s.flush_failures = flush_failures_.load(std::memory_order_relaxed);
  s.compactions = compactions_.load(std::memory_order_relaxed);
  s.retention_removed_blocks = retention_blocks_.load(std::memory_order_relaxed);
  s.retention_removed_bytes = retention_bytes_.load(std::memory_order_relaxed);
  std::lock_guard l(blocks_mu_);
  s.damaged_blocks = static_cast<int64_t>(damaged_.size());
  return s;
}

std::vector<CatalogIssue> ProfileTable::issues() const {
  std::lock_guard l(blocks_mu_);
  return issues_;
}

}  // namespace quartet::store

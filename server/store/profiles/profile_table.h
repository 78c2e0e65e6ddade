// ProfileTable: the profile store of quartetd (ProfileStore in interface.h)
// on the storage engine, shaped like the log and metric tables: an append
// checks the profile's references, writes it to the write-ahead log (so an
// acknowledged profile survives kill -9), then adds it to the in-memory head
// (a ProfileSegment), queryable at once. A background thread cuts the head
// into an immutable block (one encoded ProfileSegment, zstd-compressed,
// checksummed sections; docs/formats/profiles.md) when it passes
// head_flush_bytes or head_flush_age, deletes the WAL segments the block
// covers, and every minute applies retention and compacts the level-0 blocks
// of each settled 2-hour window into one level-1 block, so symbols and stacks
// are stored once per 2 hours.
// A block found damaged (at open or by a query) is moved aside and reported
// in issues(); the rest keeps being served.
//
// Queries decode a block's small "index" section (series, profile rows,
// span_id postings) once and keep it; the symbol and sample sections of the
// few blocks queried last are kept decoded in a small cache.
//
// Thread-safety: all methods may be called concurrently. Callbacks of
// SelectProfiles run without any table lock held.
#pragma once

#include <atomic>
#include <condition_variable>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <shared_mutex>
#include <thread>

#include "server/store/block/catalog.h"
#include "server/store/interface.h"
#include "server/store/options.h"
#include "server/store/profiles/profile_segment.h"
#include "server/store/wal/wal.h"

namespace quartet::store {

struct ProfileTableStats {
  int64_t head_profiles = 0;  // profile rows in the heads (live and being flushed)
  int64_t head_samples = 0;
  size_t head_bytes = 0;
  int64_t appended_profiles = 0;  // profile rows appended since open
  int64_t appended_samples = 0;
  int64_t replayed_records = 0;
  int64_t undecodable_records = 0;
  int64_t refused_appends = 0;
  int64_t blocks = 0;
  uint64_t block_bytes = 0;
  int64_t flushes = 0;
  int64_t flush_failures = 0;
  int64_t compactions = 0;
  int64_t retention_removed_blocks = 0;
  uint64_t retention_removed_bytes = 0;
  int64_t damaged_blocks = 0;
};

class ProfileTable final : public ProfileStore {
 public:
  // Opens dir/blocks then dir/wal and replays it; starts the background
  // thread unless `background` is false (tests drive Flush etc. themselves).
  static Result<std::unique_ptr<ProfileTable>> Open(const TableOptions& options,
                                                    bool background = true);
  ~ProfileTable() override;

  // InvalidArgument for a profile whose references do not resolve (nothing
  // stored), ResourceExhausted past the memory limit, Unavailable if closed.
  Result<ProfileAppendResult> AppendProfile(const Labels& labels, int64_t from_ns, int64_t until_ns,
                                            const pprof::Profile& profile) override;
  Status SelectProfiles(std::string_view profile_type, const std::vector<LabelMatch>& matchers,
                        const TimeRange& range,
                        const std::function<bool(const StoredProfile&)>& fn) override;
  // Blocks and the frozen head are delivered without a table lock held; the
  // live head's batch under the read lock (appends wait for it).
  Status SelectProfileBatches(std::string_view profile_type,
                              const std::vector<LabelMatch>& matchers, const TimeRange& range,
                              const std::function<bool(const ProfileBatch&)>& fn) override;
  Result<std::vector<std::string>> ProfileTypes(const std::vector<LabelMatch>& matchers,
                                                const TimeRange& range) override;
  Result<std::vector<std::string>> ProfileLabelNames(const std::vector<LabelMatch>& matchers,
                                                     const TimeRange& range) override;
  Result<std::vector<std::string>> ProfileLabelValues(std::string_view name,
                                                      const std::vector<LabelMatch>& matchers,
                                                      const TimeRange& range) override;

  // The number of profiles and the sum of sample values SelectProfiles would
  // deliver (the debug route and tests use it).
  Result<std::pair<int64_t, int64_t>> CountSamples(std::string_view profile_type,
                                                   const std::vector<LabelMatch>& matchers,
                                                   const TimeRange& range);

  // Writes the head to a block now (no-op when empty) and drops the WAL
  // segments it covers. Serialised with the background work.
  Status Flush();
  Result<RetentionResult> ApplyRetention(int64_t now_unix_nanos);
  // Merges settled level-0 blocks per 2-hour window. With `all`, windows still receiving data are
  // merged too (tests, benchmarks). Returns the number of blocks written.
  Result<int> Compact(bool all = false);

  ProfileTableStats stats() const;
  const WalReplayReport& wal_report() const { return wal_report_; }
  std::vector<CatalogIssue> issues() const;
  // Stops the background thread and closes the WAL (the head is in it).
  Status Close();

 private:
  struct Block {
    std::shared_ptr<const CatalogBlock> catalog;
    std::shared_ptr<const ProfileSegment> index;  // index section only
    uint64_t wal_until = 0;
  };

  explicit ProfileTable(const TableOptions& options);
  void BackgroundLoop();
  Result<std::shared_ptr<const Block>> OpenBlock(std::shared_ptr<const CatalogBlock> b);
  Result<std::shared_ptr<const ProfileSegment>> BlockData(const Block& b);
  std::vector<std::shared_ptr<const Block>> QueryBlocks();  // mu_ held shared
  void SetAside(const CatalogBlock& b, const Status& problem);
  Status WriteBlock(const ProfileSegment& seg, BlockMeta meta, const std::string& path);
  Status ForEachSeries(const std::vector<LabelMatch>& matchers, const TimeRange& range,
                       const std::function<void(const ProfileSeries&)>& fn);
  Result<int> CompactLevel(uint32_t level, int64_t window_ns, int64_t settled_before);

  TableOptions options_;
  std::unique_ptr<BlockCatalog> catalog_;
  std::unique_ptr<Wal> wal_;
  WalReplayReport wal_report_;

  std::shared_mutex append_mu_;  // shared: WAL write + head add; unique: head swap
  mutable std::shared_mutex mu_;
  std::shared_ptr<ProfileSegment> head_;          // guarded by mu_
  int64_t head_first_append_mono_ = 0;            // guarded by mu_
  std::shared_ptr<const ProfileSegment> frozen_;  // guarded by mu_
  std::string frozen_block_id_;                   // guarded by mu_
  uint64_t frozen_wal_until_ = 0;                 // guarded by mu_
  std::mutex flush_mu_;                           // serialises Flush, Compact, retention

  mutable std::mutex blocks_mu_;
  std::map<std::string, std::shared_ptr<const Block>> blocks_;  // guarded by blocks_mu_
  // Decoded data of recently queried blocks, most recent first.
  std::list<std::pair<std::string, std::shared_ptr<const ProfileSegment>>> data_cache_;
  std::set<std::string> damaged_;     // guarded by blocks_mu_
  std::vector<CatalogIssue> issues_;  // guarded by blocks_mu_

  int64_t replayed_records_ = 0;
  int64_t undecodable_records_ = 0;
  std::atomic<int64_t> appended_profiles_{0}, appended_samples_{0}, refused_appends_{0};
  std::atomic<int64_t> flushes_{0}, flush_failures_{0}, compactions_{0};
  std::atomic<int64_t> retention_blocks_{0};
  std::atomic<uint64_t> retention_bytes_{0};

  std::mutex bg_mu_;
  std::condition_variable bg_cv_;
  std::condition_variable flushed_cv_;
  bool stopping_ = false;      // guarded by bg_mu_
  bool flush_wanted_ = false;  // guarded by bg_mu_
  std::thread background_;
};

}  // namespace quartet::store

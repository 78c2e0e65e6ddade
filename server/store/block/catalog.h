// BlockCatalog: the set of blocks of one table (e.g. data/traces/blocks/),
// each an immutable file <id>.blk whose meta is a BlockMeta. It opens every
// block at startup (a damaged one is moved aside to <id>.blk.corrupt and
// reported, never fatal), hands out immutable snapshots for queries, swaps
// blocks for compaction and deletes old ones for retention.
//
// Crash safety of Replace (docs/formats/block.md): a compacted block lists
// the ids it replaces in meta.sources and is complete on disk before any
// source is deleted. Open deletes every block named in the sources of another
// intact block, so after a crash at any step either the old set (new block
// absent or damaged) or the new block is visible, never both.
//
// Thread-safety: all methods may be called concurrently. A snapshot from
// Blocks() stays valid (its readers keep the files mapped) after the blocks
// in it are replaced or deleted.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/store/block/block_meta.h"
#include "server/store/block/block_reader.h"

namespace quartet::store {

struct CatalogBlock {
  BlockMeta meta;  // meta.bytes = file size
  std::string path;
  std::shared_ptr<const BlockReader> reader;
};

// Sorted by meta.min_time_ns, then id.
using BlockList = std::vector<std::shared_ptr<const CatalogBlock>>;

// Something Open (or a later call) found and did on disk.
struct CatalogIssue {
  std::string file;
  std::string problem;  // e.g. the DataLoss message
  std::string action;   // "moved to x.blk.corrupt", "deleted: replaced by Y", ...
};

struct RetentionResult {
  std::vector<std::string> removed_ids;
  uint64_t removed_bytes = 0;
};

// Blocks of one level whose time ranges fall in one aligned window.
struct CompactionGroup {
  uint32_t level = 0;
  int64_t window_start_ns = 0;
  std::vector<std::string> ids;  // by min_time
};

class BlockCatalog {
 public:
  // Opens (creating) dir, removes unfinished *.tmp files, opens every block,
  // sets damaged ones aside and finishes interrupted compactions.
  static Result<std::unique_ptr<BlockCatalog>> Open(std::string dir);

  const std::string& dir() const { return dir_; }
  // Where a block with this id belongs: <dir>/<id>.blk. Write new blocks here.
  std::string PathFor(std::string_view id) const;

  // Adds a finished block (moved into dir when it is elsewhere on the same
  // filesystem). InvalidArgument if its id is already present; the block's
  // own DataLoss if it is damaged.
  Status Add(const std::string& path);

  // Atomically (for readers) swaps the blocks old_ids for the finished block
  // at new_path, then deletes the old files. new_path's meta.sources must
  // include every id of old_ids.
  Status Replace(std::span<const std::string> old_ids, const std::string& new_path);

  // Deletes whole blocks: those ending before now - max_age, then the oldest
  // until the total size is at most max_bytes. A zero limit is no limit.
  Result<RetentionResult> ApplyRetention(std::chrono::nanoseconds max_age, uint64_t max_bytes,
                                         int64_t now_unix_nanos);

  // Groups of at least min_blocks blocks of `level` that lie within one
  // window [k*window_ns, (k+1)*window_ns), oldest window first.
  std::vector<CompactionGroup> CompactionCandidates(uint32_t level, int64_t window_ns,
                                                    size_t min_blocks) const;

  std::shared_ptr<const BlockList> Blocks() const;
  uint64_t total_bytes() const;
  std::vector<CatalogIssue> issues() const;

 private:
  explicit BlockCatalog(std::string dir) : dir_(std::move(dir)) {}
  Result<std::shared_ptr<const CatalogBlock>> Load(const std::string& path) const;
  Result<std::shared_ptr<const CatalogBlock>> LoadIntoDir(const std::string& path);
  void Publish(BlockList blocks);  // requires mu_
  Status SyncDir() const;

  const std::string dir_;
  mutable std::mutex mu_;
  std::shared_ptr<const BlockList> blocks_;  // guarded by mu_
  std::vector<CatalogIssue> issues_;         // guarded by mu_
  std::mutex write_mu_;                      // serialises Add/Replace/ApplyRetention
};

}  // namespace quartet::store

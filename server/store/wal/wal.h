// Wal: the write-ahead log under every signal's in-memory head. Records are
// opaque byte strings; the Wal frames them with a length, a type and a masked
// CRC-32C in 32 KiB blocks (docs/formats/wal.md) across numbered segment files
// (00000001.wal, 00000002.wal, ...) in one directory it locks for itself.
//
// Durability is SyncPolicy: with the default kAlways, Append returns only
// after the record is on stable storage. Concurrent appenders are grouped
// (group commit): one thread writes everybody's records with a single write()
// and fdatasync(), so throughput grows with the number of appenders.
//
// Thread-safety: Append, AppendBatch, Rotate, RemoveSegmentsBefore, stats and
// current_segment may be called from any thread concurrently. Replay must be
// called at most once, after Open and before the first append, from one
// thread. Close (also run by the destructor) must not race with other calls.
//
//   ASSIGN_OR_RETURN(auto wal, Wal::Open({.dir = "data/wal"}));
//   WalReplayReport report;
//   RETURN_IF_ERROR(wal->Replay([&](std::string_view rec, WalPosition) {
//     return head.Apply(rec); }, &report));
//   ASSIGN_OR_RETURN(WalPosition pos, wal->Append(encoded));
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "base/status.h"
#include "server/store/wal/segment_reader.h"

namespace quartet::store {

enum class SyncPolicy {
  // fdatasync before Append returns (default): nothing acknowledged is lost,
  // on process kill or power loss. Concurrent appenders share one
  // write()+fdatasync() (group commit).
  kAlways,
  // Append returns after write(); a background thread calls fdatasync every
  // sync_interval. Nothing acknowledged is lost when the process is killed; a
  // power loss loses at most the last interval.
  kInterval,
  // Never fdatasync except at rotation and Close; the OS decides. Survives a
  // process kill, not a power loss. For tests and disposable data.
  kNever,
};

struct WalOptions {
  std::string dir;
  // A segment is closed and the next started once it reaches this size (a
  // single group larger than this still goes into one segment).
  uint64_t segment_bytes = 128 << 20;
  SyncPolicy sync = SyncPolicy::kAlways;
  std::chrono::milliseconds sync_interval{200};
};

struct WalStats {
  uint64_t bytes = 0;    // bytes written to segment files, framing included
  uint64_t records = 0;  // records appended since Open
  uint64_t syncs = 0;    // fdatasync calls
  uint64_t groups = 0;   // write() calls: one per commit group
  double avg_group_records() const {
    return groups == 0 ? 0.0 : static_cast<double>(records) / static_cast<double>(groups);
  }
};

class Wal {
 public:
  // Records larger than this are refused with InvalidArgument.
  static constexpr size_t kMaxRecordBytes = 64 << 20;

  // Opens (creating if needed) the WAL in options.dir and takes an exclusive
  // lock on it: a second Wal on the same dir, in this or another process,
  // fails with Unavailable.
  static Result<std::unique_ptr<Wal>> Open(const WalOptions& options);

  ~Wal();
  Wal(const Wal&) = delete;
  Wal& operator=(const Wal&) = delete;

  // Appends one record and returns where it starts once it is as durable as
  // the SyncPolicy promises. An I/O error is returned to every appender of
  // the group; after a failed fdatasync the Wal refuses all further appends
  // (the page cache can no longer be trusted).
  Result<WalPosition> Append(std::string_view record);

  // Appends several records as one commit (all in one segment, in order).
  Status AppendBatch(std::span<const std::string_view> records);

  // Closes the current segment (synced) and starts the next one, whose index
  // is returned: every record appended before the call is in a segment below it.
  Result<uint64_t> Rotate();

  // Deletes segment files with index < segment, never the one being written.
  // Call once everything in them is persisted elsewhere (e.g. in a block).
  Status RemoveSegmentsBefore(uint64_t segment);

  // Calls fn for every intact record of every segment, in append order. A
  // damaged stretch in the middle of a segment is reported in
  // report->corruptions and skipped; replay resumes at the next intact
  // record. A damaged tail of the last segment is reported and truncated so
  // that appends continue after the last intact record. If fn fails, replay
  // stops and returns its status. Only before the first append.
  Status Replay(const WalRecordFn& fn, WalReplayReport* report);

  WalStats stats() const;
  // The segment appends currently go to (or will go to, before the first).
  uint64_t current_segment() const;
  const std::string& dir() const { return options_.dir; }

  // Syncs and closes the current segment; later calls fail. Idempotent.
  Status Close();

 private:
  struct Writer;
  explicit Wal(const WalOptions& options);

  Status Commit(Writer* w);
  Status WriteGroup(std::span<Writer* const> group);
  Status EnsureSegment(size_t incoming_bytes);
  Status OpenSegmentForAppend(uint64_t index, bool create);
  Status SyncAndCloseSegment();
  void SyncLoop();

  const WalOptions options_;
  int lock_fd_ = -1;
  int dir_fd_ = -1;

  mutable std::mutex mu_;
  std::deque<Writer*> queue_;  // guarded by mu_; front is the leader
  WalStats stats_;             // guarded by mu_
  Status error_;               // guarded by mu_; sticky once set
  bool appended_ = false;      // guarded by mu_
  bool closed_ = false;        // guarded by mu_
  uint64_t segment_ = 0;       // guarded by mu_ (written only by the leader)
  int fd_ = -1;                // guarded by mu_ (written only by the leader)

  // Owned by the current leader (one at a time), no lock needed.
  uint64_t file_size_ = 0;
  std::string segment_path_;  // of fd_, for error messages
  uint64_t last_segment_on_disk_ = 0;
  bool replay_pending_ = false;  // Open found segments; Replay may still adopt the last
  std::string buf_;

  std::condition_variable sync_cv_;
  std::thread sync_thread_;  // kInterval only
};

// "00000042.wal" for 42.
std::string WalSegmentName(uint64_t index);

}  // namespace quartet::store

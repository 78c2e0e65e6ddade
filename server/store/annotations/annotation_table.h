// AnnotationTable: the durable AnnotationStore (server/store/interface.h).
// Annotations are few (thousands), so the table is an in-memory map backed by
// one append-only log file, <dir>/annotations.log (format:
// docs/formats/annotations.md): every create, patch and delete appends a
// checksummed record that is fsync'd before the call returns, and Open
// replays the log into memory. When the records that no longer matter
// (replaced puts, deletes) outnumber the live annotations, the log is
// rewritten with one put per live annotation (write to a temporary file,
// fsync, rename). A torn tail (a write cut short by a crash) or a damaged
// record is reported in replay_report(); every intact record is served, and
// the damaged file is kept beside the rewritten one for inspection.
//
// Thread-safety: every method may be called concurrently; one mutex
// serialises them (writes hold it across their fsync: annotations are rare).
#pragma once

#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/store/interface.h"

namespace quartet::store {

struct AnnotationTableOptions {
  std::string dir;  // created when missing
  // fsync every record before acknowledging it (off only in tests/benchmarks).
  bool sync = true;
  // The log is rewritten when dead records exceed the live annotations and
  // number at least this many.
  int64_t min_garbage_records = 128;
  // Wall clock in unix milliseconds (tests inject a fixed one).
  std::function<int64_t()> now_ms;
};

// What Open found in the log.
struct AnnotationReplayReport {
  int64_t records = 0;                // intact records replayed
  int64_t skipped_records = 0;        // damaged records skipped (checksum, content)
  int64_t dropped_bytes = 0;          // bytes not replayed (skipped records and a torn tail)
  std::vector<std::string> problems;  // "offset 1234: checksum mismatch", ...
  std::string damaged_copy;           // where the damaged file was kept, "" when intact
};

class AnnotationTable final : public AnnotationStore {
 public:
  static Result<std::unique_ptr<AnnotationTable>> Open(AnnotationTableOptions options);
  ~AnnotationTable() override;

  Result<Annotation> Create(Annotation annotation) override;
  Result<Annotation> Get(int64_t id) override;
  Result<std::vector<Annotation>> Find(const AnnotationQuery& query) override;
  Result<Annotation> Patch(int64_t id, const AnnotationPatch& patch) override;
  Status Delete(int64_t id) override;
  Result<std::vector<AnnotationTagCount>> Tags(std::string_view prefix, size_t limit) override;

  // Closes the log; later calls return Unavailable.
  Status Close();

  const AnnotationReplayReport& replay_report() const { return report_; }
  struct Stats {
    int64_t live = 0;         // annotations stored
    int64_t log_records = 0;  // records in the log file
    int64_t rewrites = 0;     // compactions since Open
  };
  Stats stats() const;

 private:
  explicit AnnotationTable(AnnotationTableOptions options);
  Status Replay();
  Status AppendLocked(const std::string& record);
  Status MaybeRewriteLocked();
  Status RewriteLocked();
  int64_t NowMs() const;

  const AnnotationTableOptions options_;
  const std::string path_;
  AnnotationReplayReport report_;

  mutable std::mutex mu_;
  int fd_ = -1;          // GUARDED_BY(mu_)
  bool broken_ = false;  // a failed append could not be undone: refuse writes
  int64_t next_id_ = 1;  // GUARDED_BY(mu_)
  int64_t log_records_ = 0;
  int64_t rewrites_ = 0;
  std::map<int64_t, Annotation> live_;  // GUARDED_BY(mu_)
};

}  // namespace quartet::store

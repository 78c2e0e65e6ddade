// CpuAggregate: CPU samples folded into (stack, span) -> count, and the pprof
// profile made from them (samples/count and cpu/nanoseconds, span_id and
// span_name labels, demangled function names, one mapping per executable
// segment with its build id). The number of distinct (stack, span) keys is
// bounded; samples of new keys past the bound are counted, not kept.
//
// Thread-safety: none; the profiler guards each aggregate.
#pragma once

#include <cstdint>
#include <string>
#include <unordered_map>

#include "sdk/profile/sample_queue.h"
#include "sdk/profile/symbolizer.h"
#include "wire/pprof/profile.h"

namespace quartet::profile_internal {

class CpuAggregate {
 public:
  explicit CpuAggregate(size_t max_keys = 50000) : max_keys_(max_keys) {}

  void Add(const RawSample& sample);
  // Folds `other` in (same bound).
  void Merge(const CpuAggregate& other);
  void Clear() {
    counts_.clear();
    total_ = 0;
    dropped_ = 0;
  }

  bool empty() const { return counts_.empty(); }
  int64_t total() const { return total_; }      // samples kept (by weight)
  int64_t dropped() const { return dropped_; }  // samples over the key bound

  // The profile of these samples taken at `hz`, covering
  // [start_unix_nanos, end_unix_nanos).
  pprof::Profile ToProfile(Symbolizer* symbolizer, int hz, int64_t start_unix_nanos,
                           int64_t end_unix_nanos) const;

 private:
  void AddKey(const std::string& key, int64_t count);

  size_t max_keys_;
  // Key: has_span (1) | span_id (8) | name length (1) | name | pcs (8 each).
  std::unordered_map<std::string, int64_t> counts_;
  int64_t total_ = 0;
  int64_t dropped_ = 0;
};

}  // namespace quartet::profile_internal

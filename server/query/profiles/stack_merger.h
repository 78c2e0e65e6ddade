// StackMerger: merges the samples of many pprof profiles into one set of
// distinct call stacks with summed values (MergedStacks), the form every
// profile query starts from (flame graphs, top functions, diffs, pprof
// export). Frames are function names resolved through pprof's
// location -> line -> function -> string tables, inline frames expanded (one
// frame per line of a location, outermost caller first), and locations
// without symbols named by their address ("0x4012ab").
//
// Speed matters (an hour of 10 s CPU profiles is 360 profiles): names are
// interned once per function per profile, each location is resolved to its
// frame ids once per profile, and stacks are aggregated in an open-addressing
// hash table keyed by their frame ids, so a sample costs one hash of its
// stack and no allocation.
//
// Thread-safety: none; one merger per query. MergedStacks is a plain value.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/store/interface.h"
#include "wire/pprof/profile.h"

namespace quartet::profiles {

// Which samples a query counts: every sample, or (when label_key is set) the
// samples carrying a string label `label_key` whose value is one of
// `values`, compared ASCII case-insensitively (span ids in hex are written
// in either case). "The profile of this span / this trace" is the filter
// span_id in {its span ids}.
struct SampleFilter {
  std::string label_key;
  std::vector<std::string> values;
  bool active() const { return !label_key.empty(); }
};

// Distinct stacks with summed values. Stack frames are indexes into `names`,
// root (outermost caller) first.
struct MergedStacks {
  struct Stack {
    uint32_t offset = 0;  // into `frames`
    uint32_t depth = 0;
    int64_t value = 0;
  };
  std::vector<std::string> names;
  std::vector<uint32_t> frames;
  std::vector<Stack> stacks;
  int64_t total = 0;  // sum of every stack's value

  std::span<const uint32_t> FramesOf(const Stack& s) const {
    return std::span<const uint32_t>(frames.data() + s.offset, s.depth);
  }
};

class StackMerger {
 public:
  // Counts value[value_index] of each sample (profiles from the store hold
  // one sample type, index 0) for the samples `filter` accepts.
  explicit StackMerger(SampleFilter filter = {}, size_t value_index = 0);

  // Adds the accepted samples of `profile`; returns the sum of their values.
  // Samples with a zero value or without value_index are skipped.
  int64_t Add(const pprof::Profile& profile);

  // Adds the accepted samples of every profile of `batch` (profiles sharing
  // the store's symbols): values are summed per stack id first, each stack
  // touched is then resolved to frame ids and each location named and
  // interned once, so a sample costs one addition. `on_profile` (may be empty) gets each profile
  // with the sum of its accepted samples. The result equals Add() of each profile.
  using BatchRowFn = std::function<void(const store::ProfileBatchRow&, int64_t sum)>;
  void AddBatch(const store::ProfileBatch& batch, const BatchRowFn& on_profile = nullptr);

  // Adds one stack (root first, by name) with `value`; for tests and for
  // formats that carry stacks as text (folded lines).
  void AddStack(std::span<const std::string_view> root_first, int64_t value);

  const MergedStacks& stacks() const { return merged_; }
  MergedStacks Release() { return std::move(merged_); }

 private:
  uint32_t Intern(std::string_view name);
  void AddFrames(std::span<const uint32_t> frames, int64_t value);
  void Grow();

  void GrowNames();

  SampleFilter filter_;
  size_t value_index_;
  MergedStacks merged_;
  // Name interning, open addressing like the stacks: a flat table of
  // (hash, name id + 1), probed without touching the strings until a hash
  // matches (a node-based map cost half the merge time in profiles).
  std::vector<std::pair<uint64_t, uint32_t>> name_slots_;
  // Open addressing: slot holds stack index + 1 (0 = empty); hashes_ holds
  // each stack's hash so that growing does not rehash frames.
  std::vector<uint32_t> slots_;
  std::vector<uint64_t> hashes_;
  // Per-profile scratch, kept to reuse its capacity.
  std::vector<uint32_t> scratch_;
  std::vector<uint32_t> loc_frames_;
  std::vector<std::pair<uint32_t, uint32_t>> loc_span_;  // inlined frames: offset, count
  // Per-batch scratch: sums by stack id (unsigned: hostile values wrap
  // instead of overflowing), which stacks were hit, their frame names.
  std::vector<uint64_t> batch_sums_;
  std::vector<uint8_t> batch_seen_;
  std::vector<uint32_t> batch_touched_;
  std::vector<uint32_t> batch_loc_entry_;
  std::vector<std::string_view> batch_names_;
};

}  // namespace quartet::profiles

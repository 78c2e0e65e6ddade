// SeriesIndex: the inverted index of one head or block of the metric table.
// It interns label names and values once (SymbolTable), gives each distinct
// label set a dense series id (hash + exact compare), keeps postings (sorted
// series ids) per (name, value) pair, and answers Prometheus selectors:
// =, !=, =~, !~ with RE2 full-match semantics, where a series without a label
// matches as if it had the empty value: {a=""} selects series without `a`,
// {a!=""} series that have it, {a=~"x|"} both series with a="x" and without a.
//
// Thread-safety: none. The owner (MetricHead, MetricBlock) guards it; const
// methods may run concurrently with each other.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "server/store/interface.h"

namespace quartet::store {

// Distinct strings, each stored once, with dense ids in first-seen order.
class SymbolTable {
 public:
  uint32_t Intern(std::string_view s);
  std::optional<uint32_t> Find(std::string_view s) const;
  std::string_view Get(uint32_t id) const { return views_[id]; }
  size_t size() const { return strings_.size(); }
  size_t MemoryBytes() const { return bytes_; }

 private:
  std::deque<std::string> strings_;  // stable: the map holds views into it
  // The same as views: Get is one load, not a deque's block lookup and a
  // string's data pointer (every lookup of a known series compares its
  // labels through Get).
  std::vector<std::string_view> views_;
  std::unordered_map<std::string_view, uint32_t> ids_;
  size_t bytes_ = 0;
};

class SeriesIndex {
 public:
  // The id of `labels` (sorted by name, names unique, as Labels promises),
  // adding it if new; `created` tells which.
  uint32_t GetOrAdd(const Labels& labels, bool* created);
  std::optional<uint32_t> Find(const Labels& labels) const;
  // The same for borrowed label bytes (remote_write's known series).
  std::optional<uint32_t> FindRefs(std::span<const LabelRef> labels) const;
  // The same with `hash` = HashLabels(labels) computed by the caller: a batch
  // hashes its series first and prefetches their slots and entries a few
  // series ahead (PrefetchSlot, then PrefetchEntry), so that the cache
  // misses of one lookup overlap those of the next instead of adding up.
  std::optional<uint32_t> FindRefs(std::span<const LabelRef> labels, uint64_t hash) const;
  void PrefetchSlot(uint64_t hash) const;
  // Reads the first slot (prefetched earlier) and prefetches its series'
  // hash and labels.
  void PrefetchEntry(uint64_t hash) const;
  size_t size() const { return offsets_.size() - 1; }

  Labels LabelsOf(uint32_t id) const;
  // Calls fn(name, value) for each label of series `id`, in name order.
  void ForEachLabel(uint32_t id,
                    const std::function<void(std::string_view, std::string_view)>& fn) const;
  // The value of label `name` of series `id`, "" when absent.
  std::string_view ValueOf(uint32_t id, std::string_view name) const;

  // Ids of the series matching every matcher, ascending. InvalidArgument
  // names a matcher whose regex does not compile. No matchers: every series.
  Result<std::vector<uint32_t>> Select(const std::vector<LabelMatch>& matchers) const;

  // Sorted ids of the series that have label `name` = `value`.
  std::span<const uint32_t> Postings(std::string_view name, std::string_view value) const;
  // Every value of `name` (unsorted) with its postings.
  void ForEachValue(
      std::string_view name,
      const std::function<void(std::string_view, std::span<const uint32_t>)>& fn) const;

  size_t MemoryBytes() const;

 private:
  struct NameEntry {
    std::unordered_map<uint32_t, std::vector<uint32_t>> postings;  // value symbol -> ids
  };
  template <typename L>
  bool Equal(uint32_t id, const L& labels) const;
  template <typename L>
  std::optional<uint32_t> FindHashed(uint64_t h, const L& labels) const;
  void InsertSlot(uint64_t h, uint32_t id);
  std::vector<uint32_t> AllIds() const;
  std::vector<uint32_t> UnionOf(uint32_t name,
                                const std::function<bool(std::string_view)>& keep) const;

  SymbolTable symbols_;
  std::vector<uint32_t> label_syms_;     // name, value, name, value, ... of every series
  std::vector<uint32_t> offsets_ = {0};  // series i: label_syms_[offsets_[i], offsets_[i+1])
  // Series ids by label-set hash: open addressing with linear probing over a
  // power-of-two table of id + 1 (0 = empty), at most half full. A node-based
  // multimap cost ~40 bytes and a cache miss or two per lookup, and every
  // remote_write sample looks its series up here.
  std::vector<uint64_t> hashes_;  // series i: HashLabels of its labels
  std::vector<uint32_t> slots_;
  std::unordered_map<uint32_t, NameEntry> names_;  // name symbol -> postings
  size_t postings_entries_ = 0;
};

// 64-bit hash of a label set (names and values, order-sensitive); the
// same for a set given by reference. Seeded per process (hashes live in
// memory only), so that a sender cannot choose label sets that collide.
uint64_t HashLabels(const Labels& labels);
uint64_t HashLabels(std::span<const LabelRef> labels);

// Sorted-set helpers over ascending id lists.
std::vector<uint32_t> IntersectSorted(std::span<const uint32_t> a, std::span<const uint32_t> b);
std::vector<uint32_t> SubtractSorted(std::span<const uint32_t> a, std::span<const uint32_t> b);

}  // namespace quartet::store

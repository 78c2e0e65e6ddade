// SearchCache: a bounded, shared cache of the span columns that trace
// searches read again and again — the decoded search family of a row group
// (names, resources, statuses, durations, in narrow integer types) and the
// numeric values of one span attribute key over a row group — so that a
// query does not decompress and decode every row group of every block anew.
// Entries are charged their approximate heap bytes against a byte budget;
// the least recently used go first. An entry larger than the whole budget is
// handed to its caller but not kept. A budget of 0 disables caching.
//
// Thread-safety: all methods may be called concurrently. Entries are
// immutable and shared (shared_ptr<const>): eviction never invalidates an
// entry a query still holds.
#pragma once

#include <cstdint>
#include <functional>
#include <list>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "base/status.h"
#include "server/store/block/column.h"

namespace quartet::store {

// Ids that fit 16 bits are kept in 16 bits (most row groups: a few hundred
// span names, a few resources); the others in 32.
class NarrowIds {
 public:
  NarrowIds() = default;
  explicit NarrowIds(const std::vector<uint32_t>& ids);
  uint32_t operator[](size_t i) const { return wide_.empty() ? narrow_[i] : wide_[i]; }
  size_t size() const { return wide_.empty() ? narrow_.size() : wide_.size(); }
  size_t bytes() const { return narrow_.capacity() * 2 + wide_.capacity() * 4; }

 private:
  std::vector<uint16_t> narrow_;
  std::vector<uint32_t> wide_;
};

// The search family of one row group, as filters read it.
struct CachedSearchColumns {
  std::optional<StringDictionary> dict;  // names, status messages, trace states, attribute keys
  NarrowIds name, resource;
  std::vector<uint8_t> status;  // status code, 255 for any code above 254
  std::vector<int64_t> duration;
  size_t bytes() const;
};

// The value of the first occurrence of one attribute key on each span of a
// row group, when it is an int or a double (what numeric comparisons read,
// as doubles, exactly as trace_filter.cc's SpanMatches compares them).
// Ints that fit 32 bits are kept in 32 bits.
class CachedNumericColumn {
 public:
  // values[i] is span i's value; present[i] == 0 when it has none.
  CachedNumericColumn(const std::vector<double>& values, const std::vector<uint8_t>& present,
                      bool all_int32);
  bool present(size_t i) const { return ints_.empty() ? present_[i] != 0 : ints_[i] != kAbsent; }
  double value(size_t i) const {
    return ints_.empty() ? doubles_[i] : static_cast<double>(ints_[i]);
  }
  size_t size() const { return ints_.empty() ? doubles_.size() : ints_.size(); }
  size_t bytes() const { return ints_.capacity() * 4 + doubles_.capacity() * 8 + present_.size(); }

 private:
  static constexpr int32_t kAbsent = INT32_MIN;  // all_int32 excludes INT32_MIN as a value
  std::vector<int32_t> ints_;
  std::vector<double> doubles_;
  std::vector<uint8_t> present_;
};

struct SearchCacheStats {
  size_t bytes = 0;  // charged to the budget now
  size_t entries = 0;
  int64_t hits = 0;
  int64_t misses = 0;
  int64_t evictions = 0;
};

class SearchCache {
 public:
  explicit SearchCache(size_t budget_bytes) : budget_(budget_bytes) {}
  SearchCache(const SearchCache&) = delete;
  SearchCache& operator=(const SearchCache&) = delete;

  // The entry under `key`, or else what `load` returns, kept when it fits.
  // Concurrent misses on one key may both load; the first stored wins.
  // Errors from `load` are returned and nothing is cached.
  Result<std::shared_ptr<const CachedSearchColumns>> GetSearch(
      const std::string& key,
      const std::function<Result<std::shared_ptr<const CachedSearchColumns>>()>& load);
  Result<std::shared_ptr<const CachedNumericColumn>> GetNumeric(
      const std::string& key,
      const std::function<Result<std::shared_ptr<const CachedNumericColumn>>()>& load);

  // Drops every entry whose key starts with `prefix` (a removed block's).
  void EraseWithPrefix(std::string_view prefix);

  size_t budget_bytes() const { return budget_; }
  SearchCacheStats stats() const;

 private:
  struct Entry {
    std::string key;
    std::shared_ptr<const void> value;
    size_t bytes;
  };
  std::shared_ptr<const void> Lookup(const std::string& key);
  // Stores value (unless an entry for key appeared meanwhile: returns that).
  std::shared_ptr<const void> Insert(const std::string& key, std::shared_ptr<const void> value,
                                     size_t bytes);

  const size_t budget_;
  mutable std::mutex mu_;
  std::list<Entry> lru_;  // most recently used first; guarded by mu_
  std::unordered_map<std::string, std::list<Entry>::iterator> index_;  // guarded by mu_
  size_t bytes_ = 0;                                                   // guarded by mu_
  int64_t hits_ = 0, misses_ = 0, evictions_ = 0;                      // guarded by mu_
};

}  // namespace quartet::store

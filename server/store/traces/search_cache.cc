#include "server/store/traces/search_cache.h"

#include <algorithm>

namespace quartet::store {

NarrowIds::NarrowIds(const std::vector<uint32_t>& ids) {
  if (std::all_of(ids.begin(), ids.end(), [](uint32_t v) { return v <= UINT16_MAX; })) {
    narrow_.assign(ids.begin(), ids.end());
  } else {
    wide_ = ids;
  }
}

size_t CachedSearchColumns::bytes() const {
  // The dictionary: its strings and hash index, roughly 64 bytes an entry.
  const size_t dict_bytes = dict ? dict->size() * 64 : 0;
  return sizeof(*this) + dict_bytes + name.bytes() + resource.bytes() + status.capacity() +
         duration.capacity() * 8;
}

CachedNumericColumn::CachedNumericColumn(const std::vector<double>& values,
                                         const std::vector<uint8_t>& present, bool all_int32) {
  if (all_int32) {
    ints_.resize(values.size());
    for (size_t i = 0; i < values.size(); ++i) {
      ints_[i] = present[i] ? static_cast<int32_t>(values[i]) : kAbsent;
    }
  } else {
    doubles_ = values;
    present_ = present;
  }
}

std::shared_ptr<const void> SearchCache::Lookup(const std::string& key) {
  std::lock_guard lock(mu_);
  auto it = index_.find(key);
  if (it == index_.end()) {
    ++misses_;
    return nullptr;
  }
  ++hits_;
  lru_.splice(lru_.begin(), lru_, it->second);
  return it->second->value;
}

std::shared_ptr<const void> SearchCache::Insert(const std::string& key,
                                                std::shared_ptr<const void> value, size_t bytes) {
  bytes += key.size() + sizeof(Entry) + 64;  // the key, list node and index slot
  if (bytes > budget_) return value;
  std::lock_guard lock(mu_);
  if (auto it = index_.find(key); it != index_.end()) return it->second->value;
  while (bytes_ + bytes > budget_ && !lru_.empty()) {
    bytes_ -= lru_.back().bytes;
    index_.erase(lru_.back().key);
    lru_.pop_back();
    ++evictions_;
  }
  lru_.push_front(Entry{key, value, bytes});
  index_.emplace(key, lru_.begin());
  bytes_ += bytes;
  return value;
}

Result<std::shared_ptr<const CachedSearchColumns>> SearchCache::GetSearch(
    const std::string& key,
    const std::function<Result<std::shared_ptr<const CachedSearchColumns>>()>& load) {
  if (auto hit = Lookup(key)) return std::static_pointer_cast<const CachedSearchColumns>(hit);
  ASSIGN_OR_RETURN(std::shared_ptr<const CachedSearchColumns> value, load());
  const size_t bytes = value->bytes();
  return std::static_pointer_cast<const CachedSearchColumns>(Insert(key, std::move(value), bytes));
}

Result<std::shared_ptr<const CachedNumericColumn>> SearchCache::GetNumeric(
    const std::string& key,
    const std::function<Result<std::shared_ptr<const CachedNumericColumn>>()>& load) {
  if (auto hit = Lookup(key)) return std::static_pointer_cast<const CachedNumericColumn>(hit);
  ASSIGN_OR_RETURN(std::shared_ptr<const CachedNumericColumn> value, load());
  const size_t bytes = value->bytes();
  return std::static_pointer_cast<const CachedNumericColumn>(Insert(key, std::move(value), bytes));
}

void SearchCache::EraseWithPrefix(std::string_view prefix) {
  std::lock_guard lock(mu_);
  for (auto it = lru_.begin(); it != lru_.end();) {
    if (std::string_view(it->key).substr(0, prefix.size()) == prefix) {
      bytes_ -= it->bytes;
      index_.erase(it->key);
      it = lru_.erase(it);
    } else {
      ++it;
    }
  }
}

SearchCacheStats SearchCache::stats() const {
  std::lock_guard lock(mu_);
  return {bytes_, lru_.size(), hits_, misses_, evictions_};
}

}  // namespace quartet::store

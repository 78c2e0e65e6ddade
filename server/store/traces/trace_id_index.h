// TraceIdIndex: an open-addressing hash index from trace id to a uint32_t
// (an index into the owner's storage), for the head's per-span lookup. The
// ids sit in the slots, so a lookup of a random id touches one cache line
// instead of a bucket array and a node, and inserting allocates nothing but
// the occasional doubling. Linear probing at a load of at most one half;
// ids are hashed with TraceIdHash (seeded, both halves mixed), so hostile
// ids do not cluster. No removal: heads are dropped whole.
//
// Thread-safety: none; the owner serialises access.
#pragma once

#include <cstddef>
#include <cstdint>
#include <utility>
#include <vector>

#include "quartet/context.h"
#include "server/store/traces/trace_id_hash.h"

namespace quartet::store {

class TraceIdIndex {
 public:
  static constexpr uint32_t kAbsent = UINT32_MAX;

  // The value stored for `id`, or kAbsent.
  uint32_t Find(const TraceId& id) const {
    if (slots_.empty()) return kAbsent;
    const size_t mask = slots_.size() - 1;
    for (size_t i = TraceIdHash()(id) & mask;; i = (i + 1) & mask) {
      const Slot& slot = slots_[i];
      if (slot.value == kAbsent) return kAbsent;
      if (slot.id == id) return slot.value;
    }
  }

  // The value stored for `id`, and false; or, when `id` is absent, stores
  // `value` (not kAbsent) for it and returns it and true.
  std::pair<uint32_t, bool> Insert(const TraceId& id, uint32_t value) {
    if ((size_ + 1) * 2 > slots_.size()) Grow();
    const size_t mask = slots_.size() - 1;
    for (size_t i = TraceIdHash()(id) & mask;; i = (i + 1) & mask) {
      Slot& slot = slots_[i];
      if (slot.value == kAbsent) {
        slot.id = id;
        slot.value = value;
        ++size_;
        return {value, true};
      }
      if (slot.id == id) return {slot.value, false};
    }
  }

  size_t size() const { return size_; }
  // Memory held by the slots.
  size_t bytes() const { return slots_.capacity() * sizeof(Slot); }

 private:
  struct Slot {
    TraceId id;
    uint32_t value = kAbsent;
  };

  void Grow() {
    std::vector<Slot> old = std::move(slots_);
    slots_.assign(old.empty() ? 64 : old.size() * 2, Slot{});
    const size_t mask = slots_.size() - 1;
    for (const Slot& s : old) {
      if (s.value == kAbsent) continue;
      size_t i = TraceIdHash()(s.id) & mask;
      while (slots_[i].value != kAbsent) i = (i + 1) & mask;
      slots_[i] = s;
    }
  }

  std::vector<Slot> slots_;  // a power of two long; value kAbsent marks a free slot
  size_t size_ = 0;
};

}  // namespace quartet::store

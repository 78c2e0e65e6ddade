#include "server/store/logs/log_trace_index.h"

#include <algorithm>

#include "server/store/traces/trace_id_hash.h"

namespace quartet::store {

void LogTraceIndex::Add(const TraceId& trace_id, uint32_t index) {
  if ((used_ + 1) * 4 > slots_.size() * 3) Grow();
  const size_t mask = slots_.size() - 1;
  size_t at = TraceIdHash{}(trace_id)&mask;
  while (slots_[at].count != 0 && slots_[at].id != trace_id) at = (at + 1) & mask;
  Slot& slot = slots_[at];
  if (slot.count == 0) {
    slot.id = trace_id;
    ++used_;
  }
  if (previous_.size() <= index) previous_.resize(size_t{index} + 1, kNone);
  previous_[index] = slot.newest;
  slot.newest = index;
  ++slot.count;
}

void LogTraceIndex::Prefetch(const TraceId& trace_id) const {
  if (slots_.empty()) return;
  __builtin_prefetch(&slots_[TraceIdHash{}(trace_id) & (slots_.size() - 1)]);
}

const LogTraceIndex::Slot* LogTraceIndex::Find(const TraceId& trace_id) const {
  if (slots_.empty()) return nullptr;
  const size_t mask = slots_.size() - 1;
  for (size_t at = TraceIdHash{}(trace_id)&mask;; at = (at + 1) & mask) {
    if (slots_[at].count == 0) return nullptr;
    if (slots_[at].id == trace_id) return &slots_[at];
  }
}

std::vector<uint32_t> LogTraceIndex::Entries(const TraceId& trace_id) const {
  std::vector<uint32_t> out;
  const Slot* slot = Find(trace_id);
  if (slot == nullptr) return out;
  out.reserve(slot->count);
  for (uint32_t i = slot->newest; i != kNone; i = previous_[i]) out.push_back(i);
  std::reverse(out.begin(), out.end());
  return out;
}

int64_t LogTraceIndex::Count(const TraceId& trace_id) const {
  const Slot* slot = Find(trace_id);
  return slot == nullptr ? 0 : slot->count;
}

size_t LogTraceIndex::bytes() const {
  return slots_.capacity() * sizeof(Slot) + previous_.capacity() * sizeof(uint32_t);
}

void LogTraceIndex::Grow() {
  std::vector<Slot> old = std::move(slots_);
  slots_.assign(old.empty() ? 1024 : old.size() * 2, Slot{});
  const size_t mask = slots_.size() - 1;
  for (const Slot& s : old) {
    if (s.count == 0) continue;
    size_t at = TraceIdHash{}(s.id) & mask;
    while (slots_[at].count != 0) at = (at + 1) & mask;
    slots_[at] = s;
  }
}

}  // namespace quartet::store

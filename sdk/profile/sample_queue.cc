#include "sdk/profile/sample_queue.h"

#include <cstring>

namespace quartet::profile_internal {

SampleQueue::SampleQueue(size_t capacity) {
  size_t n = 1;
  while (n < capacity) n <<= 1;
  mask_ = n - 1;
  slots_ = std::make_unique<Slot[]>(n);
  for (size_t i = 0; i < n; ++i) slots_[i].sequence.store(i, std::memory_order_relaxed);
}

bool SampleQueue::TryPush(const RawSample& sample) noexcept {
  uint64_t pos = head_.load(std::memory_order_relaxed);
  for (;;) {
    Slot& slot = slots_[pos & mask_];
    uint64_t seq = slot.sequence.load(std::memory_order_acquire);
    int64_t diff = static_cast<int64_t>(seq) - static_cast<int64_t>(pos);
    if (diff == 0) {
      if (head_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        // Copy only the frames in use: a sample is mostly empty pcs.
        RawSample& dst = slot.sample;
        dst.depth = sample.depth;
        dst.weight = sample.weight;
        dst.span_name_len = sample.span_name_len;
        dst.has_span = sample.has_span;
        std::memcpy(dst.span_id, sample.span_id, sizeof(dst.span_id));
        std::memcpy(dst.span_name, sample.span_name, sample.span_name_len);
        std::memcpy(dst.pcs, sample.pcs, sample.depth * sizeof(uintptr_t));
        slot.sequence.store(pos + 1, std::memory_order_release);
        return true;
      }
      // pos was reloaded by the failed CAS.
    } else if (diff < 0) {
      return false;  // the consumer has not freed this slot: full
    } else {
      pos = head_.load(std::memory_order_relaxed);
    }
  }
}

bool SampleQueue::TryPop(RawSample* out) noexcept {
  Slot& slot = slots_[tail_ & mask_];
  uint64_t seq = slot.sequence.load(std::memory_order_acquire);
  if (seq != tail_ + 1) return false;  // not yet published
  const RawSample& src = slot.sample;
  out->depth = src.depth;
  out->weight = src.weight;
  out->span_name_len = src.span_name_len;
  out->has_span = src.has_span;
  std::memcpy(out->span_id, src.span_id, sizeof(out->span_id));
  std::memcpy(out->span_name, src.span_name, src.span_name_len);
  std::memcpy(out->pcs, src.pcs, src.depth * sizeof(uintptr_t));
  slot.sequence.store(tail_ + mask_ + 1, std::memory_order_release);
  ++tail_;
  return true;
}

}  // namespace quartet::profile_internal

#include "sdk/metrics/exemplar.h"

#include <bit>
#include <cstring>
#include <ctime>

#include "sdk/context/current.h"

namespace quartet::metrics_internal {

void ExemplarSlot::RecordFromFrame(const context_internal::Frame* frame, double value) noexcept {
  if (frame == nullptr || frame->span == nullptr) return;
  const SpanContext& span = *frame->span;
  if (!span.sampled() || !span.valid()) return;
  // The coarse clock (a few ms resolution) costs a fraction of the precise
  // one, and an exemplar's time only has to place it on a chart.
  timespec ts;
  clock_gettime(CLOCK_REALTIME_COARSE, &ts);
  Record(span, value, int64_t{ts.tv_sec} * 1'000'000'000 + ts.tv_nsec);
}

void ExemplarSlot::Record(const SpanContext& span, double value, int64_t unix_nanos) noexcept {
  uint64_t s = seq_.load(std::memory_order_relaxed);
  if ((s & 1) != 0) return;  // another writer is inside: skip, latest wins anyway
  if (!seq_.compare_exchange_strong(s, s + 1, std::memory_order_acquire)) return;
  // Release stores (plain moves on x86): a reader that sees any of them also
  // sees the odd sequence number when it re-reads it, and retries.
  uint64_t w[3];
  std::memcpy(&w[0], span.trace_id.bytes.data(), 16);
  std::memcpy(&w[2], span.span_id.bytes.data(), 8);
  words_[0].store(w[0], std::memory_order_release);
  words_[1].store(w[1], std::memory_order_release);
  words_[2].store(w[2], std::memory_order_release);
  words_[3].store(std::bit_cast<uint64_t>(value), std::memory_order_release);
  words_[4].store(static_cast<uint64_t>(unix_nanos), std::memory_order_release);
  seq_.store(s + 2, std::memory_order_release);
}

bool ExemplarSlot::Read(ExemplarValue* out) const noexcept {
  for (int attempt = 0; attempt < 4; ++attempt) {
    uint64_t s1 = seq_.load(std::memory_order_acquire);
    if (s1 == 0) return false;
    if ((s1 & 1) != 0) continue;
    uint64_t w[5];
    for (int i = 0; i < 5; ++i) w[i] = words_[i].load(std::memory_order_acquire);
    if (seq_.load(std::memory_order_relaxed) != s1) continue;
    std::memcpy(out->trace_id.bytes.data(), &w[0], 16);
    std::memcpy(out->span_id.bytes.data(), &w[2], 8);
    out->value = std::bit_cast<double>(w[3]);
    out->unix_nanos = static_cast<int64_t>(w[4]);
    return true;
  }
  return false;
}

}  // namespace quartet::metrics_internal

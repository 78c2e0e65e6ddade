// SampleQueue: the bounded, lock-free hand-off from the CPU profiler's signal
// handler (many producers: whichever thread the timer interrupted) to its
// aggregator thread (one consumer). Slots are fixed-size RawSamples in a
// preallocated ring; each slot carries a sequence number (Vyukov's bounded
// queue), so a producer claims a slot with one CAS and publishes it with one
// release store. Nothing allocates, nothing blocks: when the ring is full the
// sample is dropped and counted, which is what a signal handler must do.
//
// Thread-safety: TryPush is async-signal-safe and may run concurrently on any
// number of threads (std::atomic<uint64_t> is lock-free on every target we
// build for, checked below); TryPop must be called by one thread at a time.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>

namespace quartet::profile_internal {

inline constexpr int kMaxFrames = 64;
inline constexpr int kMaxSpanName = 64;

// One stack sample as the signal handler captured it.
struct RawSample {
  uint32_t depth = 0;          // frames used in pcs, leaf first
  uint32_t weight = 1;         // timer periods this sample stands for (1 + overruns)
  uint32_t span_name_len = 0;  // bytes used in span_name
  bool has_span = false;       // a sampled span was current
  uint8_t span_id[8] = {};
  char span_name[kMaxSpanName] = {};
  uintptr_t pcs[kMaxFrames] = {};  // instruction addresses (return addresses already -1)
};

class SampleQueue {
 public:
  // `capacity` is rounded up to a power of two.
  explicit SampleQueue(size_t capacity);

  // Copies `sample` into the ring; false (and nothing written) when full.
  bool TryPush(const RawSample& sample) noexcept;
  // Moves the oldest published sample into *out; false when none is ready.
  bool TryPop(RawSample* out) noexcept;

  size_t capacity() const { return mask_ + 1; }

 private:
  struct Slot {
    std::atomic<uint64_t> sequence;
    RawSample sample;
  };
  static_assert(std::atomic<uint64_t>::is_always_lock_free,
                "the signal handler needs lock-free atomics");

  size_t mask_;
  std::unique_ptr<Slot[]> slots_;
  alignas(64) std::atomic<uint64_t> head_{0};  // next slot producers claim
  alignas(64) uint64_t tail_ = 0;              // next slot the consumer reads
};

}  // namespace quartet::profile_internal

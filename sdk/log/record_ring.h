// RecordRing: the bounded buffer between logging threads and the pipeline's
// writer thread, plus the compact binary encoding of a captured record.
//
// The ring is a fixed array of cache-line-aligned slots with per-slot
// sequence numbers (Vyukov's bounded queue): any number of producers claim a
// slot with one CAS, fill it, and publish it with a release store; the single
// consumer reads slots in order. A record that does not fit a slot's inline
// bytes is spilled to one heap block owned by the slot. Memory is bounded by
// capacity * kSlotBytes plus spilled records in flight.
//
// Thread-safety: TryClaim/Publish from any thread; Front/PopFront/consumed
// from the one consumer thread only.
#pragma once

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "quartet/context.h"
#include "quartet/log.h"
#include "sdk/log/bound_attrs.h"

namespace quartet::log_internal {

// The fixed part of a captured record; memcpy'd, so plain data only.
struct RecordHeader {
  int64_t time_unix_nano = 0;
  TraceId trace_id;
  SpanId span_id;
  uint32_t message_len = 0;
  uint32_t request_id_len = 0;
  uint16_t attr_count = 0;
  LogLevel level = LogLevel::kInfo;
  uint8_t has_span = 0;
  uint8_t trace_flags = 0;
};

inline constexpr size_t kMaxStringBytes = 64 * 1024;  // longer strings are truncated
inline constexpr size_t kMaxAttrs = 64;               // more attributes are ignored

// Bytes EncodeRecord will write for these parts (after truncation).
size_t EncodedSize(std::string_view message, std::string_view request_id,
                   std::span<const LogAttr> attrs) noexcept;
// Writes the record to out (EncodedSize bytes); h's lengths are filled in.
void EncodeRecord(RecordHeader h, std::string_view message, std::string_view request_id,
                  std::span<const LogAttr> attrs, char* out) noexcept;

struct DecodedRecord {
  RecordHeader header;
  std::string_view message;
  std::string_view request_id;
};
// Reads a record written by EncodeRecord; attrs' strings point into data.
void DecodeRecord(const char* data, DecodedRecord* out, std::vector<LogAttr>* attrs);

class RecordRing {
 public:
  static constexpr size_t kSlotBytes = 384;

  struct alignas(64) Slot {
    std::atomic<uint64_t> seq{0};
    uint64_t pos = 0;
    char* heap = nullptr;  // new[]'d when the record did not fit inline
    std::shared_ptr<const BoundAttrs> bound;
    char inline_data[kSlotBytes - 48];
    char* data() { return heap != nullptr ? heap : inline_data; }
  };
  static_assert(sizeof(Slot) == kSlotBytes);
  static constexpr size_t kInlineBytes = sizeof(Slot::inline_data);

  // Capacity is min_capacity rounded up to a power of two (at least 2).
  explicit RecordRing(size_t min_capacity);
  size_t capacity() const { return mask_ + 1; }

  // A free slot reserved for the caller, or null when the ring is full.
  Slot* TryClaim() noexcept;
  // Hands a claimed, filled slot to the consumer.
  void Publish(Slot* slot) noexcept { slot->seq.store(slot->pos + 1, std::memory_order_release); }
  // Records claimed so far (published or in flight).
  uint64_t claimed() const noexcept { return enqueue_pos_.load(std::memory_order_acquire); }

  // Consumer: the oldest published slot, or null.
  Slot* Front() noexcept {
    Slot* s = &slots_[dequeue_pos_ & mask_];
    return s->seq.load(std::memory_order_acquire) == dequeue_pos_ + 1 ? s : nullptr;
  }
  // Consumer: frees Front() (its heap block and bound reference included).
  void PopFront() noexcept;
  uint64_t consumed() const noexcept { return dequeue_pos_; }

 private:
  std::unique_ptr<Slot[]> slots_;
  size_t mask_;
  alignas(64) std::atomic<uint64_t> enqueue_pos_{0};
  alignas(64) uint64_t dequeue_pos_ = 0;
};

}  // namespace quartet::log_internal

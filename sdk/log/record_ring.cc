#include "sdk/log/record_ring.h"

#include <cstring>

#include "sdk/log/log_line.h"

namespace quartet::log_internal {
namespace {

std::string_view Clip(std::string_view s) { return s.substr(0, kMaxStringBytes); }

char* Put(char* p, const void* src, size_t n) {
  if (n != 0) std::memcpy(p, src, n);  // an empty string_view may hold null
  return p + n;
}

}  // namespace

size_t EncodedSize(std::string_view message, std::string_view request_id,
                   std::span<const LogAttr> attrs) noexcept {
  size_t n = sizeof(RecordHeader) + Clip(message).size() + Clip(request_id).size();
  const size_t count = attrs.size() < kMaxAttrs ? attrs.size() : kMaxAttrs;
  for (size_t i = 0; i < count; ++i) {
    const LogAttr& a = attrs[i];
    n += 1 + 4 + Clip(a.key()).size();
    n += a.type() == LogAttr::Type::kString ? 4 + Clip(a.string_value()).size() : 8;
  }
  return n;
}

void EncodeRecord(RecordHeader h, std::string_view message, std::string_view request_id,
                  std::span<const LogAttr> attrs, char* out) noexcept {
  message = Clip(message);
  request_id = Clip(request_id);
  const size_t count = attrs.size() < kMaxAttrs ? attrs.size() : kMaxAttrs;
  h.message_len = static_cast<uint32_t>(message.size());
  h.request_id_len = static_cast<uint32_t>(request_id.size());
  h.attr_count = static_cast<uint16_t>(count);
  char* p = Put(out, &h, sizeof h);
  p = Put(p, message.data(), message.size());
  p = Put(p, request_id.data(), request_id.size());
  for (size_t i = 0; i < count; ++i) {
    const LogAttr& a = attrs[i];
    const std::string_view key = Clip(a.key());
    const auto type = static_cast<uint8_t>(a.type());
    const auto key_len = static_cast<uint32_t>(key.size());
    p = Put(p, &type, 1);
    p = Put(p, &key_len, 4);
    p = Put(p, key.data(), key.size());
    if (a.type() == LogAttr::Type::kString) {
      const std::string_view v = Clip(a.string_value());
      const auto len = static_cast<uint32_t>(v.size());
      p = Put(p, &len, 4);
      p = Put(p, v.data(), v.size());
    } else {
      const uint64_t bits = AttrBits(a);
      p = Put(p, &bits, 8);
    }
  }
}

void DecodeRecord(const char* data, DecodedRecord* out, std::vector<LogAttr>* attrs) {
  std::memcpy(&out->header, data, sizeof(RecordHeader));
  const char* p = data + sizeof(RecordHeader);
  out->message = std::string_view(p, out->header.message_len);
  p += out->header.message_len;
  out->request_id = std::string_view(p, out->header.request_id_len);
  p += out->header.request_id_len;
  attrs->clear();
  for (uint16_t i = 0; i < out->header.attr_count; ++i) {
    uint8_t type;
    uint32_t key_len;
    std::memcpy(&type, p, 1);
    std::memcpy(&key_len, p + 1, 4);
    p += 5;
    const std::string_view key(p, key_len);
    p += key_len;
    const auto t = static_cast<LogAttr::Type>(type);
    if (t == LogAttr::Type::kString) {
      uint32_t len;
      std::memcpy(&len, p, 4);
      attrs->push_back(LogAttr(key, std::string_view(p + 4, len)));
      p += 4 + len;
    } else {
      uint64_t bits;
      std::memcpy(&bits, p, 8);
      attrs->push_back(MakeAttr(t, key, {}, bits));
      p += 8;
    }
  }
}

RecordRing::RecordRing(size_t min_capacity) {
  size_t cap = 2;
  while (cap < min_capacity) cap <<= 1;
  slots_ = std::make_unique<Slot[]>(cap);
  mask_ = cap - 1;
  for (size_t i = 0; i < cap; ++i) slots_[i].seq.store(i, std::memory_order_relaxed);
}

RecordRing::Slot* RecordRing::TryClaim() noexcept {
  uint64_t pos = enqueue_pos_.load(std::memory_order_relaxed);
  while (true) {
    Slot* s = &slots_[pos & mask_];
    const uint64_t seq = s->seq.load(std::memory_order_acquire);
    const auto diff = static_cast<int64_t>(seq - pos);
    if (diff == 0) {
      if (enqueue_pos_.compare_exchange_weak(pos, pos + 1, std::memory_order_relaxed)) {
        s->pos = pos;
        return s;
      }
    } else if (diff < 0) {
      return nullptr;  // the slot still holds a record from one lap ago: full
    } else {
      pos = enqueue_pos_.load(std::memory_order_relaxed);
    }
  }
}

void RecordRing::PopFront() noexcept {
  Slot* s = &slots_[dequeue_pos_ & mask_];
  delete[] s->heap;
  s->heap = nullptr;
  s->bound.reset();
  s->seq.store(dequeue_pos_ + mask_ + 1, std::memory_order_release);
  ++dequeue_pos_;
}

}  // namespace quartet::log_internal

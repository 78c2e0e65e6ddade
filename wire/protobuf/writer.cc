#include "wire/protobuf/writer.h"

namespace quartet::protobuf {

void Writer::PatchLongLength(size_t length_pos, size_t len) {
  // One byte was reserved; the length needs more. Grow the buffer and move
  // the body up: one memmove per message longer than 127 bytes, which is
  // cheaper than measuring every message before writing it.
  char tmp[10];
  size_t n = EncodeVarint(len, tmp);
  size_t body_start = length_pos + 1;
  buf_.resize(buf_.size() + n - 1);
  std::memmove(&buf_[length_pos + n], &buf_[body_start], len);
  std::memcpy(&buf_[length_pos], tmp, n);
}

void Writer::PackedFixed64(uint32_t field, std::span<const uint64_t> values) {
  if (values.empty()) return;
  Tag(field, WireType::kLengthDelimited);
  RawVarint(values.size() * 8);
  for (uint64_t v : values) RawFixed64(v);
}

void Writer::PackedDouble(uint32_t field, std::span<const double> values) {
  if (values.empty()) return;
  Tag(field, WireType::kLengthDelimited);
  RawVarint(values.size() * 8);
  for (double d : values) {
    uint64_t bits;
    std::memcpy(&bits, &d, 8);
    RawFixed64(bits);
  }
}

void Writer::PackedVarint(uint32_t field, std::span<const uint64_t> values) {
  if (values.empty()) return;
  size_t len = 0;
  for (uint64_t v : values) len += VarintSize(v);
  Tag(field, WireType::kLengthDelimited);
  RawVarint(len);
  for (uint64_t v : values) RawVarint(v);
}

}  // namespace quartet::protobuf

#include "server/store/block/bitmap.h"

#include <algorithm>

#include "server/store/block/varint.h"

namespace quartet::store {

Bitmap::Bitmap(size_t size, bool value)
    : size_(size), words_((size + 63) / 64, value ? ~uint64_t{0} : 0) {
  ClearPadding();
}

void Bitmap::ClearPadding() {
  if (size_ % 64 != 0) words_.back() &= (uint64_t{1} << (size_ % 64)) - 1;
}

size_t Bitmap::Count() const {
  size_t n = 0;
  for (uint64_t w : words_) n += static_cast<size_t>(std::popcount(w));
  return n;
}

bool Bitmap::Any() const {
  return std::any_of(words_.begin(), words_.end(), [](uint64_t w) { return w != 0; });
}

Bitmap& Bitmap::And(const Bitmap& other) {
  for (size_t i = 0; i < words_.size(); ++i) {
    words_[i] &= i < other.words_.size() ? other.words_[i] : 0;
  }
  return *this;
}

Bitmap& Bitmap::Or(const Bitmap& other) {
  for (size_t i = 0; i < words_.size() && i < other.words_.size(); ++i) {
    words_[i] |= other.words_[i];
  }
  ClearPadding();
  return *this;
}

Bitmap& Bitmap::AndNot(const Bitmap& other) {
  for (size_t i = 0; i < words_.size() && i < other.words_.size(); ++i) {
    words_[i] &= ~other.words_[i];
  }
  return *this;
}

Bitmap& Bitmap::Invert() {
  for (uint64_t& w : words_) w = ~w;
  ClearPadding();
  return *this;
}

size_t Bitmap::NextSet(size_t from) const {
  if (from >= size_) return size_;
  size_t w = from >> 6;
  uint64_t bits = words_[w] & (~uint64_t{0} << (from & 63));
  while (true) {
    if (bits != 0) return w * 64 + static_cast<size_t>(std::countr_zero(bits));
    if (++w >= words_.size()) return size_;
    bits = words_[w];
  }
}

std::string Bitmap::Encode() const {
  std::string out;
  PutVarint64(&out, size_);
  for (uint64_t w : words_) {
    for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>(w >> (8 * i)));
  }
  return out;
}

Result<Bitmap> Bitmap::Decode(std::string_view in) {
  uint64_t size;
  if (!GetVarint64(&in, &size) || size / 64 > in.size() / 8 || (size + 63) / 64 * 8 != in.size()) {
    return Status::DataLoss("bitmap: size does not match data");
  }
  Bitmap b;
  b.size_ = size;
  b.words_.resize(in.size() / 8);
  for (size_t w = 0; w < b.words_.size(); ++w) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(in[w * 8 + i]);
    b.words_[w] = v;
  }
  size_t tail = size % 64;
  if (tail != 0 && (b.words_.back() >> tail) != 0)
    return Status::DataLoss("bitmap: padding bits set");
  return b;
}

}  // namespace quartet::store

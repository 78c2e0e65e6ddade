// Bitmap: a dense bitset over the rows of a block, the currency of query
// filtering (one bitmap per predicate, combined with And/Or, then iterated).
// A value type: thread-compatible.
#pragma once

#include <bit>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::store {

class Bitmap {
 public:
  Bitmap() = default;
  // size bits, all clear (or all set).
  explicit Bitmap(size_t size, bool value = false);

  size_t size() const { return size_; }
  bool Test(size_t i) const { return (words_[i >> 6] >> (i & 63)) & 1; }
  void Set(size_t i) { words_[i >> 6] |= uint64_t{1} << (i & 63); }
  void Clear(size_t i) { words_[i >> 6] &= ~(uint64_t{1} << (i & 63)); }

  // Number of set bits.
  size_t Count() const;
  bool Any() const;

  // In-place combination with a bitmap of the same size (a smaller or larger
  // one is treated as padded with zeros / truncated).
  Bitmap& And(const Bitmap& other);
  Bitmap& Or(const Bitmap& other);
  Bitmap& AndNot(const Bitmap& other);
  Bitmap& Invert();

  // The first set bit at or after from, or size() when there is none:
  //   for (size_t i = b.NextSet(0); i < b.size(); i = b.NextSet(i + 1)) ...
  size_t NextSet(size_t from) const;
  template <typename Fn>
  void ForEachSet(Fn&& fn) const {
    for (size_t w = 0; w < words_.size(); ++w) {
      for (uint64_t bits = words_[w]; bits != 0; bits &= bits - 1) {
        fn(w * 64 + static_cast<size_t>(std::countr_zero(bits)));
      }
    }
  }

  // Serialized form: varint size, then the words little-endian.
  std::string Encode() const;
  static Result<Bitmap> Decode(std::string_view in);

  friend bool operator==(const Bitmap&, const Bitmap&) = default;

 private:
  void ClearPadding();
  size_t size_ = 0;
  std::vector<uint64_t> words_;  // bits past size_ are always zero
};

}  // namespace quartet::store

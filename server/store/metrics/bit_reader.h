// BitReader: reads a bit string most significant bit first, as BitWriter
// (chunk.h) writes it, from a 64-bit buffer: a refill loads the next 8 bytes
// unaligned, swaps them to big-endian once and ORs them in below the bits
// left, so the buffer always holds at least kPeekBits (56) of the stream.
// A chunk's bucket prefix and payload (at most 54 bits) then come from one
// Peek(); unary prefixes are counted with std::countl_one instead of a loop
// over bits; consuming bits is a shift. Near the end of the buffer a refill
// assembles the bytes that remain, zero-filled: reads never go past the
// buffer, and every read checks the bits that remain, so malformed input is
// an error, never undefined behaviour.
//
// Thread-compatible value type; reads bytes it does not own.
#pragma once

#include <bit>
#include <cstdint>
#include <cstring>
#include <string_view>

namespace quartet::store {

class BitReader {
 public:
  // The fewest bits of the stream Peek() holds (when that many remain).
  static constexpr int kPeekBits = 56;

  BitReader() = default;
  explicit BitReader(std::string_view in)
      : next_(reinterpret_cast<const uint8_t*>(in.data())),
        end_(next_ + in.size()),
        left_(uint64_t{in.size()} * 8) {}

  uint64_t remaining() const { return left_; }

  // The next 64 bits, left-aligned; bits past the end of the buffer are 0.
  // At least min(kPeekBits, remaining()) of them are the stream's.
  uint64_t Peek() {
    if (avail_ < kPeekBits) Refill();
    return buf_;
  }

  // Consumes n bits, n <= kPeekBits, right after a Peek(); the caller has
  // checked n <= remaining().
  void Skip(int n) {
    buf_ <<= n;
    avail_ -= n;
    left_ -= static_cast<uint64_t>(n);
  }

  // The next n (0..64) bits as an integer; false (nothing consumed) when
  // fewer remain.
  bool ReadBits(int n, uint64_t* v) {
    if (static_cast<uint64_t>(n) > left_) return false;
    if (n == 0) {
      *v = 0;
    } else if (n <= kPeekBits) {
      *v = Peek() >> (64 - n);
      Skip(n);
    } else {
      const uint64_t hi = Peek() >> 32;
      Skip(32);
      const int low_bits = n - 32;
      *v = (hi << low_bits) | (Peek() >> (64 - low_bits));
      Skip(low_bits);
    }
    return true;
  }

  bool ReadBit(bool* bit) {
    if (left_ == 0) return false;
    *bit = Peek() >> 63;
    Skip(1);
    return true;
  }

 private:
  // Fills buf_ to 56..63 bits: whole bytes below the avail_ bits it holds.
  void Refill() {
    uint64_t w;
    if (end_ - next_ >= 8) [[likely]] {
      std::memcpy(&w, next_, 8);
      if constexpr (std::endian::native == std::endian::little) w = __builtin_bswap64(w);
    } else {
      w = 0;
      for (const uint8_t* p = next_; p < end_; ++p) w |= uint64_t{*p} << (56 - 8 * (p - next_));
    }
    // Bits of a partly taken byte are ORed in again by the next refill
    // (the same bits in the same place).
    buf_ |= w >> avail_;
    const int bytes = (63 - avail_) >> 3;
    next_ = end_ - next_ >= bytes ? next_ + bytes : end_;
    avail_ |= 56;
  }

  const uint8_t* next_ = nullptr;  // the first byte not yet in buf_
  const uint8_t* end_ = nullptr;
  uint64_t buf_ = 0;   // the next bits, left-aligned
  int avail_ = 0;      // bits of buf_ that are loaded (zeros past the end)
  uint64_t left_ = 0;  // bits of the stream not consumed
};

}  // namespace quartet::store

// CRC-32C (Castagnoli polynomial 0x1EDC6F41), the checksum of every record and
// section quartetd writes to disk. Uses the SSE4.2 crc32 instruction when the
// CPU has it (checked once at runtime) and a slicing table otherwise; both give
// identical results. Pure functions: thread-safe.
//
// Mask/Unmask follow leveldb: a CRC stored next to the bytes it covers is
// masked so that computing the CRC of a buffer that itself embeds CRCs does
// not degenerate.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace quartet::crc32c {

// Returns the CRC-32C of concat(A, data) where init_crc is the CRC-32C of A.
uint32_t Extend(uint32_t init_crc, const void* data, size_t n);
inline uint32_t Extend(uint32_t init_crc, std::string_view data) {
  return Extend(init_crc, data.data(), data.size());
}

// Returns the CRC-32C of data.
inline uint32_t Value(const void* data, size_t n) { return Extend(0, data, n); }
inline uint32_t Value(std::string_view data) { return Extend(0, data.data(), data.size()); }

inline constexpr uint32_t kMaskDelta = 0xa282ead8u;

// Returns a masked representation of crc, for storing next to covered data.
inline uint32_t Mask(uint32_t crc) { return ((crc >> 15) | (crc << 17)) + kMaskDelta; }

// Returns the crc whose masked representation is masked_crc.
inline uint32_t Unmask(uint32_t masked_crc) {
  uint32_t rot = masked_crc - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// True when Extend uses the hardware instruction (for benchmarks and logs).
bool HardwareAccelerated();

}  // namespace quartet::crc32c

namespace quartet {
// The short spelling used across the server: Crc32c("bytes").
inline uint32_t Crc32c(std::string_view data) { return crc32c::Value(data); }
}  // namespace quartet

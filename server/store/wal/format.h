// The physical framing of WAL segment files, shared by the writer (wal.cc) and
// the reader (segment_reader.cc). docs/formats/wal.md is the specification;
// this header only names its constants. No state: thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>

namespace quartet::store::wal_format {

// A segment is a sequence of 32 KiB blocks. A fragment never crosses a block
// boundary, so after corruption the reader can resync at the next block start.
inline constexpr size_t kBlockSize = 32 * 1024;

// masked crc32c (4, little-endian) | payload length (2, little-endian) | type (1)
inline constexpr size_t kHeaderSize = 7;

enum RecordType : uint8_t {
  kZeroType = 0,  // never written: zero-filled space (preallocation, torn page)
  kFullType = 1,
  kFirstType = 2,
  kMiddleType = 3,
  kLastType = 4,
};
inline constexpr uint8_t kMaxRecordType = kLastType;

inline void EncodeFixed32(char* dst, uint32_t v) {
  for (int i = 0; i < 4; ++i) dst[i] = static_cast<char>(v >> (8 * i));
}
inline uint32_t DecodeFixed32(const char* p) {
  const auto* u = reinterpret_cast<const unsigned char*>(p);
  return uint32_t{u[0]} | uint32_t{u[1]} << 8 | uint32_t{u[2]} << 16 | uint32_t{u[3]} << 24;
}

}  // namespace quartet::store::wal_format

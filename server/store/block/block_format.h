// Constants and little-endian helpers of the block file format
// (docs/formats/block.md), shared by block_writer.cc and block_reader.cc.
// No state: thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quartet::store::block_format {

inline constexpr char kHeaderMagic[8] = {'Q', 'R', 'T', 'B', 'L', 'O', 'C', 'K'};
inline constexpr size_t kHeaderSize = 8;
// footer_offset(8) footer_len(4) footer_crc(4) version(4) trailer_crc(4) magic(8)
inline constexpr size_t kTrailerSize = 32;
inline constexpr char kTrailerMagic[8] = {'q', 'r', 't', 'b', 'l', 'k', '\x01', '\xfe'};
inline constexpr uint32_t kVersion = 1;
// Refuse to allocate more than this for one decompressed section.
inline constexpr uint64_t kMaxRawSectionBytes = uint64_t{16} << 30;

inline void PutFixed32(std::string* out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline void PutFixed64(std::string* out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out->push_back(static_cast<char>(v >> (8 * i)));
}
inline uint32_t GetFixed32(const char* p) {
  uint32_t v = 0;
  for (int i = 3; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}
inline uint64_t GetFixed64(const char* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = v << 8 | static_cast<uint8_t>(p[i]);
  return v;
}

}  // namespace quartet::store::block_format

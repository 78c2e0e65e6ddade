// protobuf::Writer: appends protobuf wire-format fields to a growing buffer,
// without libprotobuf. Nested messages use reserve-and-backpatch: BeginMessage
// reserves one length byte, EndMessage writes the real length and shifts the
// body only when it needs more than one byte, so the output is canonical
// (minimal varint lengths) and a message is written in one pass.
// Wire format: https://protobuf.dev/programming-guides/encoding/
// Not thread-safe: one Writer per thread.
//
//   protobuf::Writer w;
//   auto span = w.BeginMessage(2);
//   w.String(5, "GET /checkout");
//   w.Fixed64(7, start_ns);
//   w.EndMessage(span);
//   std::string bytes = w.Release();
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

namespace quartet::protobuf {

enum class WireType : uint8_t {
  kVarint = 0,
  kFixed64 = 1,
  kLengthDelimited = 2,
  kStartGroup = 3,  // deprecated groups: only ever skipped
  kEndGroup = 4,
  kFixed32 = 5,
};

inline constexpr uint32_t kMaxFieldNumber = (1u << 29) - 1;

// Number of bytes the varint encoding of v takes (1..10).
inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Writes v as a varint at out (room for 10 bytes); returns the bytes written.
inline size_t EncodeVarint(uint64_t v, char* out) {
  size_t n = 0;
  while (v >= 0x80) {
    out[n++] = static_cast<char>(v | 0x80);
    v >>= 7;
  }
  out[n++] = static_cast<char>(v);
  return n;
}

inline uint64_t ZigZag64(int64_t v) {
  return (static_cast<uint64_t>(v) << 1) ^ static_cast<uint64_t>(v >> 63);
}
inline uint32_t ZigZag32(int32_t v) {
  return (static_cast<uint32_t>(v) << 1) ^ static_cast<uint32_t>(v >> 31);
}
inline int64_t UnZigZag64(uint64_t v) { return static_cast<int64_t>((v >> 1) ^ (~(v & 1) + 1)); }
inline int32_t UnZigZag32(uint32_t v) { return static_cast<int32_t>((v >> 1) ^ (~(v & 1) + 1)); }

class Writer {
 public:
  // Where an open nested message starts: returned by BeginMessage and
  // handed back to EndMessage. Messages must be closed innermost first.
  struct Bookmark {
    size_t length_pos;
  };

  Writer() = default;
  // Starts with `reserve` bytes of capacity to avoid regrowth.
  explicit Writer(size_t reserve) { buf_.reserve(reserve); }

  // Scalar fields. All are written even when zero: callers that want proto3
  // "omit defaults" behaviour check for zero themselves.
  void Varint(uint32_t field, uint64_t v) {
    Tag(field, WireType::kVarint);
    RawVarint(v);
  }
  void Uint64(uint32_t field, uint64_t v) { Varint(field, v); }
  void Uint32(uint32_t field, uint32_t v) { Varint(field, v); }
  // int32/int64/enum: negative values take 10 bytes (sign-extended), as
  // protobuf requires for interoperability.
  void Int64(uint32_t field, int64_t v) { Varint(field, static_cast<uint64_t>(v)); }
  void Int32(uint32_t field, int32_t v) {
    Varint(field, static_cast<uint64_t>(static_cast<int64_t>(v)));
  }
  void Enum(uint32_t field, int32_t v) { Int32(field, v); }
  void Bool(uint32_t field, bool v) { Varint(field, v ? 1 : 0); }
  void Sint64(uint32_t field, int64_t v) { Varint(field, ZigZag64(v)); }
  void Sint32(uint32_t field, int32_t v) { Varint(field, ZigZag32(v)); }
  void Fixed64(uint32_t field, uint64_t v) {
    Tag(field, WireType::kFixed64);
    RawFixed64(v);
  }
  void Sfixed64(uint32_t field, int64_t v) { Fixed64(field, static_cast<uint64_t>(v)); }
  void Double(uint32_t field, double v) {
    uint64_t bits;
    std::memcpy(&bits, &v, 8);
    Fixed64(field, bits);
  }
  void Fixed32(uint32_t field, uint32_t v) {
    Tag(field, WireType::kFixed32);
    RawFixed32(v);
  }
  void Sfixed32(uint32_t field, int32_t v) { Fixed32(field, static_cast<uint32_t>(v)); }
  void Float(uint32_t field, float v) {
    uint32_t bits;
    std::memcpy(&bits, &v, 4);
    Fixed32(field, bits);
  }
  void Bytes(uint32_t field, std::string_view v) {
    Tag(field, WireType::kLengthDelimited);
    RawVarint(v.size());
    buf_.append(v.data(), v.size());
  }
  void String(uint32_t field, std::string_view v) { Bytes(field, v); }
  void Bytes(uint32_t field, const uint8_t* data, size_t n) {
    Bytes(field, std::string_view(reinterpret_cast<const char*>(data), n));
  }

  // Packed repeated scalars (one length-delimited field). Nothing is written
  // for an empty list, as protobuf encoders do.
  void PackedFixed64(uint32_t field, std::span<const uint64_t> values);
  void PackedDouble(uint32_t field, std::span<const double> values);
  void PackedVarint(uint32_t field, std::span<const uint64_t> values);

  // Nested message `field`: everything written until EndMessage is its body.
  Bookmark BeginMessage(uint32_t field) {
    Tag(field, WireType::kLengthDelimited);
    buf_.push_back('\0');
    return Bookmark{buf_.size() - 1};
  }
  void EndMessage(Bookmark mark) {
    size_t body_start = mark.length_pos + 1;
    size_t len = buf_.size() - body_start;
    if (len < 0x80) {
      buf_[mark.length_pos] = static_cast<char>(len);
      return;
    }
    PatchLongLength(mark.length_pos, len);
  }
  // Writes a nested message from already-encoded bytes.
  void Message(uint32_t field, std::string_view encoded) { Bytes(field, encoded); }

  // Low level: a field key, a bare varint, raw bytes.
  void Tag(uint32_t field, WireType type) {
    RawVarint((static_cast<uint64_t>(field) << 3) | static_cast<uint64_t>(type));
  }
  void RawVarint(uint64_t v) {
    if (v < 0x80) {
      buf_.push_back(static_cast<char>(v));
      return;
    }
    char tmp[10];
    buf_.append(tmp, EncodeVarint(v, tmp));
  }
  void RawFixed64(uint64_t v) {
    char tmp[8];
    for (int i = 0; i < 8; ++i) tmp[i] = static_cast<char>(v >> (8 * i));
    buf_.append(tmp, 8);
  }
  void RawFixed32(uint32_t v) {
    char tmp[4];
    for (int i = 0; i < 4; ++i) tmp[i] = static_cast<char>(v >> (8 * i));
    buf_.append(tmp, 4);
  }
  void Raw(std::string_view bytes) { buf_.append(bytes.data(), bytes.size()); }

  size_t size() const { return buf_.size(); }
  std::string_view data() const { return buf_; }
  // Hands over the bytes written; the Writer is empty afterwards.
  std::string Release() {
    std::string out = std::move(buf_);
    buf_.clear();
    return out;
  }
  // Empties the buffer but keeps its capacity, for reuse across batches.
  void Clear() { buf_.clear(); }

 private:
  void PatchLongLength(size_t length_pos, size_t len);

  std::string buf_;
};

}  // namespace quartet::protobuf

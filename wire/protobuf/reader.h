// protobuf::Reader: a zero-copy, bounds-checked iterator over the fields of
// one protobuf message. Length-delimited values are string_views into the
// input (which must outlive the Reader); nested messages are read with a
// child Reader that carries the nesting depth, so hostile input cannot
// recurse without bound. Unknown fields of every wire type, including
// deprecated groups, can be skipped. Errors are precise: truncation (code
// kOutOfRange), overlong varints, bad wire types, field number 0, lengths
// past the end, too deep nesting (kInvalidArgument).
// Not thread-safe: one Reader per thread; the input may be shared.
//
//   protobuf::Reader r(bytes);
//   protobuf::Field f;
//   while (r.Next(&f)) {
//     if (f.number == 5) { ASSIGN_OR_RETURN(std::string_view name, f.Bytes()); }
//   }
//   RETURN_IF_ERROR(r.status());
#pragma once

#include <cstdint>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "wire/protobuf/writer.h"

namespace quartet::protobuf {

// Deeper nesting than this is rejected (protobuf's own default is 100).
inline constexpr int kMaxDepth = 64;

std::string_view WireTypeName(WireType type);

// One decoded field. For kVarint, kFixed64 and kFixed32, `scalar` holds the
// value bits; for kLengthDelimited and groups, `bytes` holds the payload.
struct Field {
  uint32_t number = 0;
  WireType type = WireType::kVarint;
  uint64_t scalar = 0;
  std::string_view bytes;

  // Typed views; each fails (kInvalidArgument, naming the wire types) when
  // the field was sent with a wire type the protobuf type cannot have.
  Result<uint64_t> Uint64() const;
  Result<uint32_t> Uint32() const;  // truncates like protobuf does
  Result<int64_t> Int64() const;
  Result<int32_t> Int32() const;  // also enums
  Result<bool> Bool() const;
  Result<int64_t> Sint64() const;
  Result<int32_t> Sint32() const;
  Result<uint64_t> Fixed64() const;
  Result<int64_t> Sfixed64() const;
  Result<uint32_t> Fixed32() const;
  Result<double> Double() const;
  Result<float> Float() const;
  Result<std::string_view> Bytes() const;  // bytes, string or message

  Status ExpectType(WireType want) const;
};

class Reader {
 public:
  explicit Reader(std::string_view data, int depth = 0) : data_(data), depth_(depth) {}

  // Reads the next field into *field. Returns false at the end of input or
  // on an error; status() tells which. Groups are consumed whole.
  bool Next(Field* field);
  // OK unless Next() met malformed input.
  const Status& status() const { return status_; }
  // True when every byte was consumed without error.
  bool done() const { return pos_ >= data_.size() && status_.ok(); }
  size_t offset() const { return pos_; }
  int depth() const { return depth_; }

  // A Reader over the nested message in `field` (which must be
  // length-delimited), one level deeper; fails past kMaxDepth. It shares
  // this reader's budget.
  Result<Reader> Message(const Field& field) const;

  // An optional allocation budget (bytes), shared with every Reader made by
  // Message(). A decoder that materializes what it reads calls Charge()
  // first, so that hostile input (e.g. thousands of 2-byte empty messages,
  // each becoming a large struct) cannot make it allocate far more memory
  // than the input's own size. Null (the default): unlimited. The budget
  // must outlive the readers.
  void set_budget(int64_t* budget) { budget_ = budget; }
  // Takes `bytes` from the budget; false once it is exhausted.
  bool Charge(size_t bytes) const {
    if (budget_ == nullptr) return true;
    *budget_ -= static_cast<int64_t>(bytes);
    return *budget_ >= 0;
  }

 private:
  bool Fail(Status status);
  bool ReadVarint(uint64_t* v);
  // Consumes a group's fields through its end-group tag, whose offset goes
  // to *end_tag.
  bool SkipGroup(uint32_t number, int depth, size_t* end_tag);

  std::string_view data_;
  size_t pos_ = 0;
  size_t field_start_ = 0;  // where the field being read began, for errors
  int depth_;
  int64_t* budget_ = nullptr;
  Status status_;
};

// Repeated scalars, accepting both encodings a sender may use: packed (one
// length-delimited field) and unpacked (one field per value). Appends to *out.
Status AppendFixed64s(const Field& field, std::vector<uint64_t>* out);
Status AppendDoubles(const Field& field, std::vector<double>* out);
Status AppendVarints(const Field& field, std::vector<uint64_t>* out);

// Decodes a varint at the front of *in and advances *in. Shared with
// callers that parse bare varints (e.g. framing).
Status ParseVarint(std::string_view* in, uint64_t* v);

}  // namespace quartet::protobuf

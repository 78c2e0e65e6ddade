#include "wire/protobuf/reader.h"

#include <cstring>
#include <string>

namespace quartet::protobuf {
namespace {

uint64_t LoadLE(const char* p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; --i) v = (v << 8) | static_cast<uint8_t>(p[i]);
  return v;
}

Status WrongType(const Field& f, std::string_view want) {
  return Status::InvalidArgument("field " + std::to_string(f.number) + " has wire type " +
                                 std::string(WireTypeName(f.type)) + ", expected " +
                                 std::string(want));
}

}  // namespace

std::string_view WireTypeName(WireType type) {
  switch (type) {
    case WireType::kVarint:
      return "varint";
    case WireType::kFixed64:
      return "fixed64";
    case WireType::kLengthDelimited:
      return "length-delimited";
    case WireType::kStartGroup:
      return "start-group";
    case WireType::kEndGroup:
      return "end-group";
    case WireType::kFixed32:
      return "fixed32";
  }
  return "invalid";
}

Status ParseVarint(std::string_view* in, uint64_t* v) {
  uint64_t result = 0;
  for (size_t i = 0; i < 10; ++i) {
    if (i >= in->size()) return Status::OutOfRange("truncated varint");
    uint8_t b = static_cast<uint8_t>((*in)[i]);
    // The 10th byte may only carry the top bit of a 64-bit value.
    if (i == 9 && b > 1) return Status::InvalidArgument("varint overflows 64 bits");
    result |= static_cast<uint64_t>(b & 0x7f) << (7 * i);
    if (b < 0x80) {
      in->remove_prefix(i + 1);
      *v = result;
      return Status::Ok();
    }
  }
  return Status::InvalidArgument("varint longer than 10 bytes");
}

bool Reader::Fail(Status status) {
  status_ = status.Annotate("at offset " + std::to_string(field_start_));
  pos_ = data_.size();
  return false;
}

bool Reader::ReadVarint(uint64_t* v) {
  // Fast path: a single-byte varint (most tags and short lengths).
  if (pos_ < data_.size() && static_cast<uint8_t>(data_[pos_]) < 0x80) {
    *v = static_cast<uint8_t>(data_[pos_++]);
    return true;
  }
  std::string_view rest = data_.substr(pos_);
  size_t before = rest.size();
  Status st = ParseVarint(&rest, v);
  if (!st.ok()) return Fail(st);
  pos_ += before - rest.size();
  return true;
}

bool Reader::Next(Field* field) {
  if (pos_ >= data_.size() || !status_.ok()) return false;
  size_t field_start = pos_;
  field_start_ = pos_;
  uint64_t key;
  if (!ReadVarint(&key)) return false;
  uint64_t number = key >> 3;
  uint8_t type = key & 7;
  if (number == 0 || number > kMaxFieldNumber) {
    pos_ = field_start;
    return Fail(Status::InvalidArgument("invalid field number " + std::to_string(number)));
  }
  if (type > 5) {
    pos_ = field_start;
    return Fail(Status::InvalidArgument("invalid wire type " + std::to_string(type) +
                                        " for field " + std::to_string(number)));
  }
  field->number = static_cast<uint32_t>(number);
  field->type = static_cast<WireType>(type);
  field->scalar = 0;
  field->bytes = {};
  size_t remaining = data_.size() - pos_;
  switch (field->type) {
    case WireType::kVarint:
      return ReadVarint(&field->scalar);
    case WireType::kFixed64:
      if (remaining < 8) {
        return Fail(Status::OutOfRange("truncated fixed64 field " + std::to_string(number)));
      }
      field->scalar = LoadLE(data_.data() + pos_, 8);
      pos_ += 8;
      return true;
    case WireType::kFixed32:
      if (remaining < 4) {
        return Fail(Status::OutOfRange("truncated fixed32 field " + std::to_string(number)));
      }
      field->scalar = LoadLE(data_.data() + pos_, 4);
      pos_ += 4;
      return true;
    case WireType::kLengthDelimited: {
      uint64_t len;
      if (!ReadVarint(&len)) return false;
      if (len > data_.size() - pos_) {
        return Fail(Status::OutOfRange("length " + std::to_string(len) + " of field " +
                                       std::to_string(number) + " exceeds the " +
                                       std::to_string(data_.size() - pos_) + " bytes remaining"));
      }
      field->bytes = data_.substr(pos_, len);
      pos_ += len;
      return true;
    }
    case WireType::kStartGroup: {
      size_t body = pos_;
      size_t end_tag = 0;
      if (!SkipGroup(field->number, depth_ + 1, &end_tag)) return false;
      field->bytes = data_.substr(body, end_tag - body);
      return true;
    }
    case WireType::kEndGroup:
      pos_ = field_start;
      return Fail(
          Status::InvalidArgument("unmatched end-group for field " + std::to_string(number)));
  }
  return false;
}

bool Reader::SkipGroup(uint32_t number, int depth, size_t* end_tag) {
  if (depth > kMaxDepth) return Fail(Status::InvalidArgument("groups nested too deeply"));
  while (true) {
    if (pos_ >= data_.size()) {
      return Fail(Status::OutOfRange("unterminated group " + std::to_string(number)));
    }
    size_t field_start = pos_;
    uint64_t key;
    if (!ReadVarint(&key)) return false;
    uint64_t inner = key >> 3;
    uint8_t type = key & 7;
    if (inner == 0 || inner > kMaxFieldNumber || type > 5) {
      pos_ = field_start;
      return Fail(Status::InvalidArgument("invalid key inside group " + std::to_string(number)));
    }
    uint64_t scratch;
    size_t scratch_pos;
    switch (static_cast<WireType>(type)) {
      case WireType::kVarint:
        if (!ReadVarint(&scratch)) return false;
        break;
      case WireType::kFixed64:
      case WireType::kFixed32: {
        size_t n = type == 1 ? 8 : 4;
        if (data_.size() - pos_ < n) return Fail(Status::OutOfRange("truncated group field"));
        pos_ += n;
        break;
      }
      case WireType::kLengthDelimited:
        if (!ReadVarint(&scratch)) return false;
        if (scratch > data_.size() - pos_) {
          return Fail(Status::OutOfRange("length past the end inside group"));
        }
        pos_ += scratch;
        break;
      case WireType::kStartGroup:
        if (!SkipGroup(static_cast<uint32_t>(inner), depth + 1, &scratch_pos)) return false;
        break;
      case WireType::kEndGroup:
        if (inner != number) {
          pos_ = field_start;
          return Fail(Status::InvalidArgument("end-group " + std::to_string(inner) +
                                              " does not match group " + std::to_string(number)));
        }
        *end_tag = field_start;
        return true;
    }
  }
}

Result<Reader> Reader::Message(const Field& field) const {
  RETURN_IF_ERROR(field.ExpectType(WireType::kLengthDelimited));
  if (depth_ + 1 > kMaxDepth) {
    return Status::InvalidArgument("messages nested deeper than " + std::to_string(kMaxDepth));
  }
  Reader child(field.bytes, depth_ + 1);
  child.budget_ = budget_;
  return child;
}

Status Field::ExpectType(WireType want) const {
  if (type == want) return Status::Ok();
  return WrongType(*this, WireTypeName(want));
}

Result<uint64_t> Field::Uint64() const {
  RETURN_IF_ERROR(ExpectType(WireType::kVarint));
  return scalar;
}
Result<uint32_t> Field::Uint32() const {
  RETURN_IF_ERROR(ExpectType(WireType::kVarint));
  return static_cast<uint32_t>(scalar);
}
Result<int64_t> Field::Int64() const {
  RETURN_IF_ERROR(ExpectType(WireType::kVarint));
  return static_cast<int64_t>(scalar);
}
Result<int32_t> Field::Int32() const {
  RETURN_IF_ERROR(ExpectType(WireType::kVarint));
  return static_cast<int32_t>(static_cast<uint32_t>(scalar));
}
Result<bool> Field::Bool() const {
  RETURN_IF_ERROR(ExpectType(WireType::kVarint));
  return scalar != 0;
}
Result<int64_t> Field::Sint64() const {
  RETURN_IF_ERROR(ExpectType(WireType::kVarint));
  return UnZigZag64(scalar);
}
Result<int32_t> Field::Sint32() const {
  RETURN_IF_ERROR(ExpectType(WireType::kVarint));
  return UnZigZag32(static_cast<uint32_t>(scalar));
}
Result<uint64_t> Field::Fixed64() const {
  RETURN_IF_ERROR(ExpectType(WireType::kFixed64));
  return scalar;
}
Result<int64_t> Field::Sfixed64() const {
  RETURN_IF_ERROR(ExpectType(WireType::kFixed64));
  return static_cast<int64_t>(scalar);
}
Result<uint32_t> Field::Fixed32() const {
  RETURN_IF_ERROR(ExpectType(WireType::kFixed32));
  return static_cast<uint32_t>(scalar);
}
Result<double> Field::Double() const {
  RETURN_IF_ERROR(ExpectType(WireType::kFixed64));
  double d;
  std::memcpy(&d, &scalar, 8);
  return d;
}
Result<float> Field::Float() const {
  RETURN_IF_ERROR(ExpectType(WireType::kFixed32));
  uint32_t bits = static_cast<uint32_t>(scalar);
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}
Result<std::string_view> Field::Bytes() const {
  RETURN_IF_ERROR(ExpectType(WireType::kLengthDelimited));
  return bytes;
}

Status AppendFixed64s(const Field& field, std::vector<uint64_t>* out) {
  if (field.type == WireType::kFixed64) {
    out->push_back(field.scalar);
    return Status::Ok();
  }
  if (field.type != WireType::kLengthDelimited) {
    return WrongType(field, "fixed64 or packed fixed64");
  }
  if (field.bytes.size() % 8 != 0) {
    return Status::InvalidArgument("packed fixed64 field " + std::to_string(field.number) +
                                   " has length " + std::to_string(field.bytes.size()) +
                                   ", not a multiple of 8");
  }
  size_t n = field.bytes.size() / 8;
  out->reserve(out->size() + n);
  for (size_t i = 0; i < n; ++i) out->push_back(LoadLE(field.bytes.data() + 8 * i, 8));
  return Status::Ok();
}

Status AppendDoubles(const Field& field, std::vector<double>* out) {
  std::vector<uint64_t> bits;
  RETURN_IF_ERROR(AppendFixed64s(field, &bits));
  out->reserve(out->size() + bits.size());
  for (uint64_t b : bits) {
    double d;
    std::memcpy(&d, &b, 8);
    out->push_back(d);
  }
  return Status::Ok();
}

Status AppendVarints(const Field& field, std::vector<uint64_t>* out) {
  if (field.type == WireType::kVarint) {
    out->push_back(field.scalar);
    return Status::Ok();
  }
  if (field.type != WireType::kLengthDelimited) {
    return WrongType(field, "varint or packed varint");
  }
  std::string_view in = field.bytes;
  while (!in.empty()) {
    uint64_t v;
    Status st = ParseVarint(&in, &v);
    if (!st.ok()) {
      return st.Annotate("packed field " + std::to_string(field.number));
    }
    out->push_back(v);
  }
  return Status::Ok();
}

}  // namespace quartet::protobuf

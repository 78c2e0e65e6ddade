#include "wire/otlp/model.h"

#include <utility>

namespace quartet::otlp {

AnyValue AnyValue::String(std::string v) {
  AnyValue a;
  a.type = Type::kString;
  a.string_value = std::move(v);
  return a;
}
AnyValue AnyValue::Bytes(std::string v) {
  AnyValue a;
  a.type = Type::kBytes;
  a.string_value = std::move(v);
  return a;
}
AnyValue AnyValue::Bool(bool v) {
  AnyValue a;
  a.type = Type::kBool;
  a.bool_value = v;
  return a;
}
AnyValue AnyValue::Int(int64_t v) {
  AnyValue a;
  a.type = Type::kInt;
  a.int_value = v;
  return a;
}
AnyValue AnyValue::Double(double v) {
  AnyValue a;
  a.type = Type::kDouble;
  a.double_value = v;
  return a;
}
AnyValue AnyValue::Array(std::vector<AnyValue> v) {
  AnyValue a;
  a.type = Type::kArray;
  a.array_value = std::move(v);
  return a;
}
AnyValue AnyValue::KvList(std::vector<KeyValue> v) {
  AnyValue a;
  a.type = Type::kKvList;
  a.kvlist_value = std::move(v);
  return a;
}

bool operator==(const AnyValue& a, const AnyValue& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case AnyValue::Type::kEmpty:
      return true;
    case AnyValue::Type::kString:
    case AnyValue::Type::kBytes:
      return a.string_value == b.string_value;
    case AnyValue::Type::kBool:
      return a.bool_value == b.bool_value;
    case AnyValue::Type::kInt:
      return a.int_value == b.int_value;
    case AnyValue::Type::kDouble:
      return a.double_value == b.double_value;
    case AnyValue::Type::kArray:
      return a.array_value == b.array_value;
    case AnyValue::Type::kKvList:
      return a.kvlist_value == b.kvlist_value;
  }
  return false;
}

const AnyValue* FindAttribute(const std::vector<KeyValue>& attributes, std::string_view key) {
  for (const KeyValue& kv : attributes) {
    if (kv.key == key) return &kv.value;
  }
  return nullptr;
}

}  // namespace quartet::otlp

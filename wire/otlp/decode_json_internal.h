// Internal to wire/otlp: helpers shared by the OTLP/JSON decoders. Same error
// convention as decode_internal.h ("<path>: <problem>", nested with Nest).
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "wire/json/json_value.h"
#include "wire/otlp/decode_internal.h"
#include "wire/otlp/model.h"

namespace quartet::otlp::internal {

using json::Value;

// Each getter reads member `key` of object `obj`; a missing or null member
// leaves *out unchanged. Errors are "key: <problem>".
Status JsonString(const Value& obj, std::string_view key, std::string* out);
Status JsonBool(const Value& obj, std::string_view key, bool* out);
Status JsonInt64(const Value& obj, std::string_view key, int64_t* out);
Status JsonUint64(const Value& obj, std::string_view key, uint64_t* out);
Status JsonUint32(const Value& obj, std::string_view key, uint32_t* out);
Status JsonInt32(const Value& obj, std::string_view key, int32_t* out);
Status JsonDouble(const Value& obj, std::string_view key, double* out);
Status JsonOptionalDouble(const Value& obj, std::string_view key, std::optional<double>* out);
// The same conversions for a value itself (an array element); errors are
// "name: <problem>".
Status JsonUint64Value(const Value& v, std::string_view name, uint64_t* out);
Status JsonDoubleValue(const Value& v, std::string_view name, double* out);
// Hex id of n bytes; "" or missing means absent (zero) when allow_empty.
Status JsonId(const Value& obj, std::string_view key, uint8_t* out, size_t n, bool allow_empty);

// Calls each(item, index) for every element of array member `key`; errors
// come back prefixed with "key[index]".
template <typename Fn>
Status JsonEach(const Value& obj, std::string_view key, Fn&& each) {
  const Value* arr = obj.Find(key);
  if (arr == nullptr || arr->is_null()) return Status::Ok();
  if (!arr->is_array()) return Status::InvalidArgument(std::string(key) + ": must be an array");
  for (size_t i = 0; i < arr->items().size(); ++i) {
    Status st = each(arr->items()[i]);
    if (!st.ok()) return NestIndex(key, i, st);
  }
  return Status::Ok();
}

// Calls fn(member) when object member `key` is present and not null; errors
// come back prefixed with "key".
template <typename Fn>
Status JsonObject(const Value& obj, std::string_view key, Fn&& fn) {
  const Value* v = obj.Find(key);
  if (v == nullptr || v->is_null()) return Status::Ok();
  Status st = v->is_object() ? fn(*v) : Status::InvalidArgument(": must be an object");
  return st.ok() ? st : Nest(key, st);
}

// Checks that v is an object (array elements must be).
Status ExpectObject(const Value& v);

Status JsonAnyValue(const Value& v, int depth, AnyValue* out);
Status JsonKeyValues(const Value& obj, std::string_view key, std::vector<KeyValue>* out);
Status JsonResource(const Value& v, Resource* out);
Status JsonScope(const Value& v, InstrumentationScope* out);

// Parses the body; the top level must be an object.
Result<Value> ParseJsonBody(std::string_view json);

}  // namespace quartet::otlp::internal

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string>

#include "base/base64.h"
#include "base/hex.h"
#include "wire/json/json_parser.h"
#include "wire/otlp/decode_json_internal.h"

namespace quartet::otlp::internal {
namespace {

// AnyValue arrays/kvlists nested deeper than this are refused (the JSON
// parser bounds raw depth too; this keeps the model shallow).
constexpr int kMaxAnyValueDepth = 32;

Status Bad(std::string_view key, std::string_view problem) {
  return Status::InvalidArgument(std::string(key) + ": " + std::string(problem));
}

const Value* Member(const Value& obj, std::string_view key) {
  const Value* v = obj.Find(key);
  return (v == nullptr || v->is_null()) ? nullptr : v;
}

// The decimal text of an integer given as a JSON number or string.
bool IntegerText(const Value& v, std::string_view* text) {
  if (v.is_string()) {
    *text = v.string_value();
    return true;
  }
  if (v.is_number() && !v.number_text().empty()) {
    *text = v.number_text();
    return true;
  }
  return false;
}

template <typename T>
Status ParseInteger(const Value& v, std::string_view key, T* out) {
  if (v.is_number() && v.number_text().empty()) {
    // A number made in code rather than parsed: only int values are usable.
    if (!v.int_value()) return Bad(key, "must be an integer");
    *out = static_cast<T>(*v.int_value());
    return Status::Ok();
  }
  std::string_view text;
  if (!IntegerText(v, &text)) return Bad(key, "must be an integer (number or decimal string)");
  T value{};
  auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc::result_out_of_range) return Bad(key, "integer out of range");
  if (ec != std::errc() || ptr != text.data() + text.size() || text.empty()) {
    return Bad(key, "must be an integer, got \"" + std::string(text.substr(0, 32)) + "\"");
  }
  *out = value;
  return Status::Ok();
}

template <typename T>
Status ParseIntegerMember(const Value& obj, std::string_view key, T* out) {
  const Value* v = Member(obj, key);
  return v == nullptr ? Status::Ok() : ParseInteger(*v, key, out);
}

}  // namespace

Status ExpectObject(const Value& v) {
  return v.is_object() ? Status::Ok() : Status::InvalidArgument(": must be an object");
}

Status JsonString(const Value& obj, std::string_view key, std::string* out) {
  const Value* v = Member(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_string()) return Bad(key, "must be a string");
  *out = v->string_value();
  return Status::Ok();
}

Status JsonBool(const Value& obj, std::string_view key, bool* out) {
  const Value* v = Member(obj, key);
  if (v == nullptr) return Status::Ok();
  if (!v->is_bool()) return Bad(key, "must be true or false");
  *out = v->bool_value();
  return Status::Ok();
}

Status JsonInt64(const Value& obj, std::string_view key, int64_t* out) {
  return ParseIntegerMember(obj, key, out);
}
Status JsonUint64(const Value& obj, std::string_view key, uint64_t* out) {
  return ParseIntegerMember(obj, key, out);
}
Status JsonUint32(const Value& obj, std::string_view key, uint32_t* out) {
  return ParseIntegerMember(obj, key, out);
}
Status JsonInt32(const Value& obj, std::string_view key, int32_t* out) {
  return ParseIntegerMember(obj, key, out);
}

Status JsonDoubleValue(const Value& v, std::string_view key, double* out) {
  if (v.is_number()) {
    *out = v.double_value();
    return Status::Ok();
  }
  if (!v.is_string()) return Bad(key, "must be a number");
  const std::string& s = v.string_value();
  if (s == "NaN") {
    *out = std::numeric_limits<double>::quiet_NaN();
  } else if (s == "Infinity") {
    *out = std::numeric_limits<double>::infinity();
  } else if (s == "-Infinity") {
    *out = -std::numeric_limits<double>::infinity();
  } else {
    double d = 0;
    auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), d);
    if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) {
      return Bad(key, "must be a number");
    }
    *out = d;
  }
  return Status::Ok();
}

Status JsonUint64Value(const Value& v, std::string_view key, uint64_t* out) {
  return ParseInteger(v, key, out);
}

Status JsonDouble(const Value& obj, std::string_view key, double* out) {
  const Value* v = Member(obj, key);
  return v == nullptr ? Status::Ok() : JsonDoubleValue(*v, key, out);
}

Status JsonOptionalDouble(const Value& obj, std::string_view key, std::optional<double>* out) {
  if (Member(obj, key) == nullptr) return Status::Ok();
  double d = 0;
  RETURN_IF_ERROR(JsonDouble(obj, key, &d));
  *out = d;
  return Status::Ok();
}

Status JsonId(const Value& obj, std::string_view key, uint8_t* out, size_t n, bool allow_empty) {
  const Value* v = Member(obj, key);
  if (v != nullptr && !v->is_string()) return Bad(key, "must be a hex string");
  std::string_view hex = v ? std::string_view(v->string_value()) : std::string_view();
  if (hex.empty() && allow_empty) {
    std::fill(out, out + n, 0);
    return Status::Ok();
  }
  if (hex.size() != 2 * n) {
    return Bad(key, "must be " + std::to_string(2 * n) + " hex digits, got " +
                        std::to_string(hex.size()) + " chars");
  }
  if (!HexDecode(hex, out, n)) return Bad(key, "must be hex digits");
  return Status::Ok();
}

Status JsonAnyValue(const Value& v, int depth, AnyValue* out) {
  RETURN_IF_ERROR(ExpectObject(v));
  if (depth > kMaxAnyValueDepth) {
    return Status::InvalidArgument(": values nested deeper than " +
                                   std::to_string(kMaxAnyValueDepth));
  }
  // The oneof: the last member present wins, like protobuf's last-one-wins.
  for (const json::Member& m : v.members()) {
    if (m.value.is_null()) continue;
    const std::string& k = m.key;
    if (k == "stringValue") {
      out->type = AnyValue::Type::kString;
      RETURN_IF_ERROR(JsonString(v, k, &out->string_value));
    } else if (k == "boolValue") {
      out->type = AnyValue::Type::kBool;
      RETURN_IF_ERROR(JsonBool(v, k, &out->bool_value));
    } else if (k == "intValue") {
      out->type = AnyValue::Type::kInt;
      RETURN_IF_ERROR(JsonInt64(v, k, &out->int_value));
    } else if (k == "doubleValue") {
      out->type = AnyValue::Type::kDouble;
      RETURN_IF_ERROR(JsonDouble(v, k, &out->double_value));
    } else if (k == "bytesValue") {
      out->type = AnyValue::Type::kBytes;
      if (!m.value.is_string() || !Base64Decode(m.value.string_value(), &out->string_value)) {
        return Bad(k, "must be a base64 string");
      }
    } else if (k == "arrayValue") {
      out->type = AnyValue::Type::kArray;
      out->array_value.clear();
      RETURN_IF_ERROR(JsonObject(v, k, [&](const Value& arr) {
        return JsonEach(arr, "values", [&](const Value& item) {
          out->array_value.emplace_back();
          return JsonAnyValue(item, depth + 1, &out->array_value.back());
        });
      }));
    } else if (k == "kvlistValue") {
      out->type = AnyValue::Type::kKvList;
      out->kvlist_value.clear();
      RETURN_IF_ERROR(JsonObject(v, k, [&](const Value& list) {
        return JsonEach(list, "values", [&](const Value& item) {
          RETURN_IF_ERROR(ExpectObject(item));
          out->kvlist_value.emplace_back();
          KeyValue& kv = out->kvlist_value.back();
          RETURN_IF_ERROR(JsonString(item, "key", &kv.key));
          return JsonObject(item, "value", [&](const Value& value) {
            return JsonAnyValue(value, depth + 1, &kv.value);
          });
        });
      }));
    }
  }
  return Status::Ok();
}

Status JsonKeyValues(const Value& obj, std::string_view key, std::vector<KeyValue>* out) {
  return JsonEach(obj, key, [&](const Value& item) {
    RETURN_IF_ERROR(ExpectObject(item));
    out->emplace_back();
    KeyValue& kv = out->back();
    RETURN_IF_ERROR(JsonString(item, "key", &kv.key));
    return JsonObject(item, "value",
                      [&](const Value& value) { return JsonAnyValue(value, 0, &kv.value); });
  });
}

Status JsonResource(const Value& v, Resource* out) {
  RETURN_IF_ERROR(JsonKeyValues(v, "attributes", &out->attributes));
  return JsonUint32(v, "droppedAttributesCount", &out->dropped_attributes_count);
}

Status JsonScope(const Value& v, InstrumentationScope* out) {
  RETURN_IF_ERROR(JsonString(v, "name", &out->name));
  RETURN_IF_ERROR(JsonString(v, "version", &out->version));
  RETURN_IF_ERROR(JsonKeyValues(v, "attributes", &out->attributes));
  return JsonUint32(v, "droppedAttributesCount", &out->dropped_attributes_count);
}

Result<Value> ParseJsonBody(std::string_view json) {
  auto doc = json::Parse(json);
  if (!doc.ok()) return doc.status();
  if (!doc->is_object()) return Status::InvalidArgument("request must be a JSON object");
  return std::move(doc).value();
}

}  // namespace quartet::otlp::internal

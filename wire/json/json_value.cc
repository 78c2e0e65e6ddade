#include "wire/json/json_value.h"

#include <cmath>

#include "wire/json/json_writer.h"

namespace quartet::json {

Value Value::Bool(bool b) {
  Value v;
  v.type_ = Type::kBool;
  v.bool_ = b;
  return v;
}

Value Value::Int(int64_t i) {
  Value v;
  v.type_ = Type::kNumber;
  v.has_int_ = true;
  v.int_ = i;
  v.double_ = static_cast<double>(i);
  return v;
}

Value Value::Double(double d) {
  Value v;
  v.type_ = Type::kNumber;
  v.double_ = d;
  return v;
}

Value Value::Number(std::string text, double d, std::optional<int64_t> i) {
  Value v;
  v.type_ = Type::kNumber;
  v.text_ = std::move(text);
  v.double_ = d;
  v.has_int_ = i.has_value();
  v.int_ = i.value_or(0);
  return v;
}

Value Value::String(std::string s) {
  Value v;
  v.type_ = Type::kString;
  v.text_ = std::move(s);
  return v;
}

Value Value::Array(std::vector<Value> items) {
  Value v;
  v.type_ = Type::kArray;
  v.items_ = std::move(items);
  return v;
}

Value Value::Object() { return Object(std::vector<Member>{}); }

Value Value::Object(std::vector<Member> members) {
  Value v;
  v.type_ = Type::kObject;
  v.members_ = std::move(members);
  return v;
}

const Value* Value::Find(std::string_view key) const {
  for (auto it = members_.rbegin(); it != members_.rend(); ++it) {
    if (it->key == key) return &it->value;
  }
  return nullptr;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type_ != b.type_) return false;
  switch (a.type_) {
    case Value::Type::kNull:
      return true;
    case Value::Type::kBool:
      return a.bool_ == b.bool_;
    case Value::Type::kNumber:
      if (a.has_int_ && b.has_int_) return a.int_ == b.int_;
      if (a.has_int_ != b.has_int_) return false;
      return a.double_ == b.double_ || (std::isnan(a.double_) && std::isnan(b.double_));
    case Value::Type::kString:
      return a.text_ == b.text_;
    case Value::Type::kArray:
      return a.items_ == b.items_;
    case Value::Type::kObject:
      return a.members_ == b.members_;
  }
  return false;
}

void Serialize(const Value& v, std::string* out) {
  switch (v.type()) {
    case Value::Type::kNull:
      out->append("null");
      break;
    case Value::Type::kBool:
      AppendBool(out, v.bool_value());
      break;
    case Value::Type::kNumber:
      if (!v.number_text().empty()) {
        out->append(v.number_text());
      } else if (v.int_value()) {
        AppendInt(out, *v.int_value());
      } else {
        AppendDouble(out, v.double_value());
      }
      break;
    case Value::Type::kString:
      AppendString(out, v.string_value());
      break;
    case Value::Type::kArray: {
      out->push_back('[');
      bool first = true;
      for (const Value& item : v.items()) {
        if (!first) out->push_back(',');
        first = false;
        Serialize(item, out);
      }
      out->push_back(']');
      break;
    }
    case Value::Type::kObject: {
      out->push_back('{');
      bool first = true;
      for (const Member& m : v.members()) {
        if (!first) out->push_back(',');
        first = false;
        AppendString(out, m.key);
        out->push_back(':');
        Serialize(m.value, out);
      }
      out->push_back('}');
      break;
    }
  }
}

std::string Serialize(const Value& v) {
  std::string out;
  Serialize(v, &out);
  return out;
}

}  // namespace quartet::json

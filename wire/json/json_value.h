// JsonValue: an in-memory JSON document (DOM) as the parser builds it.
// Objects keep their members in document order, duplicates included
// (Find returns the last, as JavaScript and Go readers do). Numbers keep their
// source text (so re-serializing loses nothing), the nearest double, and an
// int64 when the text is an integer literal that fits. Strings are always
// valid UTF-8 (see json_parser.h). A value is a plain owning tree: copy and
// move freely; thread-safe as values are.
//
//   ASSIGN_OR_RETURN(json::Value doc, json::Parse(body));
//   const json::Value* streams = doc.Find("streams");
//   if (streams == nullptr || !streams->is_array()) return Status::InvalidArgument(...);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace quartet::json {

struct Member;

class Value {
 public:
  enum class Type : uint8_t { kNull, kBool, kNumber, kString, kArray, kObject };

  // Special members are defined below Member: a vector of an incomplete
  // type may be declared here but not destroyed or copied (clang insists).
  Value();  // null
  ~Value();
  Value(const Value&);
  Value(Value&&) noexcept;
  Value& operator=(const Value&);
  Value& operator=(Value&&) noexcept;
  static Value Null() { return Value(); }
  static Value Bool(bool b);
  static Value Int(int64_t v);
  static Value Double(double v);  // NaN/infinite values serialize as strings
  // A number from validated JSON number text (the parser's constructor).
  static Value Number(std::string text, double d, std::optional<int64_t> i);
  static Value String(std::string s);
  static Value Array(std::vector<Value> items = {});
  static Value Object();  // empty; an overload because Member is incomplete here
  static Value Object(std::vector<Member> members);

  Type type() const { return type_; }
  bool is_null() const { return type_ == Type::kNull; }
  bool is_bool() const { return type_ == Type::kBool; }
  bool is_number() const { return type_ == Type::kNumber; }
  bool is_string() const { return type_ == Type::kString; }
  bool is_array() const { return type_ == Type::kArray; }
  bool is_object() const { return type_ == Type::kObject; }

  bool bool_value() const { return bool_; }
  double double_value() const { return double_; }
  // Set when the number is an integer literal within int64 range.
  std::optional<int64_t> int_value() const { return has_int_ ? std::optional(int_) : std::nullopt; }
  // The number's source text (empty for Double()/Int() values made in code).
  const std::string& number_text() const { return text_; }
  const std::string& string_value() const { return text_; }
  const std::vector<Value>& items() const { return items_; }
  std::vector<Value>& items() { return items_; }
  const std::vector<Member>& members() const { return members_; }
  std::vector<Member>& members() { return members_; }

  // The last member named key, or null (also when this is not an object).
  const Value* Find(std::string_view key) const;

  // Structural equality; numbers compare by value (double, and int64 when
  // both have one), not by text, so 1.0 == 1.00.
  friend bool operator==(const Value& a, const Value& b);

 private:
  Type type_ = Type::kNull;
  bool bool_ = false;
  bool has_int_ = false;
  int64_t int_ = 0;
  double double_ = 0;
  std::string text_;  // string value, or number text
  std::vector<Value> items_;
  std::vector<Member> members_;
};

struct Member {
  std::string key;
  Value value;
  friend bool operator==(const Member&, const Member&) = default;
};

inline Value::Value() = default;
inline Value::~Value() = default;
inline Value::Value(const Value&) = default;
inline Value::Value(Value&&) noexcept = default;
inline Value& Value::operator=(const Value&) = default;
inline Value& Value::operator=(Value&&) noexcept = default;

// Appends compact JSON for v (no whitespace). Numbers from the parser are
// written as their source text; strings via AppendString (json_writer.h).
void Serialize(const Value& v, std::string* out);
std::string Serialize(const Value& v);

}  // namespace quartet::json

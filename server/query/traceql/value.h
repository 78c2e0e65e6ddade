// TraceQL literal values and comparison operators: the Value a condition
// compares against (string, int, float, bool, duration, status or kind
// literal, or nil), the Op enum, and the canonical text of each. Values are
// plain data: copy freely, no synchronization. The language is described in
// docs/traceql.md.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quartet::traceql {

// Comparison operators of a condition `field op literal`.
enum class Op : uint8_t { kEq, kNeq, kLt, kLte, kGt, kGte, kRegex, kNotRegex };

// "=", "!=", "<", "<=", ">", ">=", "=~", "!~".
std::string_view OpText(Op op);

// Span status codes as TraceQL spells them (values match OTLP's codes).
enum class StatusLiteral : uint8_t { kUnset = 0, kOk = 1, kError = 2 };
// Span kinds as TraceQL spells them (values match OTLP's SpanKind).
enum class KindLiteral : uint8_t {
  kUnspecified = 0,
  kInternal = 1,
  kServer = 2,
  kClient = 3,
  kProducer = 4,
  kConsumer = 5
};

// A literal. Only the member named by `type` is meaningful: `i` holds ints,
// durations (nanoseconds), status and kind codes; `f` floats; `b` bools; `s`
// strings. Int, float and duration form the numeric class and compare with
// each other by value (durations as nanoseconds).
struct Value {
  enum class Type : uint8_t { kNil, kString, kInt, kFloat, kBool, kDuration, kStatus, kKind };

  Type type = Type::kNil;
  bool b = false;
  int64_t i = 0;
  double f = 0;
  std::string s;

  static Value Nil() { return {}; }
  static Value String(std::string v);
  static Value Int(int64_t v);
  static Value Float(double v);
  static Value Bool(bool v);
  static Value Duration(int64_t nanos);
  static Value Status(StatusLiteral v);
  static Value Kind(KindLiteral v);

  bool is_numeric() const {
    return type == Type::kInt || type == Type::kFloat || type == Type::kDuration;
  }
  // The numeric value as a double (ints and durations converted).
  double AsDouble() const { return type == Type::kFloat ? f : static_cast<double>(i); }

  // Compares the active member only.
  friend bool operator==(const Value& a, const Value& b);
};

// Canonical TraceQL text of a literal: "a\"b", 42, 1.5, true, 150ms, error,
// server, nil. Parsing the text gives back an equal Value.
std::string ValueToString(const Value& v);
void AppendQuoted(std::string_view s, std::string* out);
// Durations in the largest unit that divides them exactly: 90s, 1500ms, 1h.
std::string DurationToString(int64_t nanos);

std::string_view StatusName(StatusLiteral s);
std::string_view KindName(KindLiteral k);

}  // namespace quartet::traceql

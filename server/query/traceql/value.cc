#include "server/query/traceql/value.h"

#include <charconv>
#include <cmath>
#include <utility>

namespace quartet::traceql {

std::string_view OpText(Op op) {
  switch (op) {
    case Op::kEq:
      return "=";
    case Op::kNeq:
      return "!=";
    case Op::kLt:
      return "<";
    case Op::kLte:
      return "<=";
    case Op::kGt:
      return ">";
    case Op::kGte:
      return ">=";
    case Op::kRegex:
      return "=~";
    case Op::kNotRegex:
      return "!~";
  }
  return "?";
}

Value Value::String(std::string v) {
  Value out;
  out.type = Type::kString;
  out.s = std::move(v);
  return out;
}
Value Value::Int(int64_t v) {
  Value out;
  out.type = Type::kInt;
  out.i = v;
  return out;
}
Value Value::Float(double v) {
  Value out;
  out.type = Type::kFloat;
  out.f = v;
  return out;
}
Value Value::Bool(bool v) {
  Value out;
  out.type = Type::kBool;
  out.b = v;
  return out;
}
Value Value::Duration(int64_t nanos) {
  Value out;
  out.type = Type::kDuration;
  out.i = nanos;
  return out;
}
Value Value::Status(StatusLiteral v) {
  Value out;
  out.type = Type::kStatus;
  out.i = static_cast<int64_t>(v);
  return out;
}
Value Value::Kind(KindLiteral v) {
  Value out;
  out.type = Type::kKind;
  out.i = static_cast<int64_t>(v);
  return out;
}

bool operator==(const Value& a, const Value& b) {
  if (a.type != b.type) return false;
  switch (a.type) {
    case Value::Type::kNil:
      return true;
    case Value::Type::kString:
      return a.s == b.s;
    case Value::Type::kBool:
      return a.b == b.b;
    case Value::Type::kFloat:
      // Bitwise-equal doubles, so that the printer round trip is checkable.
      return a.f == b.f || (std::isnan(a.f) && std::isnan(b.f));
    default:
      return a.i == b.i;
  }
}

std::string_view StatusName(StatusLiteral s) {
  switch (s) {
    case StatusLiteral::kUnset:
      return "unset";
    case StatusLiteral::kOk:
      return "ok";
    case StatusLiteral::kError:
      return "error";
  }
  return "unset";
}

std::string_view KindName(KindLiteral k) {
  switch (k) {
    case KindLiteral::kUnspecified:
      return "unspecified";
    case KindLiteral::kInternal:
      return "internal";
    case KindLiteral::kServer:
      return "server";
    case KindLiteral::kClient:
      return "client";
    case KindLiteral::kProducer:
      return "producer";
    case KindLiteral::kConsumer:
      return "consumer";
  }
  return "unspecified";
}

void AppendQuoted(std::string_view s, std::string* out) {
  static constexpr char kHex[] = "0123456789abcdef";
  out->push_back('"');
  for (unsigned char c : s) {
    switch (c) {
      case '"':
        out->append("\\\"");
        break;
      case '\\':
        out->append("\\\\");
        break;
      case '\n':
        out->append("\\n");
        break;
      case '\r':
        out->append("\\r");
        break;
      case '\t':
        out->append("\\t");
        break;
      default:
        if (c < 0x20 || c == 0x7f) {
          out->append("\\x");
          out->push_back(kHex[c >> 4]);
          out->push_back(kHex[c & 15]);
        } else {
          out->push_back(static_cast<char>(c));
        }
    }
  }
  out->push_back('"');
}

std::string DurationToString(int64_t nanos) {
  struct Unit {
    uint64_t nanos;
    const char* name;
  };
  static constexpr Unit kUnits[] = {{3600000000000ull, "h"}, {60000000000ull, "m"},
                                    {1000000000ull, "s"},    {1000000ull, "ms"},
                                    {1000ull, "us"},         {1ull, "ns"}};
  // Magnitude as unsigned so that INT64_MIN has one too.
  uint64_t mag = nanos < 0 ? 0 - static_cast<uint64_t>(nanos) : static_cast<uint64_t>(nanos);
  std::string out = nanos < 0 ? "-" : "";
  if (mag == 0) return "0s";
  for (const Unit& u : kUnits) {
    if (mag % u.nanos == 0) {
      out += std::to_string(mag / u.nanos);
      out += u.name;
      return out;
    }
  }
  return out;  // unreachable: 1ns divides everything
}

std::string ValueToString(const Value& v) {
  switch (v.type) {
    case Value::Type::kNil:
      return "nil";
    case Value::Type::kString: {
      std::string out;
      AppendQuoted(v.s, &out);
      return out;
    }
    case Value::Type::kInt:
      return std::to_string(v.i);
    case Value::Type::kFloat: {
      char buf[64];
      auto res = std::to_chars(buf, buf + sizeof(buf), v.f);
      std::string out(buf, res.ptr);
      // Keep it a float when read back: "1" would lex as an int.
      if (out.find_first_of(".eEn") == std::string::npos) out += ".0";
      return out;
    }
    case Value::Type::kBool:
      return v.b ? "true" : "false";
    case Value::Type::kDuration:
      return DurationToString(v.i);
    case Value::Type::kStatus:
      return std::string(StatusName(static_cast<StatusLiteral>(v.i)));
    case Value::Type::kKind:
      return std::string(KindName(static_cast<KindLiteral>(v.i)));
  }
  return "nil";
}

}  // namespace quartet::traceql

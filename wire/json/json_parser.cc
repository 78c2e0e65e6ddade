#include "wire/json/json_parser.h"

#include <charconv>
#include <cmath>
#include <string>
#include <vector>

#include "wire/json/json_cursor.h"

namespace quartet::json {
namespace {

// The DOM over a JsonCursor: the grammar, limits, messages and repairs are
// the cursor's, so json::Parse and the schema decoders built on the cursor
// cannot drift apart.
class DomBuilder {
 public:
  DomBuilder(std::string_view text, const ParseOptions& options)
      : json_(text, options.max_depth, options.reject_invalid_utf8) {}

  Result<Value> Document() {
    json_.SkipSpace();
    Value v;
    if (!ValueAt(1, &v)) return json_.error();
    json_.SkipSpace();
    if (!json_.AtEnd()) {
      json_.Fail("expected end of input after the top-level value");
      return json_.error();
    }
    return v;
  }

 private:
  // The value here; a container would be at nesting level `depth`.
  bool ValueAt(int depth, Value* out) {
    if (json_.AtEnd()) return json_.Fail("expected a value");
    switch (json_.Peek()) {
      case '{': {
        std::vector<Member> members;
        if (!json_.Object(depth, [&](std::string_view key) {
              Member& m = members.emplace_back();
              m.key = std::string(key);
              return ValueAt(depth + 1, &m.value);
            })) {
          return false;
        }
        *out = Value::Object(std::move(members));
        return true;
      }
      case '[': {
        std::vector<Value> items;
        if (!json_.Array(depth,
                         [&](size_t) { return ValueAt(depth + 1, &items.emplace_back()); })) {
          return false;
        }
        *out = Value::Array(std::move(items));
        return true;
      }
      case '"': {
        std::string_view s;
        if (!json_.String(&s, &scratch_)) return false;
        *out = Value::String(std::string(s));
        return true;
      }
      case 't':
        *out = Value::Bool(true);
        return json_.Literal("true");
      case 'f':
        *out = Value::Bool(false);
        return json_.Literal("false");
      case 'n':
        *out = Value::Null();
        return json_.Literal("null");
      default:
        if (json_.AtNumber()) return NumberAt(out);
        return json_.Fail("expected a value");
    }
  }

  bool NumberAt(Value* out) {
    std::string_view text;
    bool integer;
    if (!json_.Number(&text, &integer)) return false;
    const char* end = text.data() + text.size();
    std::optional<int64_t> i;
    if (integer) {
      int64_t v;
      auto r = std::from_chars(text.data(), end, v);
      if (r.ec == std::errc() && r.ptr == end) i = v;
    }
    double d = 0;
    auto r = std::from_chars(text.data(), end, d);
    if (r.ec == std::errc::result_out_of_range) {
      // from_chars leaves d unspecified here; decide by the exponent's sign.
      const size_t e = text.find_first_of("eE");
      const bool tiny = e != std::string_view::npos && text.find('-', e) != std::string_view::npos;
      d = tiny ? 0.0 : HUGE_VAL;
      if (text[0] == '-') d = -d;
    }
    *out = Value::Number(std::string(text), d, i);
    return true;
  }

  JsonCursor json_;
  JsonScratch scratch_;
};

}  // namespace

Result<Value> Parse(std::string_view text, const ParseOptions& options) {
  if (text.size() > options.max_bytes) {
    return Status::ResourceExhausted("json: document is " + std::to_string(text.size()) +
                                     " bytes, limit is " + std::to_string(options.max_bytes));
  }
  DomBuilder builder(text, options);
  return builder.Document();
}

}  // namespace quartet::json

// Appending JSON tokens to a std::string: strings escaped so that ANY byte
// sequence yields valid JSON (quote, backslash and control characters
// escaped, ill-formed UTF-8 replaced by U+FFFD per utf8.h, valid multi-byte
// UTF-8 passed through unchanged), integers, and doubles in their shortest
// round-trip form. JSON has no NaN or infinities: they are written as the
// strings "NaN", "Infinity" and "-Infinity" (the spelling JavaScript's
// Number() and OTLP/JSON readers accept). No allocation beyond growing `out`.
// Pure functions; thread-safe.
//
//   std::string line = "{\"message\":";
//   json::AppendString(&line, user_text);
//   line += ",\"rows\":";
//   json::AppendInt(&line, 42);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quartet::json {

// Appends s as a quoted JSON string.
void AppendString(std::string* out, std::string_view s);
// Appends the escaped contents of s without the surrounding quotes.
void AppendEscaped(std::string* out, std::string_view s);
void AppendInt(std::string* out, int64_t v);
void AppendUint(std::string* out, uint64_t v);
// Shortest text that parses back to the same double; "NaN"/"Infinity" quoted.
void AppendDouble(std::string* out, double v);
inline void AppendBool(std::string* out, bool v) { out->append(v ? "true" : "false"); }

}  // namespace quartet::json

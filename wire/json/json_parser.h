// Parsing JSON text (RFC 8259) into a json::Value (json_value.h), for
// untrusted input such as OTLP/JSON bodies. The grammar is JsonCursor's
// (json_cursor.h), which schema decoders use without a DOM.
//
// Strict grammar: no comments, trailing commas, single quotes, NaN/Infinity
// literals, leading zeros, leading '+', unescaped control characters or byte
// order mark; exactly one value, surrounded only by JSON whitespace. Bounded:
// input size and nesting depth are limited by ParseOptions. Every error is a
// Status naming the byte offset and what was expected, e.g.
//   INVALID_ARGUMENT: json: offset 17: expected ',' or '}' in object, got 'x'
// (RESOURCE_EXHAUSTED when a limit is hit).
//
// Implementation-defined corners (the JSONTestSuite "i_" cases) are decided
// so that every accepted document has a valid-UTF-8 DOM:
//   - ill-formed UTF-8 in strings becomes U+FFFD (or is an error with
//     ParseOptions::reject_invalid_utf8);
//   - a \u escape naming a lone UTF-16 surrogate becomes U+FFFD;
//   - numbers too large for a double become +-infinity (their text is kept),
//     too small become 0; int_value() is only set for integer literals that
//     fit in int64.
// Stateless; thread-safe.
#pragma once

#include <cstddef>
#include <string_view>

#include "base/status.h"
#include "wire/json/json_value.h"

namespace quartet::json {

struct ParseOptions {
  size_t max_bytes = size_t{64} << 20;  // larger input -> RESOURCE_EXHAUSTED
  int max_depth = 128;                  // arrays/objects nested deeper -> RESOURCE_EXHAUSTED
  bool reject_invalid_utf8 = false;     // default: replace with U+FFFD
};

Result<Value> Parse(std::string_view text, const ParseOptions& options = {});

}  // namespace quartet::json

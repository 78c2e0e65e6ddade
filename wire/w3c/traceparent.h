// W3C Trace Context `traceparent` header: strict parsing and formatting.
// Spec: https://www.w3.org/TR/trace-context/ (section 3.2) and the conformance
// suite in w3c/trace-context test/. Pure functions; thread-safe.
//
//   Result<SpanContext> sc = ParseTraceparent(header);  // is_remote = true
//   char buf[kTraceparentSize]; FormatTraceparent(sc, buf);
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "base/status.h"
#include "quartet/context.h"

namespace quartet::w3c {

// "00-" + 32 + "-" + 16 + "-" + 2.
inline constexpr size_t kTraceparentSize = 55;

// Parses a traceparent value. Leading/trailing OWS (space, tab) is ignored.
// Version 00 must be exactly 55 chars; version ff is invalid; a higher version
// may carry more data after a '-' following the flags. Ids must be lowercase
// hex and not all zero. The result has is_remote = true and trace_flags as
// received (callers propagate only the sampled bit; see FormatTraceparent).
Result<SpanContext> ParseTraceparent(std::string_view value);

// Writes the version-00 form of `context` (55 chars, not NUL-terminated).
// Only the sampled flag is written; unknown flag bits are sent as 0.
void FormatTraceparent(const SpanContext& context, char* out);
std::string FormatTraceparent(const SpanContext& context);

// Strips leading and trailing spaces and tabs (HTTP OWS).
std::string_view TrimOws(std::string_view s);

}  // namespace quartet::w3c

// W3C Trace Context `tracestate` header: vendor key/value list validation.
// Spec: https://www.w3.org/TR/trace-context/ (section 3.3). A tracestate that
// breaks any rule (bad key or value, duplicate key, more than 32 members) is
// invalid as a whole: the caller drops it and keeps the traceparent.
// Pure functions; thread-safe.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::w3c {

inline constexpr size_t kMaxTraceStateMembers = 32;

struct TraceStateMember {
  std::string key;
  std::string value;
  friend bool operator==(const TraceStateMember&, const TraceStateMember&) = default;
};

// Simple keys `lcalpha *255(lcalpha / DIGIT / "_" / "-" / "*" / "/")` and
// multi-tenant keys `tenant@system` (tenant <= 241, system <= 14 chars).
bool IsValidTraceStateKey(std::string_view key);
// 1-256 printable ASCII chars except ',' and '='; the last one not a space.
bool IsValidTraceStateValue(std::string_view value);

// Parses a tracestate value; several received headers are joined with ','
// before parsing. Empty members and OWS around members are allowed.
Result<std::vector<TraceStateMember>> ParseTraceState(std::string_view value);

// "k1=v1,k2=v2": the members in order, without whitespace.
std::string FormatTraceState(const std::vector<TraceStateMember>& members);

// Parse + Format: the canonical form of a valid header ("" when it has no
// members), or the parse error.
Result<std::string> NormalizeTraceState(std::string_view value);

}  // namespace quartet::w3c

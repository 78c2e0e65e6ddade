// Rendering one log record as its JSON line (format in include/quartet/log.h
// and docs/formats/log_lines.md). Used by the pipeline's writer thread and by
// the synchronous pre-Init logger. Pure functions over caller-owned buffers;
// thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "quartet/context.h"
#include "quartet/log.h"

namespace quartet::log_internal {

struct LineFields {
  int64_t time_unix_nano = 0;
  LogLevel level = LogLevel::kInfo;
  std::string_view message;
  std::string_view service_json;  // the service name already JSON-quoted
  std::string_view bound_json;    // BoundAttrs::json, or empty
  std::span<const LogAttr> attrs;
  bool has_span = false;
  TraceId trace_id;
  SpanId span_id;
  bool sampled = false;
  std::string_view request_id;
};

// Appends the line, '\n' included.
void AppendLogLine(const LineFields& f, std::string* out);

// Appends ,"key":value (the key renamed "attr.<key>" if it is reserved).
void AppendAttr(const LogAttr& attr, std::string* out);

// Appends "YYYY-MM-DDTHH:MM:SS.nnnnnnnnnZ" (quoted) for a UTC instant.
void AppendRfc3339Nanos(int64_t unix_nanos, std::string* out);

// The 8 bytes of a non-string attribute's value, and the inverse: rebuilds
// an attribute from its type, key, string (kString) or bits (others).
uint64_t AttrBits(const LogAttr& attr);
LogAttr MakeAttr(LogAttr::Type type, std::string_view key, std::string_view str, uint64_t bits);

// True for the keys the line format owns (time, level, message, ...).
bool IsReservedKey(std::string_view key);

}  // namespace quartet::log_internal

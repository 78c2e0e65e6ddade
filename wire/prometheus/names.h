// What Prometheus accepts as metric names, label names and label values,
// shared by the exposition parser and the remote_write decoder. Legacy
// (pre-3.0) name rules: Prometheus 2.x validates names with these character
// sets; label values must be UTF-8 (Go's utf8.ValidString: no overlong forms,
// no surrogates, nothing past U+10FFFF).
// Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace quartet::prometheus {

// [a-zA-Z_:][a-zA-Z0-9_:]*
bool IsValidMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*
bool IsValidLabelName(std::string_view name);
bool IsValidUtf8(std::string_view s);

inline bool IsMetricNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
}
inline bool IsMetricNameChar(char c) { return IsMetricNameStart(c) || (c >= '0' && c <= '9'); }
inline bool IsLabelNameStart(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
inline bool IsLabelNameChar(char c) { return IsLabelNameStart(c) || (c >= '0' && c <= '9'); }

}  // namespace quartet::prometheus

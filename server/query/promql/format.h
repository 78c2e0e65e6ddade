// Text forms Prometheus (Go) uses and PromQL must reproduce: floats as
// strconv.FormatFloat(f, 'f', -1, 64), durations as model.Duration prints
// them, strings as strconv.Quote, and the string/number parsing of Go that
// PromQL inherits (strconv.ParseFloat, ParseInt base 0, Unquote). Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quartet::promql {

// Shortest round-trip decimal without exponent; "NaN", "+Inf", "-Inf".
std::string FormatFloat(double v);
// "1h30m", "5m", "1d", "100ms", "0s"; negative as "-5m".
std::string FormatDuration(int64_t ms);
// Parses a Prometheus duration ("1h30m", "2d", "100ms"); nullopt if invalid.
std::optional<int64_t> ParseDurationMs(std::string_view s);
// Double-quoted with Go escapes.
std::string GoQuote(std::string_view s);
// Unquotes a "...", '...' or `...` literal as Prometheus's strutil.Unquote.
std::optional<std::string> GoUnquote(std::string_view s);
// strconv.ParseFloat(s, 64) (accepts inf/infinity/nan in any case, signs,
// hex floats with a p exponent); nullopt on syntax error.
std::optional<double> GoParseFloat(std::string_view s);
// strconv.ParseInt(s, 0, 64): 0x, 0o, 0b prefixes and leading-0 octal.
std::optional<int64_t> GoParseInt(std::string_view s);

}  // namespace quartet::promql

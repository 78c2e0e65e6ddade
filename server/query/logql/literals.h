// Literal syntaxes shared by the LogQL parser, printer and pipeline: durations
// (`5m`, `1h30m`, `250ms`, Go's `1.5s`), byte sizes (`10KB`, `1.5MiB`), numbers
// and quoted strings. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace quartet::logql {

// Parses a duration such as "1h30m", "1.5s", "250ms", "2d", "1w" into
// nanoseconds. Units: ns, us, µs, ms, s, m, h, d, w, y; a leading '-' is
// allowed. nullopt when malformed or overflowing.
std::optional<int64_t> ParseDuration(std::string_view s);
// Formats nanoseconds canonically: "5m", "1h30m", "1s500ms", "0s".
std::string FormatDuration(int64_t ns);
// Parses a byte size: "10KB" (1000-based), "10KiB" (1024-based), "5B", "1.5mb",
// a bare number means bytes. nullopt when malformed.
std::optional<double> ParseBytes(std::string_view s);
// Parses a whole string as a finite or infinite double ("1.5", "-2", "1e3",
// "+Inf", "NaN"). nullopt when anything is left over.
std::optional<double> ParseNumber(std::string_view s);
// Shortest text that reads back as the same double ("500", "0.25", "+Inf").
std::string FormatNumber(double v);
// A double-quoted string with Go escapes; Unquote accepts what Quote emits.
std::string Quote(std::string_view s);

}  // namespace quartet::logql

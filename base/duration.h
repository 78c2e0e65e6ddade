// Durations as people and Prometheus/Go write them: "5m", "1h30m", "1.5s",
// "250ms", "10us", "2d", "1w", "1y", or a plain number of seconds ("30",
// "0.5"). Used by the query APIs' parameters and quartetd's config.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace quartet {

// Nanoseconds; negative or overflowing durations are InvalidArgument naming
// the text.
Result<int64_t> ParseDuration(std::string_view text);

}  // namespace quartet

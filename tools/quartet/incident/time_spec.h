// The times `quartet incident` accepts: unix seconds ("1764151200", decimals
// allowed), RFC 3339 ("2026-11-26T10:00:00Z", "...+01:00", fractions), and
// relative to now ("now", "now-15m", "now-1h30m"; units s, m, h, d). Pure
// functions; thread-safe.
#pragma once

#include <cstdint>
#include <string_view>

#include "base/status.h"

namespace quartet::cli {

// Unix nanoseconds; InvalidArgument quoting the text when it does not parse.
Result<int64_t> ParseTimeSpec(std::string_view text, int64_t now_ns);

// RFC 3339 only (as Prometheus's activeAt); used for alerts.
Result<int64_t> ParseRfc3339(std::string_view text);

}  // namespace quartet::cli

// Parsing of query-API parameters the way Prometheus, Loki and Tempo read
// them: times as unix seconds (with decimals), unix nanoseconds (Loki: any
// integer of 13+ digits is ns... see ParseTime), or RFC 3339; durations as Go
// durations ("1h30m", "250ms") or float seconds; and the bad_data error
// message naming the parameter. Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "base/duration.h"
#include "base/status.h"
#include "server/http/http_message.h"

namespace quartet::api {

// A point in time, unix nanoseconds, from:
//   - an integer: seconds when it has at most 10 digits, else nanoseconds
//     (Loki accepts both; 1e10 s is the year 2286);
//   - a decimal number: seconds ("1700000000.5");
//   - RFC 3339 ("2026-11-25T10:00:00Z", "...+01:00", fractional seconds).
// InvalidArgument names the text.
Result<int64_t> ParseTime(std::string_view text);

// Parameter `name` of `request` parsed with ParseTime, or `fallback` when
// absent; errors name the parameter: `invalid parameter "start": ...`.
Result<int64_t> TimeParam(const server::HttpRequest& request, std::string_view name,
                          int64_t fallback);
Result<int64_t> DurationParam(const server::HttpRequest& request, std::string_view name,
                              int64_t fallback);
// A non-negative integer parameter.
Result<int64_t> IntParam(const server::HttpRequest& request, std::string_view name,
                         int64_t fallback);
// An integer parameter of either sign, or nullopt when absent or empty.
Result<std::optional<int64_t>> OptionalIntParam(const server::HttpRequest& request,
                                                std::string_view name);

// Prometheus/Loki JSON error: {"status":"error","errorType":type,"error":msg}.
server::HttpResponse ApiError(int status, std::string_view error_type, std::string_view message);
// {"status":"success","data":<data_json>}
server::HttpResponse ApiSuccess(std::string data_json);

// Seconds with up to 9 decimals, as JSON numbers in Prometheus responses
// ("1700000000.123"), trailing zeros dropped.
void AppendUnixSeconds(std::string* out, int64_t ns);

}  // namespace quartet::api

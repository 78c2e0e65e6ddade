// Number formatting for the Prometheus text formats: floats the way the
// Prometheus Go client prints them (shortest round-trip, Go's %g layout,
// "+Inf"/"-Inf"/"NaN"), OpenMetrics' variant that keeps a ".0" on integral
// floats, and exact decimal seconds for nanosecond timestamps.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>

namespace quartet::prometheus {

// Appends `v` as Go's strconv.FormatFloat(v, 'g', -1, 64) does: the shortest
// decimal that reads back to the same double, in exponent form ("1e+06",
// "1.5e-05") when the decimal exponent is < -4 or >= 6, as Go decides for the
// shortest precision. Infinities are "+Inf"/"-Inf", not-a-number is "NaN".
void AppendGoFloat(double v, std::string* out);

// As AppendGoFloat, but integral values keep a trailing ".0" ("1.0", "10.0")
// as OpenMetrics' canonical numbers and the Go client's OpenMetrics writer do.
void AppendOpenMetricsFloat(double v, std::string* out);

// Appends an unsigned integer in decimal.
void AppendUint(uint64_t v, std::string* out);

// Appends `unix_nanos` as decimal seconds with up to 9 fractional digits and
// no trailing zeros ("1700000000.5", "1700000000"). Exact: no float rounding.
void AppendUnixSeconds(int64_t unix_nanos, std::string* out);

}  // namespace quartet::prometheus

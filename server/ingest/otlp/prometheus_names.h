// How OTLP metric names, units and attribute keys become Prometheus metric
// and label names, as the OpenTelemetry "Prometheus and OpenMetrics
// compatibility" specification and Prometheus's own OTLP receiver (the
// prometheusremotewrite translator, with metric suffixes on) do it:
//   - the name is split into words at every character that is not a letter
//     or digit, and the words joined with '_' ("http.server.request.duration"
//     -> "http_server_request_duration");
//   - the unit adds suffix words unless the name already has them: the main
//     unit through a table ("s" -> "seconds", "By" -> "bytes", "1" -> none,
//     units in {braces} -> none, others cleaned up as words), a "/unit"
//     adds "per_<unit>" ("/s" -> "per_second");
//   - monotonic sums end in "_total" (an existing "total" word moves to the
//     end), gauges with unit "1" in "_ratio";
//   - a leading digit gets a '_' in front.
// Label names: every character outside [a-zA-Z0-9_] becomes '_'; a leading
// digit gets "key_", a single leading '_' gets "key" ("__x" is kept).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "wire/otlp/model.h"

namespace quartet::ingest {

// The Prometheus name of `metric` (before any _bucket/_sum/_count suffix).
// Empty when the name has no letter or digit at all.
std::string PrometheusMetricName(const otlp::Metric& metric);

// The Prometheus unit word of an OTLP unit ("s" -> "seconds", "By/s" ->
// "bytes_per_second", "1" -> "ratio"... for gauges only; "" when none). Used
// for the metadata's unit, which must be a suffix of the name.
std::string PrometheusUnit(std::string_view otel_unit, bool ratio_allowed);

// The Prometheus label name of an attribute key ("http.route" ->
// "http_route", "1st" -> "key_1st", "_x" -> "key_x").
std::string PrometheusLabelName(std::string_view key);

// A float as a label value, like Go's strconv.FormatFloat(v, 'f', -1, 64):
// the shortest decimal that reads back to `v`, never in exponent form
// ("0.005", "1000000", "+Inf"). For `le` and `quantile`.
std::string FormatLabelFloat(double v);

}  // namespace quartet::ingest

// Server-relative links from a report finding to its evidence: the UI views
// (ui/src/routes.ts: /ui/explore/traces, /ui/trace/<id>, /ui/explore/logs,
// /ui/explore/metrics, with from/to as unix seconds) and the API queries
// behind them (Tempo search, links API, Grafana annotations). Also the
// quoting of values inside TraceQL, LogQL and PromQL. Pure functions;
// thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "quartet/context.h"

namespace quartet::incident {

// Percent-encodes everything but RFC 3986 unreserved characters.
std::string UrlEncode(std::string_view s);
// A double-quoted string literal for TraceQL, LogQL and PromQL (all three
// accept Go-style escapes of '"' and '\\'; control bytes as \n, \t, \xNN).
std::string QuoteQueryString(std::string_view s);
// A duration for TraceQL ("250ms", "1.5s", "800us").
std::string TraceQlDuration(int64_t ns);

std::string TracesView(std::string_view traceql, int64_t from_ns, int64_t to_ns);
std::string TempoSearch(std::string_view traceql, int64_t from_ns, int64_t to_ns);
std::string TraceView(const TraceId& trace, const SpanId& span);
std::string TraceLogsApi(const TraceId& trace);
std::string LogsView(std::string_view logql, int64_t from_ns, int64_t to_ns);
std::string MetricsView(std::string_view promql, int64_t from_ns, int64_t to_ns);
std::string AnnotationsApi(int64_t from_ns, int64_t to_ns);

}  // namespace quartet::incident

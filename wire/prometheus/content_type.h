// Content negotiation for /metrics: which exposition format a scraper asked
// for in its Accept header, and the exact Content-Type strings to answer with.
// Prometheus 2.42 sends
//   application/openmetrics-text;version=1.0.0,application/openmetrics-text;
//   version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1
// and gets OpenMetrics; curl's "*/*" or no header at all gets text 0.0.4.
// Pure functions; thread-safe.
#pragma once

#include <string_view>

namespace quartet::prometheus {

enum class Format { kText004, kOpenMetrics1 };

inline constexpr std::string_view kText004ContentType = "text/plain; version=0.0.4; charset=utf-8";
inline constexpr std::string_view kOpenMetricsContentType =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

// OpenMetrics when the header lists application/openmetrics-text (version
// 1.0.0, 0.0.1 or none) with a q-value above zero and at least as high as any
// range that would accept text 0.0.4 (text/plain, text/*, */*); otherwise
// text 0.0.4. Malformed parts are ignored, never an error: a scrape always
// gets an answer.
Format ChooseFormat(std::string_view accept_header);

std::string_view ContentType(Format format);

}  // namespace quartet::prometheus

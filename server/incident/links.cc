#include "server/incident/links.h"

#include <cstdio>

#include "server/query/traceql/value.h"

namespace quartet::incident {
namespace {

std::string Seconds(int64_t ns) { return std::to_string(ns / 1000000000); }
// The `to` end rounds up so the window's last partial second is included.
std::string SecondsUp(int64_t ns) { return std::to_string((ns + 999999999) / 1000000000); }

std::string WithRange(std::string path, std::string_view q, int64_t from_ns, int64_t to_ns,
                      const char* from_name, const char* to_name) {
  path += "?q=" + UrlEncode(q);
  path += std::string("&") + from_name + "=" + Seconds(from_ns);
  path += std::string("&") + to_name + "=" + SecondsUp(to_ns);
  return path;
}

}  // namespace

std::string UrlEncode(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(s.size() * 3);
  for (unsigned char c : s) {
    if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

// TraceQL's and LogQL's string literals take the same Go escapes.
std::string QuoteQueryString(std::string_view s) {
  std::string out;
  traceql::AppendQuoted(s, &out);
  return out;
}

std::string TraceQlDuration(int64_t ns) {
  if (ns >= 1000000000 && ns % 1000000 == 0) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%gs", static_cast<double>(ns) / 1e9);
    return buf;
  }
  if (ns >= 1000000) return std::to_string(ns / 1000000) + "ms";
  if (ns >= 1000) return std::to_string(ns / 1000) + "us";
  return std::to_string(ns) + "ns";
}

std::string TracesView(std::string_view traceql, int64_t from_ns, int64_t to_ns) {
  return WithRange("/ui/explore/traces", traceql, from_ns, to_ns, "from", "to");
}

std::string TempoSearch(std::string_view traceql, int64_t from_ns, int64_t to_ns) {
  return WithRange("/api/search", traceql, from_ns, to_ns, "start", "end") + "&limit=20";
}

std::string TraceView(const TraceId& trace, const SpanId& span) {
  std::string out = "/ui/trace/" + trace.ToHex();
  if (span.valid()) out += "?span=" + span.ToHex();
  return out;
}

std::string TraceLogsApi(const TraceId& trace) {
  return "/api/v1/traces/" + trace.ToHex() + "/logs";
}

std::string LogsView(std::string_view logql, int64_t from_ns, int64_t to_ns) {
  return WithRange("/ui/explore/logs", logql, from_ns, to_ns, "from", "to");
}

std::string MetricsView(std::string_view promql, int64_t from_ns, int64_t to_ns) {
  return WithRange("/ui/explore/metrics", promql, from_ns, to_ns, "from", "to");
}

std::string AnnotationsApi(int64_t from_ns, int64_t to_ns) {
  return "/api/annotations?from=" + std::to_string(from_ns / 1000000) +
         "&to=" + std::to_string(to_ns / 1000000);
}

}  // namespace quartet::incident

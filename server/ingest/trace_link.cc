#include "server/ingest/trace_link.h"

#include "base/hex.h"

namespace quartet::ingest {
namespace {

template <size_t N>
bool ParseId(std::string_view hex, std::array<uint8_t, N>* out) {
  std::array<uint8_t, N> bytes;
  if (hex.size() != 2 * N || !HexDecode(hex, bytes.data(), N)) return false;
  *out = bytes;
  return true;
}

// The value after `"key":"` (JSON) or `key=` (logfmt) in `line`, "" when
// absent. Only the first occurrence as a whole key counts.
std::string_view FindInLine(std::string_view line, std::string_view key, size_t hex_len) {
  for (size_t at = line.find(key); at != std::string_view::npos; at = line.find(key, at + 1)) {
    const bool quoted = at > 0 && line[at - 1] == '"';
    size_t value = at + key.size();
    if (quoted) {
      // "trace_id":"..." with optional spaces around the colon.
      if (value >= line.size() || line[value] != '"') continue;
      ++value;
      while (value < line.size() && line[value] == ' ') ++value;
      if (value >= line.size() || line[value] != ':') continue;
      ++value;
      while (value < line.size() && line[value] == ' ') ++value;
      if (value >= line.size() || line[value] != '"') continue;
      ++value;
    } else {
      const bool word_start = at == 0 || line[at - 1] == ' ';
      if (!word_start || value >= line.size() || line[value] != '=') continue;
      ++value;
    }
    if (value + hex_len > line.size()) return {};
    return line.substr(value, hex_len);
  }
  return {};
}

}  // namespace

TraceLink FindTraceLink(std::string_view line, const store::Labels& structured_metadata) {
  TraceLink link;
  bool have_trace = false, have_span = false;
  for (const auto& [name, value] : structured_metadata) {
    if (!have_trace && (name == "trace_id" || name == "traceID" || name == "traceId")) {
      have_trace = ParseId(value, &link.trace_id.bytes) && link.trace_id.valid();
    } else if (!have_span && (name == "span_id" || name == "spanID" || name == "spanId")) {
      have_span = ParseId(value, &link.span_id.bytes) && link.span_id.valid();
    }
  }
  if (!have_trace) {
    have_trace =
        ParseId(FindInLine(line, "trace_id", 32), &link.trace_id.bytes) && link.trace_id.valid();
    if (have_trace && !have_span) {
      have_span = ParseId(FindInLine(line, "span_id", 16), &link.span_id.bytes);
    }
  }
  if (!have_trace) return TraceLink{};
  if (!have_span || !link.span_id.valid()) link.span_id = SpanId{};
  return link;
}

}  // namespace quartet::ingest

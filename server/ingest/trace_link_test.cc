#include "server/ingest/trace_link.h"

#include <gtest/gtest.h>

namespace quartet::ingest {
namespace {

constexpr std::string_view kTrace = "4bf92f3577b34da6a3ce929d0e0e4736";
constexpr std::string_view kSpan = "00f067aa0ba902b7";

TEST(FindTraceLink, FromMetadataLineOrNothing) {
  struct Case {
    std::string line;
    store::Labels metadata;
    std::string want_trace;  // "" = no link
    std::string want_span;
  };
  const std::string t(kTrace), s(kSpan);
  const Case cases[] = {
      {"plain", {{"trace_id", t}, {"span_id", s}}, t, s},
      {"plain", {{"traceID", t}}, t, ""},
      {"plain", {{"traceId", t}, {"spanId", s}}, t, s},
      {R"({"level":"INFO","trace_id":")" + t + R"(","span_id":")" + s + R"("})", {}, t, s},
      {R"({"trace_id" : ")" + t + R"("})", {}, t, ""},
      {"level=info trace_id=" + t + " span_id=" + s, {}, t, s},
      {"xtrace_id=" + t, {}, "", ""},                                  // not a whole key
      {R"({"trace_id":"abc123"})", {{"trace_id", "abc123"}}, "", ""},  // pino-loki: not an id
      {R"({"trace_id":"00000000000000000000000000000000"})", {}, "", ""},
      {R"({"trace_id":")" + std::string(32, 'g') + R"("})", {}, "", ""},
      {"no ids at all", {}, "", ""},
  };
  for (const Case& c : cases) {
    const TraceLink link = FindTraceLink(c.line, c.metadata);
    EXPECT_EQ(link.trace_id.valid() ? link.trace_id.ToHex() : "", c.want_trace) << c.line;
    EXPECT_EQ(link.span_id.valid() ? link.span_id.ToHex() : "", c.want_span) << c.line;
  }
}

}  // namespace
}  // namespace quartet::ingest

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "sdk/trace/test_util.h"

namespace quartet::trace_internal {
namespace {

using Headers = std::map<std::string, std::string>;

Headers InjectAll(const Context& ctx) {
  Headers h;
  Inject(ctx, [&](std::string_view k, std::string_view v) { h[std::string(k)] = std::string(v); });
  return h;
}

Context ExtractAll(const Headers& h) {
  return Extract([&](std::string_view k) -> std::string_view {
    auto it = h.find(std::string(k));
    return it == h.end() ? std::string_view() : std::string_view(it->second);
  });
}

TEST(PropagationTest, ExtractTable) {
  struct Case {
    const char* name;
    Headers headers;
    bool span_valid;
    std::string tracestate;  // expected canonical
    size_t baggage_entries;
  };
  const std::string tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  const Case cases[] = {
      {"none", {}, false, "", 0},
      {"traceparent only", {{"traceparent", tp}}, true, "", 0},
      {"with tracestate",
       {{"traceparent", tp}, {"tracestate", "rojo=1, congo=2"}},
       true,
       "rojo=1,congo=2",
       0},
      {"invalid tracestate dropped alone",
       {{"traceparent", tp}, {"tracestate", "Bad=1"}},
       true,
       "",
       0},
      {"invalid traceparent drops tracestate",
       {{"traceparent", "00-zz"}, {"tracestate", "a=1"}},
       false,
       "",
       0},
      {"baggage without trace", {{"baggage", "a=1,b=2"}}, false, "", 2},
      {"duplicated traceparent headers joined", {{"traceparent", tp + "," + tp}}, false, "", 0},
      {"all three",
       {{"traceparent", tp}, {"tracestate", "a=1"}, {"baggage", "k=v%201"}},
       true,
       "a=1",
       1},
  };
  for (const Case& c : cases) {
    Context ctx = ExtractAll(c.headers);
    EXPECT_EQ(ctx.span_context().valid(), c.span_valid) << c.name;
    const auto& ts = ctx.span_context().trace_state;
    EXPECT_EQ(ts ? *ts : std::string(), c.tracestate) << c.name;
    EXPECT_EQ(ctx.baggage().entries().size(), c.baggage_entries) << c.name;
    if (c.span_valid) {
      EXPECT_TRUE(ctx.span_context().is_remote) << c.name;
      EXPECT_TRUE(ctx.span_context().sampled()) << c.name;
    }
  }
}

TEST(PropagationTest, RoundTripThroughServiceHop) {
  TestProvider tp;
  Span client = tp.tracer().StartSpan("call", {.kind = SpanKind::kClient});
  Context out = Context().WithSpan(client).WithBaggage(Baggage().Set("user", "alice smith"));
  Headers wire = InjectAll(out);
  EXPECT_EQ(wire["traceparent"], "00-" + client.context().trace_id.ToHex() + "-" +
                                     client.context().span_id.ToHex() + "-01");
  EXPECT_EQ(wire["baggage"], "user=alice%20smith");

  Context in = ExtractAll(wire);
  EXPECT_EQ(in.span_context().trace_id, client.context().trace_id);
  EXPECT_EQ(in.span_context().span_id, client.context().span_id);
  EXPECT_EQ(in.baggage().Get("user"), "alice smith");

  Span server = tp.tracer().StartSpan("serve", {.kind = SpanKind::kServer, .parent = in});
  EXPECT_EQ(server.context().trace_id, client.context().trace_id);
  // The tracestate received travels on to the next hop unchanged.
  Headers with_state = wire;
  with_state["tracestate"] = "vendor=abc";
  Context in2 = ExtractAll(with_state);
  Span server2 = tp.tracer().StartSpan("serve2", {.parent = in2});
  EXPECT_EQ(InjectAll(Context().WithSpan(server2))["tracestate"], "vendor=abc");
}

TEST(PropagationTest, UnsampledTraceStaysUnsampled) {
  TestProvider tp({SamplerKind::kParentBasedAlwaysOn, 1.0, {}});
  Context in =
      ExtractAll({{"traceparent", "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"}});
  Span s = tp.tracer().StartSpan("serve", {.parent = in});
  EXPECT_FALSE(s.IsRecording());
  Headers out = InjectAll(Context().WithSpan(s));
  EXPECT_EQ(out["traceparent"].substr(0, 36), "00-0af7651916cd43dd8448eb211c80319c-");
  EXPECT_EQ(out["traceparent"].substr(53), "00");
  EXPECT_NE(out["traceparent"].substr(36, 16), "b7ad6b7169203331");  // new span id
}

TEST(PropagationTest, NothingInjectedForEmptyContext) { EXPECT_TRUE(InjectAll(Context()).empty()); }

}  // namespace
}  // namespace quartet::trace_internal

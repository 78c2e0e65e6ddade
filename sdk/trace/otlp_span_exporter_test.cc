#include "sdk/trace/otlp_span_exporter.h"

#include <gtest/gtest.h>

#include "sdk/trace/test_util.h"
#include "wire/otlp/decode.h"

namespace quartet::trace_internal {
namespace {

TEST(OtlpSpanExporterTest, EncodesRecordsDecodableByWireOtlp) {
  const std::vector<KeyValue> resource = {{"service.name", std::string("checkout")},
                                          {"service.version", std::string("1.2.3")},
                                          {"process.pid", int64_t{4242}}};
  std::vector<std::string> bodies;
  auto exp = std::make_unique<OtlpSpanExporter>(resource, [&](std::string_view body, Deadline) {
    bodies.emplace_back(body);
    return ExportResult::kSuccess;
  });
  TracerProviderOptions options;
  options.sampler = {SamplerKind::kAlwaysOn, 1.0, {}};
  options.exporter = std::move(exp);
  TracerProvider provider(std::move(options));

  SpanContext remote;
  remote.trace_id.bytes[0] = 0xab;
  remote.span_id.bytes[0] = 0xcd;
  remote.trace_flags = 1;
  remote.is_remote = true;
  remote.trace_state = std::make_shared<const std::string>("rojo=1");
  SpanContext linked;
  linked.trace_id.bytes[1] = 1;
  linked.span_id.bytes[1] = 2;
  SpanContext server_ctx;
  {
    Span server =
        provider.tracer().StartSpan("GET /checkout", {.kind = SpanKind::kServer,
                                                      .parent = remote,
                                                      .attributes = {{"http.route", "/checkout"}},
                                                      .start_unix_nanos = 1000});
    server_ctx = server.context();
    server.SetAttribute("rows", 17);
    server.SetAttribute("ratio", 0.5);
    server.SetAttribute("cached", false);
    server.AddLink(linked, {{"reason", "batch"}});
    server.RecordException("db_error", "timeout");
    server.SetStatus(SpanStatus::kError, "db timeout");
    server.End(5000);
  }
  ASSERT_TRUE(provider.ForceFlush(std::chrono::seconds(5)));
  ASSERT_EQ(bodies.size(), 1u);

  auto decoded = otlp::DecodeTraces(bodies[0]);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  ASSERT_EQ(decoded->resource_spans.size(), 1u);
  const auto& rs = decoded->resource_spans[0];
  EXPECT_EQ(otlp::FindAttribute(rs.resource.attributes, "service.name")->string_value, "checkout");
  EXPECT_EQ(otlp::FindAttribute(rs.resource.attributes, "process.pid")->int_value, 4242);
  ASSERT_EQ(rs.scope_spans.size(), 1u);
  EXPECT_EQ(rs.scope_spans[0].scope.name, "quartet");
  ASSERT_EQ(rs.scope_spans[0].spans.size(), 1u);
  const otlp::Span& s = rs.scope_spans[0].spans[0];
  EXPECT_EQ(s.trace_id, remote.trace_id);
  EXPECT_EQ(s.span_id, server_ctx.span_id);
  EXPECT_EQ(s.parent_span_id, remote.span_id);
  EXPECT_EQ(s.trace_state, "rojo=1");
  EXPECT_EQ(s.flags, 0x301u);  // sampled | has-is-remote | parent is remote
  EXPECT_EQ(s.name, "GET /checkout");
  EXPECT_EQ(s.kind, otlp::SpanKind::kServer);
  EXPECT_EQ(s.start_time_unix_nano, 1000u);
  EXPECT_EQ(s.end_time_unix_nano, 5000u);
  EXPECT_EQ(otlp::FindAttribute(s.attributes, "http.route")->string_value, "/checkout");
  EXPECT_EQ(otlp::FindAttribute(s.attributes, "rows")->int_value, 17);
  EXPECT_EQ(otlp::FindAttribute(s.attributes, "ratio")->double_value, 0.5);
  EXPECT_EQ(otlp::FindAttribute(s.attributes, "cached")->type, otlp::AnyValue::Type::kBool);
  ASSERT_EQ(s.events.size(), 1u);
  EXPECT_EQ(s.events[0].name, "exception");
  EXPECT_EQ(otlp::FindAttribute(s.events[0].attributes, "exception.message")->string_value,
            "timeout");
  ASSERT_EQ(s.links.size(), 1u);
  EXPECT_EQ(s.links[0].trace_id, linked.trace_id);
  EXPECT_EQ(otlp::FindAttribute(s.links[0].attributes, "reason")->string_value, "batch");
  EXPECT_EQ(s.status.code, otlp::SpanStatusCode::kError);
  EXPECT_EQ(s.status.message, "db timeout");
  EXPECT_EQ(provider.counters().spans_exported.load(), 1u);
}

TEST(OtlpSpanExporterTest, SenderFailureIsCounted) {
  auto exp = std::make_unique<OtlpSpanExporter>(
      std::vector<KeyValue>{}, [](std::string_view, Deadline) { return ExportResult::kFailure; });
  TracerProviderOptions options;
  options.sampler = {SamplerKind::kAlwaysOn, 1.0, {}};
  options.exporter = std::move(exp);
  TracerProvider provider(std::move(options));
  provider.tracer().StartSpan("a").End();
  provider.tracer().StartSpan("b").End();
  ASSERT_TRUE(provider.ForceFlush(std::chrono::seconds(5)));
  EXPECT_EQ(provider.counters().export_failures.load(), 1u);
  EXPECT_EQ(provider.counters().spans_dropped.load(), 2u);
}

}  // namespace
}  // namespace quartet::trace_internal

namespace quartet::trace_internal {
namespace {

TEST(OtlpSpanExporterTest, RootSpanHasNoParentAndLocalFlags) {
  std::string body;
  OtlpSpanExporter exporter({}, [&](std::string_view b, Deadline) {
    body.assign(b);
    return ExportResult::kSuccess;
  });
  SpanRecord root;
  root.context.trace_id.bytes[15] = 1;
  root.context.span_id.bytes[7] = 2;
  root.context.trace_flags = 0xff;  // only the sampled bit may be exported
  root.name = "root";
  root.kind = SpanKind::kConsumer;
  root.start_unix_nanos = 1;
  root.end_unix_nanos = 2;
  const SpanRecord* batch[] = {&root};
  ASSERT_EQ(exporter.Export(batch, Deadline::max()), ExportResult::kSuccess);
  auto decoded = otlp::DecodeTraces(body);
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  const otlp::Span& s = decoded->resource_spans.at(0).scope_spans.at(0).spans.at(0);
  EXPECT_FALSE(s.parent_span_id.valid());
  EXPECT_EQ(s.flags, 0x101u);
  EXPECT_EQ(s.kind, otlp::SpanKind::kConsumer);
  EXPECT_EQ(s.status.code, otlp::SpanStatusCode::kUnset);
  exporter.Shutdown(Deadline::max());
  EXPECT_EQ(exporter.Export(batch, Deadline::max()), ExportResult::kFailure);
}

}  // namespace
}  // namespace quartet::trace_internal

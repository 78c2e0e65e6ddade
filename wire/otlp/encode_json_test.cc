// OTLP/JSON encoding: the kOtlp style decodes back (DecodeTracesJson) to the
// same model; the Tempo style spells ids in base64 and enums by name.
#include "wire/otlp/encode_json.h"

#include <gtest/gtest.h>

#include "wire/otlp/decode_json.h"

namespace quartet::otlp {
namespace {

ExportTraceServiceRequest Sample() {
  ExportTraceServiceRequest request;
  ResourceSpans& rs = request.resource_spans.emplace_back();
  rs.resource.attributes = {{"service.name", AnyValue::String("checkout")},
                            {"host.cores", AnyValue::Int(-2)}};
  rs.schema_url = "https://opentelemetry.io/schemas/1.21.0";
  ScopeSpans& ss = rs.scope_spans.emplace_back();
  ss.scope.name = "quartet";
  ss.scope.version = "0.1.0";
  Span& span = ss.spans.emplace_back();
  for (int i = 0; i < 16; ++i) span.trace_id.bytes[i] = static_cast<uint8_t>(0xf0 + i % 16);
  span.span_id.bytes = {1, 2, 3, 4, 5, 6, 7, 8};
  span.parent_span_id.bytes = {8, 7, 6, 5, 4, 3, 2, 1};
  span.name = "GET /checkout \"quoted\"";
  span.kind = SpanKind::kServer;
  span.start_time_unix_nano = 1700000000123456789ull;
  span.end_time_unix_nano = 1700000000923456789ull;
  span.flags = 257;
  span.attributes = {
      {"http.route", AnyValue::String("/checkout")},
      {"ratio", AnyValue::Double(0.25)},
      {"ok", AnyValue::Bool(true)},
      {"raw", AnyValue::Bytes(std::string("\x00\xff", 2))},
      {"list", AnyValue::Array({AnyValue::String("a"), AnyValue::Int(1)})},
      {"map", AnyValue::KvList({{"k", AnyValue::String("v")}})},
  };
  SpanEvent& event = span.events.emplace_back();
  event.name = "exception";
  event.time_unix_nano = 1700000000500000000ull;
  event.attributes = {{"exception.message", AnyValue::String("boom")}};
  SpanLink& link = span.links.emplace_back();
  link.trace_id = span.trace_id;
  link.span_id.bytes = {9, 9, 9, 9, 9, 9, 9, 9};
  span.status.code = SpanStatusCode::kError;
  span.status.message = "scan too slow";
  return request;
}

TEST(EncodeTracesJson, OtlpStyleDecodesBackToTheSameModel) {
  const ExportTraceServiceRequest request = Sample();
  const std::string json = EncodeTracesJson(request, JsonStyle::kOtlp);
  Result<ExportTraceServiceRequest> back = DecodeTracesJson(json);
  ASSERT_TRUE(back.ok()) << back.status().message() << "\n" << json;
  EXPECT_EQ(*back, request) << json;
  EXPECT_NE(json.find("\"traceId\":\"f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff\""), std::string::npos);
  EXPECT_NE(json.find("\"kind\":2"), std::string::npos);
}

TEST(EncodeTracesJson, TempoStyleUsesBase64IdsAndEnumNames) {
  const std::string json = EncodeTracesJson(Sample(), JsonStyle::kTempo);
  EXPECT_EQ(json.rfind("{\"batches\":[", 0), 0u);
  EXPECT_NE(json.find("\"spanId\":\"AQIDBAUGBwg=\""), std::string::npos) << json;
  EXPECT_NE(json.find("\"kind\":\"SPAN_KIND_SERVER\""), std::string::npos);
  EXPECT_NE(json.find("\"code\":\"STATUS_CODE_ERROR\""), std::string::npos);
  EXPECT_NE(json.find("\"startTimeUnixNano\":\"1700000000123456789\""), std::string::npos);
}

TEST(AnyValueText, ScalarsPlainCompositesAsJson) {
  EXPECT_EQ(AnyValueText(AnyValue::String("a\"b")), "a\"b");
  EXPECT_EQ(AnyValueText(AnyValue::Int(-42)), "-42");
  EXPECT_EQ(AnyValueText(AnyValue::Double(1.5)), "1.5");
  EXPECT_EQ(AnyValueText(AnyValue::Bool(false)), "false");
  EXPECT_EQ(AnyValueText(AnyValue::Bytes("foo")), "Zm9v");
  EXPECT_EQ(AnyValueText(AnyValue{}), "");
  EXPECT_EQ(AnyValueText(AnyValue::Array({AnyValue::String("a"), AnyValue::Int(1)})), "[\"a\",1]");
  EXPECT_EQ(AnyValueText(AnyValue::KvList({{"k", AnyValue::String("v")}})), "{\"k\":\"v\"}");
}

}  // namespace
}  // namespace quartet::otlp

#include "wire/otlp/encode_json.h"

#include "base/base64.h"
#include "base/hex.h"
#include "wire/json/json_writer.h"

namespace quartet::otlp {
namespace {

void AppendPlainJson(std::string* out, const AnyValue& value);

void AppendQuotedInt(std::string* out, int64_t v) {
  out->push_back('"');
  json::AppendInt(out, v);
  out->push_back('"');
}

void AppendQuotedUint(std::string* out, uint64_t v) {
  out->push_back('"');
  json::AppendUint(out, v);
  out->push_back('"');
}

template <size_t N>
void AppendId(std::string* out, const std::array<uint8_t, N>& bytes, JsonStyle style) {
  if (style == JsonStyle::kTempo) {
    json::AppendString(
        out, Base64Encode(std::string_view(reinterpret_cast<const char*>(bytes.data()), N)));
  } else {
    char hex[2 * N];
    HexEncode(bytes.data(), N, hex);
    json::AppendString(out, std::string_view(hex, 2 * N));
  }
}

constexpr const char* kKindNames[] = {"SPAN_KIND_UNSPECIFIED", "SPAN_KIND_INTERNAL",
                                      "SPAN_KIND_SERVER",      "SPAN_KIND_CLIENT",
                                      "SPAN_KIND_PRODUCER",    "SPAN_KIND_CONSUMER"};
constexpr const char* kStatusNames[] = {"STATUS_CODE_UNSET", "STATUS_CODE_OK", "STATUS_CODE_ERROR"};

// An enum by name (Tempo) when the value has one, else by number.
void AppendEnum(std::string* out, int32_t v, const char* const* names, int count, JsonStyle style) {
  if (style == JsonStyle::kTempo && v >= 0 && v < count) {
    json::AppendString(out, names[v]);
  } else {
    json::AppendInt(out, v);
  }
}

void AppendScope(std::string* out, const InstrumentationScope& scope) {
  out->append("{\"name\":");
  json::AppendString(out, scope.name);
  if (!scope.version.empty()) {
    out->append(",\"version\":");
    json::AppendString(out, scope.version);
  }
  if (!scope.attributes.empty()) {
    out->append(",\"attributes\":");
    AppendKeyValuesJson(out, scope.attributes);
  }
  out->push_back('}');
}

void AppendSpan(std::string* out, const Span& span, JsonStyle style) {
  out->append("{\"traceId\":");
  AppendId(out, span.trace_id.bytes, style);
  out->append(",\"spanId\":");
  AppendId(out, span.span_id.bytes, style);
  if (span.parent_span_id.valid()) {
    out->append(",\"parentSpanId\":");
    AppendId(out, span.parent_span_id.bytes, style);
  }
  if (!span.trace_state.empty()) {
    out->append(",\"traceState\":");
    json::AppendString(out, span.trace_state);
  }
  if (span.flags != 0) {
    out->append(",\"flags\":");
    json::AppendUint(out, span.flags);
  }
  out->append(",\"name\":");
  json::AppendString(out, span.name);
  out->append(",\"kind\":");
  AppendEnum(out, static_cast<int32_t>(span.kind), kKindNames, 6, style);
  out->append(",\"startTimeUnixNano\":");
  AppendQuotedUint(out, span.start_time_unix_nano);
  out->append(",\"endTimeUnixNano\":");
  AppendQuotedUint(out, span.end_time_unix_nano);
  if (!span.attributes.empty()) {
    out->append(",\"attributes\":");
    AppendKeyValuesJson(out, span.attributes);
  }
  if (span.dropped_attributes_count != 0) {
    out->append(",\"droppedAttributesCount\":");
    json::AppendUint(out, span.dropped_attributes_count);
  }
  if (!span.events.empty()) {
    out->append(",\"events\":[");
    for (size_t i = 0; i < span.events.size(); ++i) {
      const SpanEvent& e = span.events[i];
      if (i > 0) out->push_back(',');
      out->append("{\"timeUnixNano\":");
      AppendQuotedUint(out, e.time_unix_nano);
      out->append(",\"name\":");
      json::AppendString(out, e.name);
      if (!e.attributes.empty()) {
        out->append(",\"attributes\":");
        AppendKeyValuesJson(out, e.attributes);
      }
      out->push_back('}');
    }
    out->push_back(']');
  }
  if (!span.links.empty()) {
    out->append(",\"links\":[");
    for (size_t i = 0; i < span.links.size(); ++i) {
      const SpanLink& l = span.links[i];
      if (i > 0) out->push_back(',');
      out->append("{\"traceId\":");
      AppendId(out, l.trace_id.bytes, style);
      out->append(",\"spanId\":");
      AppendId(out, l.span_id.bytes, style);
      if (!l.trace_state.empty()) {
        out->append(",\"traceState\":");
        json::AppendString(out, l.trace_state);
      }
      if (!l.attributes.empty()) {
        out->append(",\"attributes\":");
        AppendKeyValuesJson(out, l.attributes);
      }
      out->push_back('}');
    }
    out->push_back(']');
  }
  out->append(",\"status\":{");
  bool comma = false;
  if (!span.status.message.empty()) {
    out->append("\"message\":");
    json::AppendString(out, span.status.message);
    comma = true;
  }
  if (span.status.code != SpanStatusCode::kUnset) {
    if (comma) out->push_back(',');
    out->append("\"code\":");
    AppendEnum(out, static_cast<int32_t>(span.status.code), kStatusNames, 3, style);
  }
  out->append("}}");
}

void AppendPlainJson(std::string* out, const AnyValue& value) {
  switch (value.type) {
    case AnyValue::Type::kEmpty:
      out->append("null");
      return;
    case AnyValue::Type::kString:
      json::AppendString(out, value.string_value);
      return;
    case AnyValue::Type::kBool:
      json::AppendBool(out, value.bool_value);
      return;
    case AnyValue::Type::kInt:
      json::AppendInt(out, value.int_value);
      return;
    case AnyValue::Type::kDouble:
      json::AppendDouble(out, value.double_value);
      return;
    case AnyValue::Type::kBytes:
      json::AppendString(out, Base64Encode(value.string_value));
      return;
    case AnyValue::Type::kArray:
      out->push_back('[');
      for (size_t i = 0; i < value.array_value.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendPlainJson(out, value.array_value[i]);
      }
      out->push_back(']');
      return;
    case AnyValue::Type::kKvList:
      out->push_back('{');
      for (size_t i = 0; i < value.kvlist_value.size(); ++i) {
        if (i > 0) out->push_back(',');
        json::AppendString(out, value.kvlist_value[i].key);
        out->push_back(':');
        AppendPlainJson(out, value.kvlist_value[i].value);
      }
      out->push_back('}');
      return;
  }
}

}  // namespace

void AppendAnyValueJson(std::string* out, const AnyValue& value) {
  switch (value.type) {
    case AnyValue::Type::kEmpty:
      out->append("{}");
      return;
    case AnyValue::Type::kString:
      out->append("{\"stringValue\":");
      json::AppendString(out, value.string_value);
      break;
    case AnyValue::Type::kBool:
      out->append("{\"boolValue\":");
      json::AppendBool(out, value.bool_value);
      break;
    case AnyValue::Type::kInt:
      out->append("{\"intValue\":");
      AppendQuotedInt(out, value.int_value);
      break;
    case AnyValue::Type::kDouble:
      out->append("{\"doubleValue\":");
      json::AppendDouble(out, value.double_value);
      break;
    case AnyValue::Type::kBytes:
      out->append("{\"bytesValue\":");
      json::AppendString(out, Base64Encode(value.string_value));
      break;
    case AnyValue::Type::kArray:
      out->append("{\"arrayValue\":{\"values\":[");
      for (size_t i = 0; i < value.array_value.size(); ++i) {
        if (i > 0) out->push_back(',');
        AppendAnyValueJson(out, value.array_value[i]);
      }
      out->append("]}");
      break;
    case AnyValue::Type::kKvList:
      out->append("{\"kvlistValue\":{\"values\":");
      AppendKeyValuesJson(out, value.kvlist_value);
      out->push_back('}');
      break;
  }
  out->push_back('}');
}

void AppendKeyValuesJson(std::string* out, const std::vector<KeyValue>& attributes) {
  out->push_back('[');
  for (size_t i = 0; i < attributes.size(); ++i) {
    if (i > 0) out->push_back(',');
    out->append("{\"key\":");
    json::AppendString(out, attributes[i].key);
    out->append(",\"value\":");
    AppendAnyValueJson(out, attributes[i].value);
    out->push_back('}');
  }
  out->push_back(']');
}

std::string AnyValueText(const AnyValue& value) {
  if (value.type == AnyValue::Type::kString) return value.string_value;
  if (value.type == AnyValue::Type::kEmpty) return "";
  std::string out;
  AppendPlainJson(&out, value);
  if (value.type == AnyValue::Type::kBytes) out = out.substr(1, out.size() - 2);
  return out;
}

std::string EncodeTracesJson(const ExportTraceServiceRequest& request, JsonStyle style) {
  std::string out = style == JsonStyle::kTempo ? "{\"batches\":[" : "{\"resourceSpans\":[";
  for (size_t r = 0; r < request.resource_spans.size(); ++r) {
    const ResourceSpans& rs = request.resource_spans[r];
    if (r > 0) out.push_back(',');
    out.append("{\"resource\":{\"attributes\":");
    AppendKeyValuesJson(&out, rs.resource.attributes);
    out.append("},\"scopeSpans\":[");
    for (size_t s = 0; s < rs.scope_spans.size(); ++s) {
      const ScopeSpans& ss = rs.scope_spans[s];
      if (s > 0) out.push_back(',');
      out.append("{\"scope\":");
      AppendScope(&out, ss.scope);
      out.append(",\"spans\":[");
      for (size_t i = 0; i < ss.spans.size(); ++i) {
        if (i > 0) out.push_back(',');
        AppendSpan(&out, ss.spans[i], style);
      }
      out.append("]");
      if (!ss.schema_url.empty()) {
        out.append(",\"schemaUrl\":");
        json::AppendString(&out, ss.schema_url);
      }
      out.push_back('}');
    }
    out.push_back(']');
    if (!rs.schema_url.empty()) {
      out.append(",\"schemaUrl\":");
      json::AppendString(&out, rs.schema_url);
    }
    out.push_back('}');
  }
  out.append("]}");
  return out;
}

}  // namespace quartet::otlp

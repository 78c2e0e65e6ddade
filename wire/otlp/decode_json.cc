// OTLP/JSON traces and logs (metrics: decode_json_metrics.cc).
#include "wire/otlp/decode_json.h"

#include "wire/otlp/decode_json_internal.h"

namespace quartet::otlp {
namespace internal {
namespace {

Status JsonEvent(const Value& v, SpanEvent* out) {
  RETURN_IF_ERROR(ExpectObject(v));
  RETURN_IF_ERROR(JsonUint64(v, "timeUnixNano", &out->time_unix_nano));
  RETURN_IF_ERROR(JsonString(v, "name", &out->name));
  RETURN_IF_ERROR(JsonKeyValues(v, "attributes", &out->attributes));
  return JsonUint32(v, "droppedAttributesCount", &out->dropped_attributes_count);
}

Status JsonLink(const Value& v, SpanLink* out) {
  RETURN_IF_ERROR(ExpectObject(v));
  RETURN_IF_ERROR(JsonId(v, "traceId", out->trace_id.bytes.data(), 16, false));
  RETURN_IF_ERROR(JsonId(v, "spanId", out->span_id.bytes.data(), 8, false));
  RETURN_IF_ERROR(JsonString(v, "traceState", &out->trace_state));
  RETURN_IF_ERROR(JsonKeyValues(v, "attributes", &out->attributes));
  RETURN_IF_ERROR(JsonUint32(v, "droppedAttributesCount", &out->dropped_attributes_count));
  return JsonUint32(v, "flags", &out->flags);
}

Status JsonSpan(const Value& v, Span* out) {
  RETURN_IF_ERROR(ExpectObject(v));
  RETURN_IF_ERROR(JsonId(v, "traceId", out->trace_id.bytes.data(), 16, false));
  RETURN_IF_ERROR(JsonId(v, "spanId", out->span_id.bytes.data(), 8, false));
  RETURN_IF_ERROR(JsonString(v, "traceState", &out->trace_state));
  RETURN_IF_ERROR(JsonId(v, "parentSpanId", out->parent_span_id.bytes.data(), 8, true));
  RETURN_IF_ERROR(JsonUint32(v, "flags", &out->flags));
  RETURN_IF_ERROR(JsonString(v, "name", &out->name));
  int32_t kind = 0;
  RETURN_IF_ERROR(JsonInt32(v, "kind", &kind));
  out->kind = static_cast<SpanKind>(kind);
  RETURN_IF_ERROR(JsonUint64(v, "startTimeUnixNano", &out->start_time_unix_nano));
  RETURN_IF_ERROR(JsonUint64(v, "endTimeUnixNano", &out->end_time_unix_nano));
  RETURN_IF_ERROR(JsonKeyValues(v, "attributes", &out->attributes));
  RETURN_IF_ERROR(JsonUint32(v, "droppedAttributesCount", &out->dropped_attributes_count));
  RETURN_IF_ERROR(JsonEach(v, "events", [&](const Value& e) {
    out->events.emplace_back();
    return JsonEvent(e, &out->events.back());
  }));
  RETURN_IF_ERROR(JsonUint32(v, "droppedEventsCount", &out->dropped_events_count));
  RETURN_IF_ERROR(JsonEach(v, "links", [&](const Value& l) {
    out->links.emplace_back();
    return JsonLink(l, &out->links.back());
  }));
  RETURN_IF_ERROR(JsonUint32(v, "droppedLinksCount", &out->dropped_links_count));
  return JsonObject(v, "status", [&](const Value& st) {
    RETURN_IF_ERROR(JsonString(st, "message", &out->status.message));
    int32_t code = 0;
    RETURN_IF_ERROR(JsonInt32(st, "code", &code));
    out->status.code = static_cast<SpanStatusCode>(code);
    return Status::Ok();
  });
}

Status JsonLogRecord(const Value& v, LogRecord* out) {
  RETURN_IF_ERROR(ExpectObject(v));
  RETURN_IF_ERROR(JsonUint64(v, "timeUnixNano", &out->time_unix_nano));
  RETURN_IF_ERROR(JsonUint64(v, "observedTimeUnixNano", &out->observed_time_unix_nano));
  RETURN_IF_ERROR(JsonInt32(v, "severityNumber", &out->severity_number));
  RETURN_IF_ERROR(JsonString(v, "severityText", &out->severity_text));
  RETURN_IF_ERROR(
      JsonObject(v, "body", [&](const Value& b) { return JsonAnyValue(b, 0, &out->body); }));
  RETURN_IF_ERROR(JsonKeyValues(v, "attributes", &out->attributes));
  RETURN_IF_ERROR(JsonUint32(v, "droppedAttributesCount", &out->dropped_attributes_count));
  RETURN_IF_ERROR(JsonUint32(v, "flags", &out->flags));
  RETURN_IF_ERROR(JsonId(v, "traceId", out->trace_id.bytes.data(), 16, true));
  RETURN_IF_ERROR(JsonId(v, "spanId", out->span_id.bytes.data(), 8, true));
  return JsonString(v, "eventName", &out->event_name);
}

}  // namespace
}  // namespace internal

Result<ExportTraceServiceRequest> DecodeTracesJson(std::string_view json) {
  using namespace internal;
  ASSIGN_OR_RETURN(Value root, ParseJsonBody(json));
  ExportTraceServiceRequest req;
  Status st = JsonEach(root, "resourceSpans", [&](const Value& rv) {
    RETURN_IF_ERROR(ExpectObject(rv));
    ResourceSpans& rs = req.resource_spans.emplace_back();
    RETURN_IF_ERROR(
        JsonObject(rv, "resource", [&](const Value& r) { return JsonResource(r, &rs.resource); }));
    RETURN_IF_ERROR(JsonString(rv, "schemaUrl", &rs.schema_url));
    return JsonEach(rv, "scopeSpans", [&](const Value& sv) {
      RETURN_IF_ERROR(ExpectObject(sv));
      ScopeSpans& ss = rs.scope_spans.emplace_back();
      RETURN_IF_ERROR(
          JsonObject(sv, "scope", [&](const Value& s) { return JsonScope(s, &ss.scope); }));
      RETURN_IF_ERROR(JsonString(sv, "schemaUrl", &ss.schema_url));
      return JsonEach(sv, "spans",
                      [&](const Value& s) { return JsonSpan(s, &ss.spans.emplace_back()); });
    });
  });
  if (!st.ok()) return TopLevel(st);
  return req;
}

Result<ExportLogsServiceRequest> DecodeLogsJson(std::string_view json) {
  using namespace internal;
  ASSIGN_OR_RETURN(Value root, ParseJsonBody(json));
  ExportLogsServiceRequest req;
  Status st = JsonEach(root, "resourceLogs", [&](const Value& rv) {
    RETURN_IF_ERROR(ExpectObject(rv));
    ResourceLogs& rl = req.resource_logs.emplace_back();
    RETURN_IF_ERROR(
        JsonObject(rv, "resource", [&](const Value& r) { return JsonResource(r, &rl.resource); }));
    RETURN_IF_ERROR(JsonString(rv, "schemaUrl", &rl.schema_url));
    return JsonEach(rv, "scopeLogs", [&](const Value& sv) {
      RETURN_IF_ERROR(ExpectObject(sv));
      ScopeLogs& sl = rl.scope_logs.emplace_back();
      RETURN_IF_ERROR(
          JsonObject(sv, "scope", [&](const Value& s) { return JsonScope(s, &sl.scope); }));
      RETURN_IF_ERROR(JsonString(sv, "schemaUrl", &sl.schema_url));
      return JsonEach(sv, "logRecords", [&](const Value& l) {
        return JsonLogRecord(l, &sl.log_records.emplace_back());
      });
    });
  });
  if (!st.ok()) return TopLevel(st);
  return req;
}

}  // namespace quartet::otlp

#include "wire/otlp/decode.h"
#include "wire/otlp/decode_internal.h"

namespace quartet::otlp {
namespace internal {
namespace {

Status DecodeEvent(Reader& r, SpanEvent* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(Get(f.Fixed64(), "time_unix_nano", &out->time_unix_nano));
        break;
      case 2:
        RETURN_IF_ERROR(GetString(f, "name", &out->name));
        break;
      case 3:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 4:
        RETURN_IF_ERROR(
            Get(f.Uint32(), "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status DecodeLink(Reader& r, SpanLink* out) {
  Field f;
  bool has_trace_id = false, has_span_id = false;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        has_trace_id = true;
        RETURN_IF_ERROR(GetId(f, "trace_id", out->trace_id.bytes.data(), 16, false));
        break;
      case 2:
        has_span_id = true;
        RETURN_IF_ERROR(GetId(f, "span_id", out->span_id.bytes.data(), 8, false));
        break;
      case 3:
        RETURN_IF_ERROR(GetString(f, "trace_state", &out->trace_state));
        break;
      case 4:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 5:
        RETURN_IF_ERROR(
            Get(f.Uint32(), "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      case 6:
        RETURN_IF_ERROR(Get(f.Fixed32(), "flags", &out->flags));
        break;
      default:
        break;
    }
  }
  if (!r.status().ok()) return Status::Ok();  // Sub reports the reader error
  if (!has_trace_id) return Status::InvalidArgument("trace_id: must be 16 bytes, got 0");
  if (!has_span_id) return Status::InvalidArgument("span_id: must be 8 bytes, got 0");
  return Status::Ok();
}

Status DecodeSpanStatus(Reader& r, SpanStatus* out) {
  Field f;
  while (r.Next(&f)) {
    if (f.number == 2) {
      RETURN_IF_ERROR(GetString(f, "message", &out->message));
    } else if (f.number == 3) {
      RETURN_IF_ERROR(Get(f.Int32(), "code", &out->code));
    }
  }
  return Status::Ok();
}

Status DecodeSpan(Reader& r, Span* out) {
  Field f;
  bool has_trace_id = false, has_span_id = false;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        has_trace_id = true;
        RETURN_IF_ERROR(GetId(f, "trace_id", out->trace_id.bytes.data(), 16, false));
        break;
      case 2:
        has_span_id = true;
        RETURN_IF_ERROR(GetId(f, "span_id", out->span_id.bytes.data(), 8, false));
        break;
      case 3:
        RETURN_IF_ERROR(GetString(f, "trace_state", &out->trace_state));
        break;
      case 4:
        RETURN_IF_ERROR(GetId(f, "parent_span_id", out->parent_span_id.bytes.data(), 8, true));
        break;
      case 5:
        RETURN_IF_ERROR(GetString(f, "name", &out->name));
        break;
      case 6:
        RETURN_IF_ERROR(Get(f.Int32(), "kind", &out->kind));
        break;
      case 7:
        RETURN_IF_ERROR(Get(f.Fixed64(), "start_time_unix_nano", &out->start_time_unix_nano));
        break;
      case 8:
        RETURN_IF_ERROR(Get(f.Fixed64(), "end_time_unix_nano", &out->end_time_unix_nano));
        break;
      case 9:
        ReserveRepeated(r, 9, &out->attributes);
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 10:
        RETURN_IF_ERROR(
            Get(f.Uint32(), "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      case 11:
        RETURN_IF_ERROR(Grow(r, &out->events));
        RETURN_IF_ERROR(Sub(r, f, "events", out->events.size() - 1,
                            [&](Reader& c) { return DecodeEvent(c, &out->events.back()); }));
        break;
      case 12:
        RETURN_IF_ERROR(Get(f.Uint32(), "dropped_events_count", &out->dropped_events_count));
        break;
      case 13:
        RETURN_IF_ERROR(Grow(r, &out->links));
        RETURN_IF_ERROR(Sub(r, f, "links", out->links.size() - 1,
                            [&](Reader& c) { return DecodeLink(c, &out->links.back()); }));
        break;
      case 14:
        RETURN_IF_ERROR(Get(f.Uint32(), "dropped_links_count", &out->dropped_links_count));
        break;
      case 15:
        RETURN_IF_ERROR(Sub(r, f, "status", kNoIndex,
                            [&](Reader& c) { return DecodeSpanStatus(c, &out->status); }));
        break;
      case 16:
        RETURN_IF_ERROR(Get(f.Fixed32(), "flags", &out->flags));
        break;
      default:
        break;
    }
  }
  if (!r.status().ok()) return Status::Ok();
  if (!has_trace_id) return Status::InvalidArgument("trace_id: must be 16 bytes, got 0");
  if (!has_span_id) return Status::InvalidArgument("span_id: must be 8 bytes, got 0");
  return Status::Ok();
}

Status DecodeScopeSpans(Reader& r, ScopeSpans* out) {
  return DecodeGroup(r, out, &ScopeSpans::scope, "scope", DecodeScope, &ScopeSpans::spans, "spans",
                     DecodeSpan);
}

Status DecodeResourceSpans(Reader& r, ResourceSpans* out) {
  return DecodeGroup(r, out, &ResourceSpans::resource, "resource", DecodeResource,
                     &ResourceSpans::scope_spans, "scope_spans", DecodeScopeSpans);
}

}  // namespace
}  // namespace internal

Result<ExportTraceServiceRequest> DecodeTraces(std::string_view protobuf) {
  return internal::DecodeRequest(protobuf, &ExportTraceServiceRequest::resource_spans,
                                 "resource_spans", internal::DecodeResourceSpans);
}

}  // namespace quartet::otlp

#include "wire/otlp/decode.h"
#include "wire/otlp/decode_internal.h"

namespace quartet::otlp {
namespace internal {
namespace {

Status DecodeLogRecord(Reader& r, LogRecord* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(Get(f.Fixed64(), "time_unix_nano", &out->time_unix_nano));
        break;
      case 2:
        RETURN_IF_ERROR(Get(f.Int32(), "severity_number", &out->severity_number));
        break;
      case 3:
        RETURN_IF_ERROR(GetString(f, "severity_text", &out->severity_text));
        break;
      case 5:
        RETURN_IF_ERROR(
            Sub(r, f, "body", kNoIndex, [&](Reader& c) { return DecodeAnyValue(c, &out->body); }));
        break;
      case 6:
        RETURN_IF_ERROR(AppendKeyValue(r, f, "attributes", &out->attributes));
        break;
      case 7:
        RETURN_IF_ERROR(
            Get(f.Uint32(), "dropped_attributes_count", &out->dropped_attributes_count));
        break;
      case 8:
        RETURN_IF_ERROR(Get(f.Fixed32(), "flags", &out->flags));
        break;
      case 9:
        RETURN_IF_ERROR(GetId(f, "trace_id", out->trace_id.bytes.data(), 16, true));
        break;
      case 10:
        RETURN_IF_ERROR(GetId(f, "span_id", out->span_id.bytes.data(), 8, true));
        break;
      case 11:
        RETURN_IF_ERROR(Get(f.Fixed64(), "observed_time_unix_nano", &out->observed_time_unix_nano));
        break;
      case 12:
        RETURN_IF_ERROR(GetString(f, "event_name", &out->event_name));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status DecodeScopeLogs(Reader& r, ScopeLogs* out) {
  return DecodeGroup(r, out, &ScopeLogs::scope, "scope", DecodeScope, &ScopeLogs::log_records,
                     "log_records", DecodeLogRecord);
}

Status DecodeResourceLogs(Reader& r, ResourceLogs* out) {
  return DecodeGroup(r, out, &ResourceLogs::resource, "resource", DecodeResource,
                     &ResourceLogs::scope_logs, "scope_logs", DecodeScopeLogs);
}

}  // namespace
}  // namespace internal

Result<ExportLogsServiceRequest> DecodeLogs(std::string_view protobuf) {
  return internal::DecodeRequest(protobuf, &ExportLogsServiceRequest::resource_logs,
                                 "resource_logs", internal::DecodeResourceLogs);
}

}  // namespace quartet::otlp

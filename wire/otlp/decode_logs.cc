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
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(
            Sub(r, f, "scope", kNoIndex, [&](Reader& c) { return DecodeScope(c, &out->scope); }));
        break;
      case 2:
        RETURN_IF_ERROR(Grow(r, &out->log_records));
        RETURN_IF_ERROR(Sub(r, f, "log_records", out->log_records.size() - 1, [&](Reader& c) {
          return DecodeLogRecord(c, &out->log_records.back());
        }));
        break;
      case 3:
        RETURN_IF_ERROR(GetString(f, "schema_url", &out->schema_url));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

Status DecodeResourceLogs(Reader& r, ResourceLogs* out) {
  Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case 1:
        RETURN_IF_ERROR(Sub(r, f, "resource", kNoIndex,
                            [&](Reader& c) { return DecodeResource(c, &out->resource); }));
        break;
      case 2:
        RETURN_IF_ERROR(Grow(r, &out->scope_logs));
        RETURN_IF_ERROR(Sub(r, f, "scope_logs", out->scope_logs.size() - 1, [&](Reader& c) {
          return DecodeScopeLogs(c, &out->scope_logs.back());
        }));
        break;
      case 3:
        RETURN_IF_ERROR(GetString(f, "schema_url", &out->schema_url));
        break;
      default:
        break;
    }
  }
  return Status::Ok();
}

}  // namespace
}  // namespace internal

Result<ExportLogsServiceRequest> DecodeLogs(std::string_view protobuf) {
  using namespace internal;
  ExportLogsServiceRequest req;
  int64_t budget = DecodeBudget(protobuf);
  Reader r(protobuf);
  r.set_budget(&budget);
  Field f;
  while (r.Next(&f)) {
    if (f.number != 1) continue;
    Status st = Grow(r, &req.resource_logs);
    if (!st.ok()) return TopLevel(st);
    st = Sub(r, f, "resource_logs", req.resource_logs.size() - 1,
             [&](Reader& c) { return DecodeResourceLogs(c, &req.resource_logs.back()); });
    if (!st.ok()) return TopLevel(st);
  }
  if (!r.status().ok()) return TopLevel(ReaderStatus(r));
  return req;
}

}  // namespace quartet::otlp

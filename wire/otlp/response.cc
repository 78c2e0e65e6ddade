#include "wire/otlp/response.h"

#include <iterator>

#include "wire/otlp/decode_internal.h"
#include "wire/protobuf/writer.h"

namespace quartet::otlp {

using internal::Get;
using internal::GetString;
using internal::kNoIndex;
using internal::Sub;
using protobuf::Field;
using protobuf::Reader;
using protobuf::Writer;

std::string EncodeExportResponse(const ExportResponse& response) {
  Writer w;
  if (response.partial_success) {
    auto m = w.BeginMessage(1);
    if (response.partial_success->rejected) w.Int64(1, response.partial_success->rejected);
    if (!response.partial_success->error_message.empty()) {
      w.String(2, response.partial_success->error_message);
    }
    w.EndMessage(m);
  }
  return w.Release();
}

Result<ExportResponse> DecodeExportResponse(std::string_view protobuf) {
  ExportResponse out;
  Reader r(protobuf);
  Field f;
  while (r.Next(&f)) {
    if (f.number != 1) continue;
    if (!out.partial_success) out.partial_success.emplace();
    ExportPartialSuccess* ps = &*out.partial_success;
    Status st = Sub(r, f, "partial_success", kNoIndex, [&](Reader& c) {
      Field g;
      while (c.Next(&g)) {
        if (g.number == 1) {
          RETURN_IF_ERROR(Get(g.Int64(), "rejected", &ps->rejected));
        } else if (g.number == 2) {
          RETURN_IF_ERROR(GetString(g, "error_message", &ps->error_message));
        }
      }
      return Status::Ok();
    });
    if (!st.ok()) return internal::TopLevel(st);
  }
  if (!r.status().ok()) return internal::TopLevel(internal::ReaderStatus(r));
  return out;
}

std::string EncodeRpcStatus(const RpcStatus& status) {
  Writer w;
  if (status.code) w.Int32(1, status.code);
  if (!status.message.empty()) w.String(2, status.message);
  for (const RpcAny& any : status.details) {
    auto m = w.BeginMessage(3);
    if (!any.type_url.empty()) w.String(1, any.type_url);
    if (!any.value.empty()) w.Bytes(2, any.value);
    w.EndMessage(m);
  }
  return w.Release();
}

Result<RpcStatus> DecodeRpcStatus(std::string_view protobuf) {
  RpcStatus out;
  Reader r(protobuf);
  Field f;
  while (r.Next(&f)) {
    Status st;
    switch (f.number) {
      case 1:
        st = Get(f.Int32(), "code", &out.code);
        break;
      case 2:
        st = GetString(f, "message", &out.message);
        break;
      case 3:
        out.details.emplace_back();
        st = Sub(r, f, "details", out.details.size() - 1, [&](Reader& c) {
          Field g;
          while (c.Next(&g)) {
            if (g.number == 1) {
              RETURN_IF_ERROR(GetString(g, "type_url", &out.details.back().type_url));
            } else if (g.number == 2) {
              RETURN_IF_ERROR(GetString(g, "value", &out.details.back().value));
            }
          }
          return Status::Ok();
        });
        break;
      default:
        break;
    }
    if (!st.ok()) return internal::TopLevel(st);
  }
  if (!r.status().ok()) return internal::TopLevel(internal::ReaderStatus(r));
  return out;
}

std::string GrpcCodeName(int code) {
  static constexpr std::string_view kNames[] = {"OK",
                                                "CANCELLED",
                                                "UNKNOWN",
                                                "INVALID_ARGUMENT",
                                                "DEADLINE_EXCEEDED",
                                                "NOT_FOUND",
                                                "ALREADY_EXISTS",
                                                "PERMISSION_DENIED",
                                                "RESOURCE_EXHAUSTED",
                                                "FAILED_PRECONDITION",
                                                "ABORTED",
                                                "OUT_OF_RANGE",
                                                "UNIMPLEMENTED",
                                                "INTERNAL",
                                                "UNAVAILABLE",
                                                "DATA_LOSS",
                                                "UNAUTHENTICATED"};
  if (code >= 0 && code < static_cast<int>(std::size(kNames))) return std::string(kNames[code]);
  return "CODE_" + std::to_string(code);
}

}  // namespace quartet::otlp

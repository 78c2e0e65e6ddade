#include "wire/w3c/traceparent.h"

#include "base/hex.h"

namespace quartet::w3c {
namespace {

bool IsLowerHexChar(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); }

int HexValue(char c) { return c <= '9' ? c - '0' : c - 'a' + 10; }

}  // namespace

std::string_view TrimOws(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

Result<SpanContext> ParseTraceparent(std::string_view value) {
  std::string_view v = TrimOws(value);
  if (v.size() < kTraceparentSize) {
    return Status::InvalidArgument("traceparent: want 55 chars, got " + std::to_string(v.size()));
  }
  // Field separators are at fixed offsets for every version we can read.
  if (v[2] != '-' || v[35] != '-' || v[52] != '-') {
    return Status::InvalidArgument("traceparent: fields must be version-traceid-parentid-flags");
  }
  for (size_t i : {size_t{0}, size_t{1}}) {
    if (!IsLowerHexChar(v[i]))
      return Status::InvalidArgument("traceparent: version must be 2 lowercase hex digits");
  }
  const int version = HexValue(v[0]) * 16 + HexValue(v[1]);
  if (version == 0xff) return Status::InvalidArgument("traceparent: version ff is invalid");
  if (version == 0 && v.size() != kTraceparentSize) {
    return Status::InvalidArgument("traceparent: version 00 must be exactly 55 chars");
  }
  if (version > 0 && v.size() > kTraceparentSize && v[kTraceparentSize] != '-') {
    return Status::InvalidArgument("traceparent: data after flags must start with '-'");
  }
  const std::string_view trace_hex = v.substr(3, 32);
  const std::string_view span_hex = v.substr(36, 16);
  const std::string_view flags_hex = v.substr(53, 2);
  if (!IsLowerHex(trace_hex))
    return Status::InvalidArgument("traceparent: trace-id must be 32 lowercase hex digits");
  if (!IsLowerHex(span_hex))
    return Status::InvalidArgument("traceparent: parent-id must be 16 lowercase hex digits");
  if (!IsLowerHex(flags_hex))
    return Status::InvalidArgument("traceparent: trace-flags must be 2 lowercase hex digits");

  SpanContext sc;
  HexDecode(trace_hex, sc.trace_id.bytes.data(), sc.trace_id.bytes.size());
  HexDecode(span_hex, sc.span_id.bytes.data(), sc.span_id.bytes.size());
  if (!sc.trace_id.valid()) return Status::InvalidArgument("traceparent: trace-id is all zeros");
  if (!sc.span_id.valid()) return Status::InvalidArgument("traceparent: parent-id is all zeros");
  sc.trace_flags = static_cast<uint8_t>(HexValue(flags_hex[0]) * 16 + HexValue(flags_hex[1]));
  sc.is_remote = true;
  return sc;
}

void FormatTraceparent(const SpanContext& context, char* out) {
  out[0] = '0';
  out[1] = '0';
  out[2] = '-';
  HexEncode(context.trace_id.bytes.data(), context.trace_id.bytes.size(), out + 3);
  out[35] = '-';
  HexEncode(context.span_id.bytes.data(), context.span_id.bytes.size(), out + 36);
  out[52] = '-';
  out[53] = '0';
  out[54] = context.sampled() ? '1' : '0';
}

std::string FormatTraceparent(const SpanContext& context) {
  std::string out(kTraceparentSize, '\0');
  FormatTraceparent(context, out.data());
  return out;
}

}  // namespace quartet::w3c

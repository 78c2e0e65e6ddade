// Internal to wire/otlp: message writers shared by the owning-model encoders
// (encode_model.cc) and the streaming builders (encode.cc). They are
// templates over the record type because model.h structs and encode.h views
// have the same member names; one body serves both, so the two encoders
// cannot drift apart. Zero values are omitted except inside oneofs.
#pragma once

#include <cstdint>
#include <cstring>

#include "wire/otlp/encode.h"
#include "wire/otlp/model.h"
#include "wire/protobuf/writer.h"

namespace quartet::otlp::internal {

using protobuf::Writer;

inline bool NonZero(double d) {
  uint64_t bits;
  std::memcpy(&bits, &d, 8);
  return bits != 0;  // -0.0 is kept: it is not the default
}

template <typename AV>
void WriteAnyValue(Writer& w, const AV& v);

template <typename KVs>
void WriteKeyValues(Writer& w, uint32_t field, const KVs& list) {
  for (const auto& kv : list) {
    auto m = w.BeginMessage(field);
    if (!kv.key.empty()) w.String(1, kv.key);
    if (kv.value.type != AnyValue::Type::kEmpty) {
      auto v = w.BeginMessage(2);
      WriteAnyValue(w, kv.value);
      w.EndMessage(v);
    }
    w.EndMessage(m);
  }
}

template <typename AV>
void WriteAnyValue(Writer& w, const AV& v) {
  // Oneof members are written even when zero: presence is the type.
  switch (v.type) {
    case AnyValue::Type::kEmpty:
      break;
    case AnyValue::Type::kString:
      w.String(1, v.string_value);
      break;
    case AnyValue::Type::kBool:
      w.Bool(2, v.bool_value);
      break;
    case AnyValue::Type::kInt:
      w.Int64(3, v.int_value);
      break;
    case AnyValue::Type::kDouble:
      w.Double(4, v.double_value);
      break;
    case AnyValue::Type::kArray: {
      auto arr = w.BeginMessage(5);
      for (const auto& item : v.array_value) {
        auto m = w.BeginMessage(1);
        WriteAnyValue(w, item);
        w.EndMessage(m);
      }
      w.EndMessage(arr);
      break;
    }
    case AnyValue::Type::kKvList: {
      auto list = w.BeginMessage(6);
      WriteKeyValues(w, 1, v.kvlist_value);
      w.EndMessage(list);
      break;
    }
    case AnyValue::Type::kBytes:
      w.Bytes(7, v.string_value);
      break;
  }
}

inline void WriteId(Writer& w, uint32_t field, const TraceId& id) {
  w.Bytes(field, id.bytes.data(), id.bytes.size());
}
inline void WriteId(Writer& w, uint32_t field, const SpanId& id) {
  w.Bytes(field, id.bytes.data(), id.bytes.size());
}

// Body of a Resource message.
template <typename KVs>
void WriteResource(Writer& w, const KVs& attributes, uint32_t dropped) {
  WriteKeyValues(w, 1, attributes);
  if (dropped) w.Uint32(2, dropped);
}

// Body of an InstrumentationScope message.
template <typename KVs>
void WriteScope(Writer& w, std::string_view name, std::string_view version, const KVs& attributes,
                uint32_t dropped) {
  if (!name.empty()) w.String(1, name);
  if (!version.empty()) w.String(2, version);
  WriteKeyValues(w, 3, attributes);
  if (dropped) w.Uint32(4, dropped);
}

// Body of a Span message.
template <typename S>
void WriteSpan(Writer& w, const S& s) {
  WriteId(w, 1, s.trace_id);
  WriteId(w, 2, s.span_id);
  if (!s.trace_state.empty()) w.String(3, s.trace_state);
  if (s.parent_span_id.valid()) WriteId(w, 4, s.parent_span_id);
  if (!s.name.empty()) w.String(5, s.name);
  if (s.kind != SpanKind::kUnspecified) w.Enum(6, static_cast<int32_t>(s.kind));
  if (s.start_time_unix_nano) w.Fixed64(7, s.start_time_unix_nano);
  if (s.end_time_unix_nano) w.Fixed64(8, s.end_time_unix_nano);
  WriteKeyValues(w, 9, s.attributes);
  if (s.dropped_attributes_count) w.Uint32(10, s.dropped_attributes_count);
  for (const auto& e : s.events) {
    auto m = w.BeginMessage(11);
    if (e.time_unix_nano) w.Fixed64(1, e.time_unix_nano);
    if (!e.name.empty()) w.String(2, e.name);
    WriteKeyValues(w, 3, e.attributes);
    if (e.dropped_attributes_count) w.Uint32(4, e.dropped_attributes_count);
    w.EndMessage(m);
  }
  if (s.dropped_events_count) w.Uint32(12, s.dropped_events_count);
  for (const auto& l : s.links) {
    auto m = w.BeginMessage(13);
    WriteId(w, 1, l.trace_id);
    WriteId(w, 2, l.span_id);
    if (!l.trace_state.empty()) w.String(3, l.trace_state);
    WriteKeyValues(w, 4, l.attributes);
    if (l.dropped_attributes_count) w.Uint32(5, l.dropped_attributes_count);
    if (l.flags) w.Fixed32(6, l.flags);
    w.EndMessage(m);
  }
  if (s.dropped_links_count) w.Uint32(14, s.dropped_links_count);
  if (!s.status.message.empty() || s.status.code != SpanStatusCode::kUnset) {
    auto m = w.BeginMessage(15);
    if (!s.status.message.empty()) w.String(2, s.status.message);
    if (s.status.code != SpanStatusCode::kUnset) w.Enum(3, static_cast<int32_t>(s.status.code));
    w.EndMessage(m);
  }
  if (s.flags) w.Fixed32(16, s.flags);
}

// Body of a LogRecord message.
template <typename L>
void WriteLogRecord(Writer& w, const L& r) {
  if (r.time_unix_nano) w.Fixed64(1, r.time_unix_nano);
  if (r.severity_number) w.Enum(2, r.severity_number);
  if (!r.severity_text.empty()) w.String(3, r.severity_text);
  if (r.body.type != AnyValue::Type::kEmpty) {
    auto m = w.BeginMessage(5);
    WriteAnyValue(w, r.body);
    w.EndMessage(m);
  }
  WriteKeyValues(w, 6, r.attributes);
  if (r.dropped_attributes_count) w.Uint32(7, r.dropped_attributes_count);
  if (r.flags) w.Fixed32(8, r.flags);
  if (r.trace_id.valid()) WriteId(w, 9, r.trace_id);
  if (r.span_id.valid()) WriteId(w, 10, r.span_id);
  if (r.observed_time_unix_nano) w.Fixed64(11, r.observed_time_unix_nano);
  if (!r.event_name.empty()) w.String(12, r.event_name);
}

template <typename Es>
void WriteExemplars(Writer& w, uint32_t field, const Es& exemplars) {
  for (const auto& e : exemplars) {
    auto m = w.BeginMessage(field);
    if (e.time_unix_nano) w.Fixed64(2, e.time_unix_nano);
    if (e.kind == NumberKind::kDouble) w.Double(3, e.as_double);
    if (e.span_id.valid()) WriteId(w, 4, e.span_id);
    if (e.trace_id.valid()) WriteId(w, 5, e.trace_id);
    if (e.kind == NumberKind::kInt) w.Sfixed64(6, e.as_int);
    WriteKeyValues(w, 7, e.filtered_attributes);
    w.EndMessage(m);
  }
}

// Body of a NumberDataPoint message.
template <typename P>
void WriteNumberPoint(Writer& w, const P& p) {
  if (p.start_time_unix_nano) w.Fixed64(2, p.start_time_unix_nano);
  if (p.time_unix_nano) w.Fixed64(3, p.time_unix_nano);
  if (p.kind == NumberKind::kDouble) w.Double(4, p.as_double);
  WriteExemplars(w, 5, p.exemplars);
  if (p.kind == NumberKind::kInt) w.Sfixed64(6, p.as_int);
  WriteKeyValues(w, 7, p.attributes);
  if (p.flags) w.Uint32(8, p.flags);
}

// Body of a HistogramDataPoint message.
template <typename P>
void WriteHistogramPoint(Writer& w, const P& p) {
  if (p.start_time_unix_nano) w.Fixed64(2, p.start_time_unix_nano);
  if (p.time_unix_nano) w.Fixed64(3, p.time_unix_nano);
  if (p.count) w.Fixed64(4, p.count);
  if (p.sum) w.Double(5, *p.sum);
  w.PackedFixed64(6, p.bucket_counts);
  w.PackedDouble(7, p.explicit_bounds);
  WriteExemplars(w, 8, p.exemplars);
  WriteKeyValues(w, 9, p.attributes);
  if (p.flags) w.Uint32(10, p.flags);
  if (p.min) w.Double(11, *p.min);
  if (p.max) w.Double(12, *p.max);
}

}  // namespace quartet::otlp::internal

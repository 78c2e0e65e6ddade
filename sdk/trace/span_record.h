// SpanRecord: everything a recording span collected, owned by the SDK from
// StartSpan until its exporter has seen it; plus the owned attribute types
// and span limits. A record is written only by the thread holding its Span
// handle, then handed (with ownership) to a SpanSink when the span ends; after
// that only the export thread reads it. Internal to sdk/trace.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "quartet/trace.h"

namespace quartet::trace_internal {

// An owned attribute value (the SDK's copy of an AttributeValue).
using OwnedValue = std::variant<std::string, int64_t, double, bool>;

struct KeyValue {
  std::string key;
  OwnedValue value;
};

OwnedValue ToOwned(const AttributeValue& value);

// OTEL_SPAN_{ATTRIBUTE,EVENT,LINK}_COUNT_LIMIT defaults.
inline constexpr size_t kMaxAttributes = 128;
inline constexpr size_t kMaxEvents = 128;
inline constexpr size_t kMaxLinks = 128;

struct SpanEvent {
  std::string name;
  int64_t time_unix_nanos = 0;
  std::vector<KeyValue> attributes;
};

struct SpanLink {
  SpanContext context;
  std::vector<KeyValue> attributes;
};

class SpanSink;

struct SpanRecord {
  SpanContext context;
  SpanId parent_span_id;  // all zero for a root span
  bool parent_is_remote = false;
  SpanKind kind = SpanKind::kInternal;
  SpanStatus status = SpanStatus::kUnset;
  std::string name;
  std::string status_message;
  int64_t start_unix_nanos = 0;
  int64_t end_unix_nanos = 0;
  std::vector<KeyValue> attributes;
  std::vector<KeyValue> spare_attributes;  // emptied entries kept by Reset() for reuse
  std::vector<SpanEvent> events;
  std::vector<SpanLink> links;
  uint32_t dropped_attributes = 0;
  uint32_t dropped_events = 0;
  uint32_t dropped_links = 0;
  SpanSink* sink = nullptr;  // receives the record when the span ends

  // Sets or replaces `key` (last write wins), counting drops beyond the limit.
  void SetAttribute(std::string_view key, const AttributeValue& value);
  // Back to a fresh record, keeping the containers' capacity (for reuse).
  void Reset() noexcept;
};

// Where ended spans go (the provider, which forwards to its processor).
// OnEnd takes ownership of the record. Implementations are thread-safe.
class SpanSink {
 public:
  virtual ~SpanSink() = default;
  virtual void OnEnd(SpanRecord* record) noexcept = 0;
};

}  // namespace quartet::trace_internal

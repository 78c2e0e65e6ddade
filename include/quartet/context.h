// Trace identity shared by every signal: TraceId, SpanId and SpanContext.
// Plain values: copy them freely; thread-safe as values are.
//
// The *current* context of a thread (which span is active, which request it
// serves) is managed by quartet::Scope in trace.h; logs and metrics read it to
// stamp trace_id/span_id/sampled/request_id and exemplars.
#pragma once

#include <array>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <string_view>

namespace quartet {

// A 16-byte W3C trace id. All-zero is invalid.
struct TraceId {
  std::array<uint8_t, 16> bytes{};

  bool valid() const {
    uint64_t a, b;
    std::memcpy(&a, bytes.data(), 8);
    std::memcpy(&b, bytes.data() + 8, 8);
    return (a | b) != 0;
  }
  std::string ToHex() const;    // 32 lowercase hex digits
  void ToHex(char* out) const;  // writes 32 chars
  friend bool operator==(const TraceId&, const TraceId&) = default;
};

// An 8-byte span id. All-zero is invalid.
struct SpanId {
  std::array<uint8_t, 8> bytes{};

  bool valid() const {
    uint64_t a;
    std::memcpy(&a, bytes.data(), 8);
    return a != 0;
  }
  std::string ToHex() const;    // 16 lowercase hex digits
  void ToHex(char* out) const;  // writes 16 chars
  friend bool operator==(const SpanId&, const SpanId&) = default;
};

// W3C trace flags: only bit 0 (sampled) is defined.
inline constexpr uint8_t kTraceFlagSampled = 0x01;

// The part of a span that crosses process boundaries (W3C traceparent +
// tracestate). trace_state is shared and immutable; null when empty, so
// copying a context costs no allocation.
struct SpanContext {
  TraceId trace_id;
  SpanId span_id;
  uint8_t trace_flags = 0;
  bool is_remote = false;
  std::shared_ptr<const std::string> trace_state;  // raw W3C tracestate header value

  bool valid() const { return trace_id.valid() && span_id.valid(); }
  bool sampled() const { return (trace_flags & kTraceFlagSampled) != 0; }
};

}  // namespace quartet

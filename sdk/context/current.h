// The per-thread stack of active context frames: which span is current and
// which request it serves. quartet::Scope (trace.h) pushes a frame on
// construction and pops it on destruction; logs and metrics read Current() to
// stamp trace ids, request ids and exemplars. No allocation, no locks: a frame
// lives inside the Scope object on the caller's stack.
//
// Thread-safety: each thread sees only its own frames.
#pragma once

#include <string_view>

#include "quartet/context.h"

namespace quartet::context_internal {

struct Frame {
  // Filled by the pusher; Push() inherits any field left empty from the frame
  // below, so Current() alone answers every question.
  const SpanContext* span = nullptr;  // null when no span is current
  void* recording_span = nullptr;     // the SDK's span record, null when not recording
  std::string_view request_id;        // empty when none; owner keeps it alive
  const void* baggage = nullptr;      // trace.h's Baggage, null when none
  const Frame* prev = nullptr;
};

// The innermost active frame of this thread, or null.
const Frame* Current() noexcept;
// Makes `frame` current; fills its empty fields from the frame below.
void Push(Frame* frame) noexcept;
// Restores the frame below `frame`; frames must be popped in LIFO order.
void Pop(Frame* frame) noexcept;

}  // namespace quartet::context_internal

// Random trace and span ids from a per-thread xoshiro256++ generator seeded
// from the OS once per thread: no locks, no syscalls on the hot path.
// Thread-safe (each thread has its own state). Internal to sdk/trace.
#pragma once

#include "quartet/context.h"

namespace quartet::trace_internal {

TraceId NewTraceId() noexcept;  // never all zero
SpanId NewSpanId() noexcept;    // never all zero

}  // namespace quartet::trace_internal

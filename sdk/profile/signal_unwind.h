// Stack capture inside a signal handler, shared by the CPU sampler (SIGPROF)
// and the thread sampler: unwind from the handler with libgcc's
// _Unwind_Backtrace, then cut off the handler's own frames (and the kernel's
// signal trampoline) so the stack starts at the interrupted instruction.
// Return addresses are stepped back by one byte, so a caller's frame
// symbolizes (and its line reads) as the call site.
//
// CollectFrame and InterruptedFrames are async-signal-safe: no allocation,
// no locks; the buffer lives on the handler's stack. Call WarmUnwinder once
// outside any handler before installing one.
#pragma once

#include <unwind.h>

#include <cstdint>

#include "sdk/profile/sample_queue.h"

namespace quartet::profile_internal {

// Room for the frames the handler adds below the interrupted one.
inline constexpr int kRawFrames = kMaxFrames + 8;

struct UnwindBuffer {
  uintptr_t pcs[kRawFrames];
  bool signal_frame[kRawFrames];
  int n = 0;
};

// Unwinds once outside any signal: binds the unwinder's PLT entries and runs
// libgcc's one-time setup here rather than in a handler.
void WarmUnwinder();

// The _Unwind_Backtrace callback that fills an UnwindBuffer:
//   UnwindBuffer buf;
//   _Unwind_Backtrace(CollectFrame, &buf);
_Unwind_Reason_Code CollectFrame(_Unwind_Context* ctx, void* buffer);

// Copies into `out` (room for kMaxFrames) the frames of `buf` from the
// interrupted one down, given the handler's `ucontext`; returns how many.
// The interrupted frame is the first signal frame, or the one at the
// interrupted pc; when the unwinder did not get through the signal frame,
// the interrupted pc alone (0 frames if even that is unknown).
uint32_t InterruptedFrames(const UnwindBuffer& buf, void* ucontext, uintptr_t* out);

}  // namespace quartet::profile_internal

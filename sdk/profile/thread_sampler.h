// Thread sampler: the stack of every thread of the process, on demand (the
// C++ counterpart of Go's goroutine profile). The caller lists
// /proc/self/task and sends each thread SIGURG with rt_tgsigqueueinfo,
// carrying a cookie (collection generation and slot); the handler, async-
// signal-safe, unwinds its own stack with _Unwind_Backtrace into that
// preallocated slot. A thread that blocks SIGURG, or sits in a long
// uninterruptible call, does not answer within the timeout and is counted
// under a synthetic "[no stack: ...]" frame; its signal, delivered later, is
// ignored (stale generation). SIGURG is what Go itself uses for this kind of
// in-process signalling: its default action is to ignore it, so a late signal
// can never kill the process. Signals we did not send are passed on to the
// handler installed before ours.
//
// Thread-safety: CollectThreadStacks may be called from any thread;
// concurrent calls run one after the other.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <vector>

#include "sdk/profile/sample_queue.h"
#include "sdk/profile/symbolizer.h"
#include "wire/pprof/profile.h"

namespace quartet::profile_internal {

struct ThreadStack {
  pid_t tid = 0;
  bool captured = false;  // false: no answer within the timeout
  uint32_t depth = 0;
  uintptr_t pcs[kMaxFrames] = {};
};

struct ThreadDump {
  std::vector<ThreadStack> threads;
  uint32_t unanswered = 0;  // threads counted without a stack
  uint32_t skipped = 0;     // threads over the slot capacity
};

// The stacks of every thread (the caller unwinds its own), waiting at most
// `timeout` for the answers.
ThreadDump CollectThreadStacks(std::chrono::milliseconds timeout);

// A pprof profile with sample type threads/count: one sample per distinct
// stack, valued by the number of threads in it.
pprof::Profile BuildThreadProfile(const ThreadDump& dump, Symbolizer* symbolizer,
                                  int64_t time_nanos);

}  // namespace quartet::profile_internal

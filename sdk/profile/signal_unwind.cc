#include "sdk/profile/signal_unwind.h"

#include <signal.h>
#include <ucontext.h>

namespace quartet::profile_internal {
namespace {

uintptr_t InterruptedPc(void* ucontext) {
  auto* uc = static_cast<ucontext_t*>(ucontext);
#if defined(__x86_64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.gregs[REG_RIP]);
#elif defined(__aarch64__)
  return static_cast<uintptr_t>(uc->uc_mcontext.pc);
#else
  (void)uc;
  return 0;
#endif
}

_Unwind_Reason_Code CountFrame(_Unwind_Context* ctx, void* arg) {
  int before = 0;
  (void)_Unwind_GetIPInfo(ctx, &before);
  ++*static_cast<int*>(arg);
  return _URC_NO_REASON;
}

}  // namespace

void WarmUnwinder() {
  int frames = 0;
  _Unwind_Backtrace(CountFrame, &frames);
}

_Unwind_Reason_Code CollectFrame(_Unwind_Context* ctx, void* buffer) {
  auto* buf = static_cast<UnwindBuffer*>(buffer);
  int before_insn = 0;
  uintptr_t ip = _Unwind_GetIPInfo(ctx, &before_insn);
  if (ip == 0) return _URC_END_OF_STACK;
  buf->pcs[buf->n] = before_insn ? ip : ip - 1;
  buf->signal_frame[buf->n] = before_insn != 0;
  ++buf->n;
  return buf->n < kRawFrames ? _URC_NO_REASON : _URC_END_OF_STACK;
}

uint32_t InterruptedFrames(const UnwindBuffer& buf, void* ucontext, uintptr_t* out) {
  const uintptr_t pc = InterruptedPc(ucontext);
  int first = -1;
  for (int i = 0; i < buf.n; ++i) {
    if (buf.signal_frame[i] || buf.pcs[i] == pc) {
      first = i;
      break;
    }
  }
  uint32_t depth = 0;
  if (first < 0) {
    if (pc != 0) out[depth++] = pc;
    return depth;
  }
  for (int i = first; i < buf.n && depth < kMaxFrames; ++i) out[depth++] = buf.pcs[i];
  return depth;
}

}  // namespace quartet::profile_internal

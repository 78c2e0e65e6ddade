#include "sdk/context/current.h"

namespace quartet {

namespace context_internal {
namespace {
// initial-exec: the cheapest TLS access; libquartet is linked at start-up.
thread_local const Frame* tls_current __attribute__((tls_model("initial-exec"))) = nullptr;
}  // namespace

const Frame* Current() noexcept { return tls_current; }

void Push(Frame* frame) noexcept {
  const Frame* below = tls_current;
  frame->prev = below;
  if (below != nullptr) {
    if (frame->span == nullptr) {
      frame->span = below->span;
      frame->recording_span = below->recording_span;
    }
    if (frame->request_id.empty()) frame->request_id = below->request_id;
    if (frame->baggage == nullptr) frame->baggage = below->baggage;
  }
  tls_current = frame;
}

void Pop(Frame* frame) noexcept { tls_current = frame->prev; }

}  // namespace context_internal
}  // namespace quartet

// Tracer::StartSpan (parent resolution) and the process-wide tracer.
#include "sdk/context/current.h"
#include "sdk/trace/tracer_provider.h"

namespace quartet {

class Tracer& Tracer() noexcept {
  static class Tracer tracer;
  return tracer;
}

Span Tracer::StartSpan(std::string_view name, const SpanOptions& options) noexcept {
  const SpanContext* parent = nullptr;
  std::string_view request_id;
  if (!options.parent.explicit_) {
    const context_internal::Frame* frame = context_internal::Current();
    if (frame != nullptr) {
      if (frame->span != nullptr && frame->span->valid()) parent = frame->span;
      request_id = frame->request_id;
    }
  } else if (options.parent.context_.valid()) {
    parent = &options.parent.context_;
  }
  trace_internal::TracerProvider* provider = provider_.load(std::memory_order_acquire);
  if (provider == nullptr) {
    // No SDK: behave as the OpenTelemetry API does and pass the parent on.
    Span span;
    if (parent != nullptr) span.context_ = *parent;
    return span;
  }
  return provider->StartSpan(name, options, parent, request_id);
}

}  // namespace quartet

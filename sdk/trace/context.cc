// Context, Baggage and Scope: explicit and thread-current context.
#include <new>

#include "quartet/trace.h"
#include "sdk/context/current.h"

namespace quartet {

using context_internal::Frame;

// ---- Baggage ----

const std::vector<Baggage::Entry>& Baggage::entries() const noexcept {
  static const std::vector<Entry> kEmpty;
  return entries_ ? *entries_ : kEmpty;
}

std::optional<std::string_view> Baggage::Get(std::string_view key) const noexcept {
  for (const Entry& e : entries()) {
    if (e.key == key) return std::string_view(e.value);
  }
  return std::nullopt;
}

Baggage Baggage::Set(std::string_view key, std::string_view value,
                     std::string_view metadata) const noexcept {
  auto next = std::make_shared<std::vector<Entry>>();
  next->reserve(entries().size() + 1);
  for (const Entry& e : entries()) {
    if (e.key != key) next->push_back(e);
  }
  next->push_back({std::string(key), std::string(value), std::string(metadata)});
  Baggage out;
  out.entries_ = std::move(next);
  return out;
}

Baggage Baggage::Remove(std::string_view key) const noexcept {
  auto next = std::make_shared<std::vector<Entry>>();
  for (const Entry& e : entries()) {
    if (e.key != key) next->push_back(e);
  }
  Baggage out;
  if (!next->empty()) out.entries_ = std::move(next);
  return out;
}

// ---- Context ----

Context Context::Current() noexcept {
  Context c;
  const Frame* frame = context_internal::Current();
  if (frame == nullptr) return c;
  if (frame->span != nullptr) c.span_ = *frame->span;
  if (!frame->request_id.empty())
    c.request_id_ = std::make_shared<const std::string>(frame->request_id);
  if (frame->baggage != nullptr) c.baggage_ = *static_cast<const Baggage*>(frame->baggage);
  return c;
}

Context Context::WithSpan(const Span& span) const noexcept {
  return WithSpanContext(span.context());
}

Context Context::WithSpanContext(const SpanContext& span_context) const noexcept {
  Context c = *this;
  c.span_ = span_context;
  return c;
}

Context Context::WithRequestId(std::string_view request_id) const noexcept {
  Context c = *this;
  c.request_id_ = request_id.empty() ? nullptr : std::make_shared<const std::string>(request_id);
  return c;
}

Context Context::WithBaggage(Baggage baggage) const noexcept {
  Context c = *this;
  c.baggage_ = std::move(baggage);
  return c;
}

// ---- Scope ----

Scope::Scope(const Span& span) noexcept {
  context_.span_ = span.context_;
  Push(span.record_);
}

Scope::Scope(const Context& context) noexcept : context_(context) { Push(nullptr); }

void Scope::Push(void* recording_span) noexcept {
  static_assert(sizeof(Frame) <= sizeof(frame_) && alignof(Frame) <= alignof(void*));
  Frame* frame = new (frame_) Frame;
  if (context_.span_.valid()) {
    frame->span = &context_.span_;
    frame->recording_span = recording_span;
  }
  frame->request_id = context_.request_id();
  if (!context_.baggage_.empty()) frame->baggage = &context_.baggage_;
  context_internal::Push(frame);
}

Scope::~Scope() {
  Frame* frame = std::launder(reinterpret_cast<Frame*>(frame_));
  context_internal::Pop(frame);
  frame->~Frame();
}

}  // namespace quartet

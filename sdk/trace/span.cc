// Span handle methods and SpanRecord attribute handling.
#include <utility>

#include "base/clock.h"
#include "sdk/trace/span_record.h"

namespace quartet {
namespace trace_internal {

OwnedValue ToOwned(const AttributeValue& value) {
  switch (value.type()) {
    case AttributeValue::Type::kString:
      return std::string(value.string_value());
    case AttributeValue::Type::kInt:
      return value.int_value();
    case AttributeValue::Type::kDouble:
      return value.double_value();
    case AttributeValue::Type::kBool:
      return value.bool_value();
  }
  return false;
}

void SpanRecord::Reset() noexcept {
  context = SpanContext();
  parent_span_id = SpanId();
  parent_is_remote = false;
  kind = SpanKind::kInternal;
  status = SpanStatus::kUnset;
  name.clear();
  status_message.clear();
  start_unix_nanos = end_unix_nanos = 0;
  // Keep a few attributes' strings for the next span (see SetAttribute);
  // bounded, so one span with huge attributes does not pin memory forever.
  constexpr size_t kMaxSpareAttributes = 16;
  for (KeyValue& kv : attributes) {
    if (spare_attributes.size() >= kMaxSpareAttributes) break;
    if (auto* str = std::get_if<std::string>(&kv.value); str != nullptr && str->capacity() > 256)
      continue;
    spare_attributes.push_back(std::move(kv));
  }
  attributes.clear();
  events.clear();
  links.clear();
  dropped_attributes = dropped_events = dropped_links = 0;
  sink = nullptr;
}

void SpanRecord::SetAttribute(std::string_view key, const AttributeValue& value) {
  for (KeyValue& kv : attributes) {
    if (kv.key == key) {
      kv.value = ToOwned(value);
      return;
    }
  }
  if (attributes.size() >= kMaxAttributes) {
    ++dropped_attributes;
    return;
  }
  if (spare_attributes.empty()) {
    attributes.push_back({std::string(key), ToOwned(value)});
    return;
  }
  // A recycled record: reuse a previous attribute's strings (their heap
  // buffers, for keys past the small-string size) instead of allocating.
  KeyValue& kv = attributes.emplace_back(std::move(spare_attributes.back()));
  spare_attributes.pop_back();
  kv.key.assign(key);
  if (value.type() == AttributeValue::Type::kString) {
    if (auto* str = std::get_if<std::string>(&kv.value)) {
      str->assign(value.string_value());
      return;
    }
  }
  kv.value = ToOwned(value);
}

}  // namespace trace_internal

Span::Span(Span&& other) noexcept
    : record_(std::exchange(other.record_, nullptr)), context_(std::move(other.context_)) {}

Span& Span::operator=(Span&& other) noexcept {
  if (this != &other) {
    End();
    record_ = std::exchange(other.record_, nullptr);
    context_ = std::move(other.context_);
  }
  return *this;
}

void Span::SetAttribute(std::string_view key, AttributeValue value) noexcept {
  if (record_ != nullptr) record_->SetAttribute(key, value);
}

void Span::AddEvent(std::string_view name, std::initializer_list<Attribute> attributes) noexcept {
  AddEvent(name, std::span<const Attribute>(attributes.begin(), attributes.size()));
}

void Span::AddEvent(std::string_view name, std::span<const Attribute> attributes) noexcept {
  if (record_ == nullptr) return;
  if (record_->events.size() >= trace_internal::kMaxEvents) {
    ++record_->dropped_events;
    return;
  }
  trace_internal::SpanEvent& event = record_->events.emplace_back();
  event.name.assign(name);
  event.time_unix_nanos = UnixNanos();
  event.attributes.reserve(attributes.size());
  for (const Attribute& a : attributes) {
    event.attributes.push_back({std::string(a.key), trace_internal::ToOwned(a.value)});
  }
}

void Span::AddLink(const SpanContext& context,
                   std::initializer_list<Attribute> attributes) noexcept {
  if (record_ == nullptr || !context.valid()) return;
  if (record_->links.size() >= trace_internal::kMaxLinks) {
    ++record_->dropped_links;
    return;
  }
  trace_internal::SpanLink& link = record_->links.emplace_back();
  link.context = context;
  for (const Attribute& a : attributes) {
    link.attributes.push_back({std::string(a.key), trace_internal::ToOwned(a.value)});
  }
}

void Span::SetStatus(SpanStatus status, std::string_view message) noexcept {
  // OTel: Unset never overrides; Ok is final; the message belongs to Error.
  if (record_ == nullptr || status == SpanStatus::kUnset || record_->status == SpanStatus::kOk)
    return;
  record_->status = status;
  if (status == SpanStatus::kError) {
    record_->status_message.assign(message);
  } else {
    record_->status_message.clear();
  }
}

void Span::RecordException(std::string_view type, std::string_view message) noexcept {
  AddEvent("exception", {{"exception.type", type}, {"exception.message", message}});
}

void Span::UpdateName(std::string_view name) noexcept {
  if (record_ != nullptr) record_->name.assign(name);
}

void Span::EndRecording(int64_t end_unix_nanos) noexcept {
  trace_internal::SpanRecord* record = std::exchange(record_, nullptr);
  record->end_unix_nanos = end_unix_nanos != 0 ? end_unix_nanos : UnixNanos();
  record->sink->OnEnd(record);
}

}  // namespace quartet

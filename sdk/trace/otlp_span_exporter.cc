#include "sdk/trace/otlp_span_exporter.h"

#include <variant>

#include "wire/otlp/encode.h"

namespace quartet::trace_internal {
namespace {

otlp::AnyValueView ToView(const OwnedValue& v) {
  switch (v.index()) {
    case 0:
      return otlp::AnyValueView::String(std::get<std::string>(v));
    case 1:
      return otlp::AnyValueView::Int(std::get<int64_t>(v));
    case 2:
      return otlp::AnyValueView::Double(std::get<double>(v));
    default:
      return otlp::AnyValueView::Bool(std::get<bool>(v));
  }
}

// Appends views of `attrs` to `out` (reserved by the caller so earlier spans
// into it stay valid) and returns the span of the appended part.
otlp::Attributes AppendViews(const std::vector<KeyValue>& attrs,
                             std::vector<otlp::KeyValueView>& out) {
  const size_t first = out.size();
  for (const KeyValue& kv : attrs) out.push_back({kv.key, ToView(kv.value)});
  return otlp::Attributes(out.data() + first, attrs.size());
}

otlp::SpanKind ToOtlpKind(SpanKind kind) {
  return static_cast<otlp::SpanKind>(static_cast<int32_t>(kind) +
                                     1);  // internal = 1 ... consumer = 5
}

otlp::SpanStatusCode ToOtlpStatus(SpanStatus status) {
  switch (status) {
    case SpanStatus::kOk:
      return otlp::SpanStatusCode::kOk;
    case SpanStatus::kError:
      return otlp::SpanStatusCode::kError;
    default:
      return otlp::SpanStatusCode::kUnset;
  }
}

std::string_view TraceState(const SpanContext& sc) {
  return sc.trace_state ? std::string_view(*sc.trace_state) : std::string_view();
}

}  // namespace

OtlpSpanExporter::OtlpSpanExporter(const std::vector<KeyValue>& resource, OtlpSender sender,
                                   std::string_view scope_name, std::string_view scope_version)
    : sender_(std::move(sender)) {
  std::vector<otlp::KeyValueView> views;
  views.reserve(resource.size());
  otlp::Attributes attrs = AppendViews(resource, views);
  builder_ = std::make_unique<otlp::TraceRequestBuilder>(attrs, scope_name, scope_version);
}

OtlpSpanExporter::~OtlpSpanExporter() = default;

std::string OtlpSpanExporter::Encode(std::span<const SpanRecord* const> batch) {
  std::vector<otlp::KeyValueView> kvs;
  std::vector<otlp::SpanEventView> events;
  std::vector<otlp::SpanLinkView> links;
  for (const SpanRecord* r : batch) {
    size_t n = r->attributes.size();
    for (const SpanEvent& e : r->events) n += e.attributes.size();
    for (const SpanLink& l : r->links) n += l.attributes.size();
    kvs.clear();
    kvs.reserve(n);
    events.clear();
    events.reserve(r->events.size());
    links.clear();
    links.reserve(r->links.size());

    otlp::SpanView v;
    v.trace_id = r->context.trace_id;
    v.span_id = r->context.span_id;
    v.trace_state = TraceState(r->context);
    v.parent_span_id = r->parent_span_id;
    v.flags = (r->context.trace_flags & kTraceFlagSampled) | otlp::kSpanFlagsContextHasIsRemote |
              (r->parent_is_remote ? otlp::kSpanFlagsContextIsRemote : 0);
    v.name = r->name;
    v.kind = ToOtlpKind(r->kind);
    v.start_time_unix_nano = static_cast<uint64_t>(r->start_unix_nanos);
    v.end_time_unix_nano = static_cast<uint64_t>(r->end_unix_nanos);
    v.attributes = AppendViews(r->attributes, kvs);
    v.dropped_attributes_count = r->dropped_attributes;
    for (const SpanEvent& e : r->events) {
      otlp::SpanEventView ev;
      ev.time_unix_nano = static_cast<uint64_t>(e.time_unix_nanos);
      ev.name = e.name;
      ev.attributes = AppendViews(e.attributes, kvs);
      events.push_back(ev);
    }
    v.events = events;
    v.dropped_events_count = r->dropped_events;
    for (const SpanLink& l : r->links) {
      otlp::SpanLinkView lv;
      lv.trace_id = l.context.trace_id;
      lv.span_id = l.context.span_id;
      lv.trace_state = TraceState(l.context);
      lv.attributes = AppendViews(l.attributes, kvs);
      lv.flags = (l.context.trace_flags & kTraceFlagSampled) | otlp::kSpanFlagsContextHasIsRemote |
                 (l.context.is_remote ? otlp::kSpanFlagsContextIsRemote : 0);
      links.push_back(lv);
    }
    v.links = links;
    v.dropped_links_count = r->dropped_links;
    v.status.code = ToOtlpStatus(r->status);
    v.status.message = r->status_message;
    builder_->AddSpan(v);
  }
  return builder_->Finish();
}

ExportResult OtlpSpanExporter::Export(std::span<const SpanRecord* const> batch,
                                      Deadline deadline) noexcept {
  if (shutdown_ || batch.empty())
    return shutdown_ ? ExportResult::kFailure : ExportResult::kSuccess;
  const std::string body = Encode(batch);
  return sender_ ? sender_(body, deadline) : ExportResult::kFailure;
}

}  // namespace quartet::trace_internal

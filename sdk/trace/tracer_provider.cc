#include "sdk/trace/tracer_provider.h"

#include <new>

#include "base/clock.h"
#include "base/hex.h"
#include "sdk/profile/root_span.h"
#include "sdk/trace/id_generator.h"

namespace quartet::trace_internal {
namespace {

// Accepts everything and keeps nothing: sampling still happens (so ids and
// flags propagate) when no exporter is configured.
class DiscardExporter : public SpanExporter {
 public:
  ExportResult Export(std::span<const SpanRecord* const>, Deadline) noexcept override {
    return ExportResult::kSuccess;
  }
};

}  // namespace

TracerProvider::TracerProvider(TracerProviderOptions options)
    : resource_(std::move(options.resource)),
      sampler_(std::move(options.sampler)),
      counters_(options.counters ? std::move(options.counters)
                                 : std::make_shared<TraceCounters>()) {
  std::unique_ptr<SpanExporter> exporter =
      options.exporter ? std::move(options.exporter) : std::make_unique<DiscardExporter>();
  pool_ = std::make_shared<SpanRecordPool>(options.batch.max_queue_size);
  processor_ =
      std::make_unique<BatchSpanProcessor>(std::move(exporter), options.batch, counters_, pool_);
  tracer_.provider_.store(this, std::memory_order_release);
}

TracerProvider::~TracerProvider() {
  UninstallGlobal();
  tracer_.provider_.store(nullptr, std::memory_order_release);
  // processor_'s destructor shuts it down if Shutdown was not called.
}

void TracerProvider::InstallGlobal() noexcept {
  quartet::Tracer().provider_.store(this, std::memory_order_release);
}

void TracerProvider::UninstallGlobal() noexcept {
  TracerProvider* self = this;
  quartet::Tracer().provider_.compare_exchange_strong(self, nullptr, std::memory_order_acq_rel);
}

bool TracerProvider::ForceFlush(std::chrono::milliseconds timeout) noexcept {
  return processor_->ForceFlush(timeout);
}

bool TracerProvider::Shutdown(std::chrono::milliseconds timeout) noexcept {
  UninstallGlobal();
  return processor_->Shutdown(timeout);
}

Span TracerProvider::StartSpan(std::string_view name, const SpanOptions& options,
                               const SpanContext* parent, std::string_view request_id) noexcept {
  Span span;
  SpanContext& sc = span.context_;
  if (parent != nullptr) {
    sc.trace_id = parent->trace_id;
    sc.trace_state = parent->trace_state;
  } else {
    sc.trace_id = NewTraceId();
  }
  sc.span_id = NewSpanId();
  if (!sampler_.ShouldSample(parent, sc.trace_id, options.kind, options.attributes)) return span;
  sc.trace_flags = kTraceFlagSampled;

  SpanRecord* rec = pool_->Acquire();
  if (rec == nullptr) return span;
  rec->context = sc;
  if (parent != nullptr) {
    rec->parent_span_id = parent->span_id;
    rec->parent_is_remote = parent->is_remote;
  }
  rec->kind = options.kind;
  rec->name.assign(name);
  rec->start_unix_nanos = options.start_unix_nanos != 0 ? options.start_unix_nanos : UnixNanos();
  rec->attributes.reserve(options.attributes.size() + 4);
  for (const Attribute& a : options.attributes) rec->SetAttribute(a.key, a.value);
  if (!request_id.empty()) rec->SetAttribute("request_id", request_id);
  if ((parent == nullptr || parent->is_remote) && profile_internal::TagRootSpans()) {
    char id[16];  // the profiler's span_id label: links this request's CPU samples
    HexEncode(sc.span_id.bytes.data(), sc.span_id.bytes.size(), id);
    rec->SetAttribute(profile_internal::kProfileIdAttribute, std::string_view(id, 16));
  }
  for (const Link& link : options.links) {
    if (rec->links.size() >= kMaxLinks) {
      ++rec->dropped_links;
      continue;
    }
    SpanLink& l = rec->links.emplace_back();
    l.context = link.context;
    for (const Attribute& a : link.attributes)
      l.attributes.push_back({std::string(a.key), ToOwned(a.value)});
  }
  rec->sink = this;
  counters_->spans_started.fetch_add(1, std::memory_order_relaxed);
  span.record_ = rec;
  return span;
}

void TracerProvider::OnEnd(SpanRecord* record) noexcept {
  counters_->spans_ended.fetch_add(1, std::memory_order_relaxed);
  processor_->OnEnd(record);
}

}  // namespace quartet::trace_internal

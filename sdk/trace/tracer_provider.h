// TracerProvider: the tracing SDK's root object. It owns the resource, the
// sampler, the batch processor and its exporter, and the pipeline counters;
// quartet::Init builds one from the resolved configuration and installs it
// behind quartet::Tracer(). Tests build their own and use tracer() directly.
//
//   TracerProviderOptions options;
//   options.exporter = std::make_unique<InMemorySpanExporter>();
//   TracerProvider provider(std::move(options));
//   auto span = provider.tracer().StartSpan("work");
//
// Thread-safe. Lifetime: every span started from a provider must end before
// the provider is destroyed (a destroyed provider uninstalls itself first).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "quartet/trace.h"
#include "sdk/trace/batch_span_processor.h"
#include "sdk/trace/counters.h"
#include "sdk/trace/sampler.h"
#include "sdk/trace/span_exporter.h"
#include "sdk/trace/span_record.h"

namespace quartet::trace_internal {

struct TracerProviderOptions {
  // service.name, service.version, deployment.environment, telemetry.sdk.*,
  // host.name, process.pid ... as resolved by Init (exporters get a copy).
  std::vector<KeyValue> resource;
  SamplerConfig sampler;
  BatchOptions batch;
  std::unique_ptr<SpanExporter> exporter;  // null: spans are sampled, then discarded
  // Shared with the metrics layer; created when null.
  std::shared_ptr<TraceCounters> counters;
};

class TracerProvider : public SpanSink {
 public:
  explicit TracerProvider(TracerProviderOptions options);
  ~TracerProvider() override;

  TracerProvider(const TracerProvider&) = delete;
  TracerProvider& operator=(const TracerProvider&) = delete;

  // A tracer bound to this provider (independent of the global one).
  class Tracer& tracer() noexcept {
    return tracer_;
  }

  // Makes quartet::Tracer() start spans here. At most one provider is
  // installed; installing replaces the previous one.
  void InstallGlobal() noexcept;
  // Returns quartet::Tracer() to the no-op state if this provider is installed.
  void UninstallGlobal() noexcept;

  bool ForceFlush(std::chrono::milliseconds timeout) noexcept;
  // Uninstalls, flushes and stops the exporter; true when done in time.
  bool Shutdown(std::chrono::milliseconds timeout) noexcept;

  const std::vector<KeyValue>& resource() const noexcept { return resource_; }
  const TraceCounters& counters() const noexcept { return *counters_; }
  std::shared_ptr<TraceCounters> shared_counters() const noexcept { return counters_; }
  const Sampler& sampler() const noexcept { return sampler_; }

  // The SDK side of Tracer::StartSpan; `parent` is null for a root span.
  Span StartSpan(std::string_view name, const SpanOptions& options, const SpanContext* parent,
                 std::string_view request_id) noexcept;

  void OnEnd(SpanRecord* record) noexcept override;

 private:
  std::vector<KeyValue> resource_;
  Sampler sampler_;
  std::shared_ptr<TraceCounters> counters_;
  std::shared_ptr<SpanRecordPool> pool_;  // records recycled by the processor
  std::unique_ptr<BatchSpanProcessor> processor_;
  class Tracer tracer_;
};

}  // namespace quartet::trace_internal

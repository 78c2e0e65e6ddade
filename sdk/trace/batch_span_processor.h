// BatchSpanProcessor: queues ended spans and exports them in batches from one
// background thread (OTEL_BSP_* semantics). OnEnd never blocks: when the
// queue is full the span is dropped and counted. ForceFlush and Shutdown
// return by their deadlines even if the exporter hangs: the export thread
// shares its state through a shared_ptr, so a stuck thread is detached and
// cleans up when the exporter finally returns. Memory is bounded by the
// queue plus one batch in flight.
//
// Thread-safe: OnEnd from any thread; ForceFlush/Shutdown from any thread.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <thread>

#include "sdk/trace/counters.h"
#include "sdk/trace/record_pool.h"
#include "sdk/trace/span_exporter.h"
#include "sdk/trace/span_record.h"

namespace quartet::trace_internal {

struct BatchOptions {
  size_t max_queue_size = 2048;                     // OTEL_BSP_MAX_QUEUE_SIZE
  size_t max_export_batch_size = 512;               // OTEL_BSP_MAX_EXPORT_BATCH_SIZE
  std::chrono::milliseconds schedule_delay{5000};   // OTEL_BSP_SCHEDULE_DELAY
  std::chrono::milliseconds export_timeout{30000};  // OTEL_BSP_EXPORT_TIMEOUT
};

class BatchSpanProcessor : public SpanSink {
 public:
  // `counters` may be shared with the provider and the metrics layer.
  // `pool`, when given, takes back exported and dropped records.
  BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter, BatchOptions options,
                     std::shared_ptr<TraceCounters> counters,
                     std::shared_ptr<SpanRecordPool> pool = nullptr);
  ~BatchSpanProcessor() override;  // Shutdown(export_timeout) if not done

  void OnEnd(SpanRecord* record) noexcept override;

  // Exports everything queued before the call; true if done by the deadline.
  bool ForceFlush(std::chrono::milliseconds timeout) noexcept;
  // Flushes, shuts the exporter down and stops the thread; true if all that
  // finished by the deadline. Later spans are dropped. Idempotent.
  bool Shutdown(std::chrono::milliseconds timeout) noexcept;

  const TraceCounters& counters() const { return *counters_; }

  struct State;  // batch_span_processor.cc

 private:
  std::shared_ptr<State> state_;
  std::shared_ptr<TraceCounters> counters_;
  std::thread worker_;
};

}  // namespace quartet::trace_internal

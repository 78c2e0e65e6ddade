// OtlpLogExporter: the optional OTLP log export (OTEL_LOGS_EXPORTER=otlp).
// A LogRecordSink on the log writer thread: each record, with its trace
// context (trace_id, span_id, flags) and request_id as an attribute, is
// appended to an OTLP/protobuf ExportLogsServiceRequest being built; full
// batches (or the partial one, every schedule delay) go to a bounded queue
// that a shipper thread POSTs with the OTLP retry rules. When the queue is
// full the batch is dropped and its records counted — the log writer, and so
// the application, never waits for the network.
//
// Thread-safety: OnRecord/OnFlush come from the log writer thread; the
// counters and Shutdown may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "sdk/export/otlp_endpoint.h"
#include "sdk/export/sender.h"
#include "sdk/export/transport.h"
#include "sdk/log/log_sink.h"
#include "wire/otlp/encode.h"
#include "wire/otlp/model.h"

namespace quartet {

struct OtlpLogExporterOptions {
  exporter::OtlpEndpointConfig endpoint;  // URL (…/v1/logs), headers, gzip, timeout
  std::vector<otlp::KeyValue> resource;   // string and int values are exported
  size_t max_batch_records = 512;
  size_t max_queued_batches = 8;
  std::chrono::milliseconds schedule_delay{1000};
  exporter::RetryPolicy retry;
  exporter::TransportFactory transport;  // empty: OTLP/HTTP (exporter::Sender)
};

class OtlpLogExporter : public LogRecordSink {
 public:
  explicit OtlpLogExporter(OtlpLogExporterOptions options);
  ~OtlpLogExporter() override;

  void OnRecord(const LogRecordView& record) noexcept override;
  void OnFlush() noexcept override;

  // Sends what is queued until `timeout`, then stops the shipper. Call after
  // the log pipeline's own Shutdown (which ends with OnFlush).
  bool Shutdown(std::chrono::milliseconds timeout) noexcept;

  uint64_t exported_records() const noexcept { return exported_.load(std::memory_order_relaxed); }
  uint64_t dropped_records() const noexcept { return dropped_.load(std::memory_order_relaxed); }

 private:
  struct Batch {
    std::string body;
    size_t records = 0;
  };
  void SealLocked();  // moves the batch being built into the queue
  void ShipperLoop();

  OtlpLogExporterOptions options_;
  std::vector<otlp::KeyValueView> resource_views_;
  std::unique_ptr<exporter::Transport> transport_;

  std::mutex mu_;
  std::condition_variable cv_;
  otlp::LogRequestBuilder builder_;                      // guarded by mu_
  std::chrono::steady_clock::time_point batch_started_;  // guarded by mu_
  std::deque<Batch> queue_;                              // guarded by mu_
  bool stopping_ = false;                                // guarded by mu_
  bool sending_ = false;                                 // guarded by mu_

  std::atomic<uint64_t> exported_{0}, dropped_{0};
  std::thread shipper_;
};

}  // namespace quartet

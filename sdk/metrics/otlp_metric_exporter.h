// OtlpMetricExporter: the optional OTLP metrics push (OTEL_METRICS_EXPORTER=
// otlp). Every interval it reads the registry (the same read a scrape does),
// encodes cumulative sums, gauges and explicit-bucket histograms — with their
// exemplars — as one ExportMetricsServiceRequest and POSTs it with the OTLP
// retry rules. Names stay the Prometheus base names (counters without
// "_total"), which OTLP receivers such as Prometheus's map back unchanged;
// target_info is not sent: the request's resource carries the same data.
//
// Thread-safety: one background thread; Shutdown from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "quartet/metrics.h"
#include "sdk/export/otlp_endpoint.h"
#include "sdk/export/sender.h"
#include "sdk/export/transport.h"
#include "wire/otlp/model.h"

namespace quartet {

struct OtlpMetricExporterOptions {
  exporter::OtlpEndpointConfig endpoint;  // URL (…/v1/metrics), headers, gzip, timeout
  std::vector<otlp::KeyValue> resource;
  std::chrono::milliseconds interval{60000};
  exporter::RetryPolicy retry;
  exporter::TransportFactory transport;  // empty: OTLP/HTTP (exporter::Sender)
  MetricRegistry* registry = nullptr;    // default: the global Metrics()
};

class OtlpMetricExporter {
 public:
  explicit OtlpMetricExporter(OtlpMetricExporterOptions options);
  ~OtlpMetricExporter();
  OtlpMetricExporter(const OtlpMetricExporter&) = delete;
  OtlpMetricExporter& operator=(const OtlpMetricExporter&) = delete;

  // The request body for the registry as it is now (what each push sends).
  std::string Encode();
  // Pushes once more, then stops the thread; true when that push succeeded.
  bool Shutdown(std::chrono::milliseconds timeout) noexcept;

  uint64_t exports() const noexcept { return exports_.load(std::memory_order_relaxed); }
  uint64_t failures() const noexcept { return failures_.load(std::memory_order_relaxed); }

 private:
  std::unique_ptr<exporter::Transport> MakeTransport() const;
  bool Push(exporter::Transport& transport, std::chrono::steady_clock::time_point deadline);
  void Loop();

  OtlpMetricExporterOptions options_;
  std::unique_ptr<exporter::Transport> transport_;
  uint64_t start_unix_nanos_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;  // guarded by mu_
  std::atomic<uint64_t> exports_{0}, failures_{0};
  std::thread thread_;
};

}  // namespace quartet

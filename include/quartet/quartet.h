// quartet — logs, metrics, traces (and profiles) for a C++ service from one call.
//
//   int main() {
//     quartet::Config config;
//     config.service_name = "checkout";          // values set here win over OTEL_* env
//     auto telemetry = quartet::Init(config);    // flushes on destruction
//     quartet::Log().Info("started", {{"port", 8080}});
//   }
//
// Every field is optional: unset fields come from the standard OpenTelemetry
// environment variables (OTEL_SERVICE_NAME, OTEL_RESOURCE_ATTRIBUTES,
// OTEL_EXPORTER_OTLP_*, OTEL_TRACES_SAMPLER[_ARG], OTEL_BSP_*, OTEL_SDK_DISABLED,
// ...) and then from built-in defaults. The service name is resolved once and
// used verbatim on every signal. Init is meant to be called once, before the
// service starts its threads; everything else in the SDK is thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "quartet/context.h"
#include "quartet/log.h"
#include "quartet/metrics.h"
#include "quartet/trace.h"

namespace quartet {

enum class OtlpProtocol { kHttpProtobuf, kGrpc };

struct Config {
  // Identity, on every signal.
  std::optional<std::string> service_name;     // OTEL_SERVICE_NAME; default "unknown_service"
  std::optional<std::string> service_version;  // service.version in OTEL_RESOURCE_ATTRIBUTES
  std::optional<std::string> environment;      // deployment.environment(.name) in the same
  std::vector<std::pair<std::string, std::string>> resource_attributes;  // added to the env ones

  std::optional<bool>
      disabled;  // OTEL_SDK_DISABLED: no export, no admin endpoint, logs still written

  // OTLP export (traces; logs and metrics when their export is switched on).
  std::optional<std::string>
      otlp_endpoint;  // OTEL_EXPORTER_OTLP_ENDPOINT; default http://localhost:4318
  std::optional<OtlpProtocol> otlp_protocol;  // OTEL_EXPORTER_OTLP_PROTOCOL (http/protobuf | grpc)
  std::vector<std::pair<std::string, std::string>> otlp_headers;  // + OTEL_EXPORTER_OTLP_HEADERS
  std::optional<bool> otlp_gzip;  // OTEL_EXPORTER_OTLP_COMPRESSION=gzip

  // Traces.
  std::optional<std::string> traces_exporter;  // OTEL_TRACES_EXPORTER: "otlp" (default) | "none"
  std::optional<std::string> sampler;          // OTEL_TRACES_SAMPLER; default parentbased_always_on
  std::optional<double> sampler_ratio;         // OTEL_TRACES_SAMPLER_ARG
  std::vector<std::string> always_sampled_routes;  // e.g. {"/checkout"}: kept whatever the ratio
  std::optional<size_t> max_queue_size;            // OTEL_BSP_MAX_QUEUE_SIZE (2048)
  std::optional<size_t> max_export_batch_size;     // OTEL_BSP_MAX_EXPORT_BATCH_SIZE (512)
  std::optional<std::chrono::milliseconds> schedule_delay;  // OTEL_BSP_SCHEDULE_DELAY (5000)
  std::optional<std::chrono::milliseconds> export_timeout;  // OTEL_BSP_EXPORT_TIMEOUT (30000)

  // Logs.
  std::optional<LogLevel> log_level;  // QUARTET_LOG_LEVEL; default info
  std::optional<std::string>
      log_output;  // QUARTET_LOG_OUTPUT: "stdout" (default), "stderr" or a file path
  std::optional<size_t> log_buffer_records;  // bounded buffer between callers and the writer (8192)
  std::optional<bool> log_block_when_full;   // default false: drop and count
  std::optional<std::string> logs_exporter;  // OTEL_LOGS_EXPORTER: "otlp" (default) | "none"

  // Metrics and the admin endpoint (/metrics).
  std::optional<std::string>
      admin_listen;  // QUARTET_ADMIN_LISTEN; default 127.0.0.1:9464; "" disables
  std::optional<std::string>
      metrics_exporter;  // OTEL_METRICS_EXPORTER: "none" (default; scrape) | "otlp"
  std::optional<std::chrono::milliseconds>
      metric_export_interval;  // OTEL_METRIC_EXPORT_INTERVAL (60000)

  // Continuous CPU profiling (include/quartet/profile.h): pprof pushed to a
  // Pyroscope-compatible /ingest every upload interval, samples labelled with
  // the running span; the admin endpoint serves /debug/pprof/profile?seconds=N.
  std::optional<bool> profiling;  // QUARTET_PROFILING; default: on when a server is set
  std::optional<std::string>
      profiling_server;                 // QUARTET_PROFILING_SERVER, else PYROSCOPE_SERVER_ADDRESS
  std::optional<int> profiling_cpu_hz;  // QUARTET_PROFILING_CPU_HZ (100)
  std::optional<std::chrono::milliseconds>
      profiling_upload_interval;  // QUARTET_PROFILING_UPLOAD_INTERVAL (10000)
  // Allocation sampling (heap profile `<service>.memory`, /debug/pprof/heap)
  // and the thread profile (`<service>.threads`, /debug/pprof/threads).
  std::optional<bool> profiling_heap;             // QUARTET_PROFILING_HEAP (on)
  std::optional<size_t> profiling_heap_interval;  // QUARTET_PROFILING_HEAP_INTERVAL, bytes (524288)
  std::optional<bool> profiling_threads;          // QUARTET_PROFILING_THREADS (on)

  std::chrono::milliseconds shutdown_timeout{5000};  // deadline used by ~Telemetry
};

// The handle Init returns: owns the background exporters and the admin server.
// Shutdown flushes every signal within the deadline; the destructor calls it.
class Telemetry {
 public:
  Telemetry() = default;
  Telemetry(Telemetry&&) noexcept;
  Telemetry& operator=(Telemetry&&) noexcept;
  ~Telemetry();

  // Flushes and stops all signals; true when everything finished in time.
  // Idempotent. After it the global logger/meter/tracer fall back to no-ops
  // for export (logs still go to their output).
  bool Shutdown(std::chrono::milliseconds deadline) noexcept;
  // Exports what is buffered without stopping; true when done in time.
  bool ForceFlush(std::chrono::milliseconds deadline) noexcept;

  // The resolved identity (after env and defaults), as every signal carries it.
  const std::string& service_name() const noexcept;
  const std::string& service_version() const noexcept;
  const std::string& environment() const noexcept;
  // The admin endpoint's bound address ("127.0.0.1:9464"), empty if none.
  std::string admin_address() const noexcept;

  struct State;  // sdk/init.cc

 private:
  explicit Telemetry(std::unique_ptr<State> state);
  friend Telemetry Init(const Config& config) noexcept;
  std::unique_ptr<State> state_;
};

// Sets up logs, metrics and traces, installs them as the process-wide globals
// (Log(), Metrics(), Tracer()) and returns the owning handle. Never throws;
// a bad environment value is reported on stderr and its default used.
[[nodiscard]] Telemetry Init(const Config& config = {}) noexcept;

}  // namespace quartet

// Resolves a quartet::Config into concrete settings: values set in code win,
// then the standard OpenTelemetry environment variables, then defaults.
// Pure: the environment is read through a lookup callback, so tests need not
// touch the process environment. Problems (unparsable numbers, unknown
// sampler names) are collected as warnings and the default is used.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quartet/quartet.h"
#include "sdk/export/otlp_endpoint.h"
#include "sdk/trace/sampler.h"

namespace quartet::init_internal {

using exporter::EnvLookup;

struct Settings {
  // Identity: the one canonical service name, verbatim on every signal.
  std::string service_name;
  std::string service_version;
  std::string environment;
  // Every resource attribute, service.* and deployment.environment included,
  // in a stable order (code, then env, then SDK-provided ones).
  std::vector<std::pair<std::string, std::string>> resource;

  bool disabled = false;

  OtlpProtocol otlp_protocol = OtlpProtocol::kHttpProtobuf;
  // Per-signal URL, headers, compression and timeout (OTEL_EXPORTER_OTLP_*).
  exporter::OtlpEndpointConfig traces_endpoint;
  exporter::OtlpEndpointConfig logs_endpoint;
  exporter::OtlpEndpointConfig metrics_endpoint;

  bool export_traces = true;
  trace_internal::SamplerConfig sampler;  // with always_sampled_routes
  size_t max_queue_size = 2048;
  size_t max_export_batch_size = 512;
  std::chrono::milliseconds schedule_delay{5000};
  std::chrono::milliseconds export_timeout{30000};

  LogLevel log_level = LogLevel::kInfo;
  std::string log_output = "stdout";
  size_t log_buffer_records = 8192;
  bool log_block_when_full = false;
  bool export_logs = true;  // OTEL_LOGS_EXPORTER defaults to otlp, as the spec says

  std::string admin_listen = "127.0.0.1:9464";
  bool export_metrics = false;
  std::chrono::milliseconds metric_export_interval{60000};

  bool profiling = false;
  std::string profiling_server;  // "" = profiles only on the admin endpoint
  int profiling_cpu_hz = 100;
  std::chrono::milliseconds profiling_upload_interval{10000};
  bool profiling_heap = true;
  size_t profiling_heap_interval = 512 * 1024;
  bool profiling_threads = true;

  std::vector<std::string> warnings;  // one line per ignored or bad value
};

Settings Resolve(const Config& config, const EnvLookup& env);

// "k1=v1,k2=v2" with percent-encoded values (OTEL_RESOURCE_ATTRIBUTES,
// OTEL_EXPORTER_OTLP_HEADERS). Members without '=' or with an empty key are
// reported in `bad` and skipped.
std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view text,
                                                                   std::vector<std::string>* bad);

}  // namespace quartet::init_internal

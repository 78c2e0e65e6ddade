#include "sdk/init/resolve.h"

#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "base/strings.h"

namespace quartet::init_internal {
namespace {

// Reads one environment value, empty treated as unset (the OTel spec says so).
std::optional<std::string> Get(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> v = env(name);
  if (v && TrimSpace(*v).empty()) return std::nullopt;
  if (v) return std::string(TrimSpace(*v));
  return v;
}

std::optional<bool> ParseBool(std::string_view s) {
  std::string l = AsciiLower(s);
  if (l == "true") return true;
  if (l == "false") return false;
  return std::nullopt;
}

std::optional<long long> ParseInt(std::string_view s) {
  std::string copy(s);
  char* end = nullptr;
  errno = 0;
  long long v = std::strtoll(copy.c_str(), &end, 10);
  if (errno != 0 || end == copy.c_str() || *end != '\0' || v < 0) return std::nullopt;
  return v;
}

class Resolver {
 public:
  Resolver(const EnvLookup& env, Settings& out) : env_(env), out_(out) {}

  // code value, else parsed env value, else the default already in `target`.
  template <typename T, typename Parse>
  void Pick(const std::optional<T>& code, std::string_view var, Parse parse, T& target) {
    if (code) {
      target = *code;
      return;
    }
    std::optional<std::string> raw = Get(env_, var);
    if (!raw) return;
    auto parsed = parse(*raw);
    if (!parsed) {
      out_.warnings.push_back(std::string(var) + "=" + *raw + ": not valid, using the default");
      return;
    }
    target = static_cast<T>(*parsed);
  }

 private:
  const EnvLookup& env_;
  Settings& out_;
};

const auto kAsString = [](const std::string& s) { return std::optional<std::string>(s); };
const auto kAsMillis = [](const std::string& s) -> std::optional<std::chrono::milliseconds> {
  auto v = ParseInt(s);
  if (!v) return std::nullopt;
  return std::chrono::milliseconds(*v);
};
const auto kAsSize = [](const std::string& s) -> std::optional<size_t> {
  auto v = ParseInt(s);
  if (!v || *v == 0) return std::nullopt;
  return static_cast<size_t>(*v);
};

void SetResource(std::vector<std::pair<std::string, std::string>>& resource, std::string key,
                 std::string value) {
  for (auto& [k, v] : resource) {
    if (k == key) {
      v = std::move(value);
      return;
    }
  }
  resource.emplace_back(std::move(key), std::move(value));
}

std::optional<std::string> FindAttr(const std::vector<std::pair<std::string, std::string>>& attrs,
                                    std::string_view key) {
  for (const auto& [k, v] : attrs) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string HostName() {
  char buf[256] = {};
  if (gethostname(buf, sizeof(buf) - 1) != 0) return "";
  return buf;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view text,
                                                                   std::vector<std::string>* bad) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view member = TrimSpace(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    std::string_view key = TrimSpace(member.substr(0, eq));
    if (eq == std::string_view::npos || key.empty()) {
      if (bad) bad->emplace_back(member);
      continue;
    }
    out.emplace_back(PercentDecode(key), PercentDecode(TrimSpace(member.substr(eq + 1))));
  }
  return out;
}

Settings Resolve(const Config& config, const EnvLookup& env) {
  Settings s;
  Resolver r(env, s);

  // Identity. OTEL_SERVICE_NAME beats service.name in OTEL_RESOURCE_ATTRIBUTES
  // (as the spec says); code beats both.
  std::vector<std::string> bad;
  std::vector<std::pair<std::string, std::string>> env_attrs;
  if (auto raw = Get(env, "OTEL_RESOURCE_ATTRIBUTES")) env_attrs = ParseKeyValueList(*raw, &bad);
  for (const auto& b : bad)
    s.warnings.push_back("OTEL_RESOURCE_ATTRIBUTES: ignored member '" + b + "'");
  for (const auto& [k, v] : config.resource_attributes) SetResource(s.resource, k, v);
  for (const auto& [k, v] : env_attrs) {
    if (!FindAttr(config.resource_attributes, k)) SetResource(s.resource, k, v);
  }

  s.service_name = config.service_name.value_or(
      Get(env, "OTEL_SERVICE_NAME")
          .value_or(FindAttr(s.resource, "service.name").value_or("unknown_service")));
  s.service_version =
      config.service_version.value_or(FindAttr(s.resource, "service.version").value_or(""));
  s.environment = config.environment.value_or(
      FindAttr(s.resource, "deployment.environment.name")
          .value_or(FindAttr(s.resource, "deployment.environment").value_or("")));

  SetResource(s.resource, "service.name", s.service_name);
  if (!s.service_version.empty()) SetResource(s.resource, "service.version", s.service_version);
  if (!s.environment.empty()) {
    // Both spellings: the current semconv name and the one most backends still read.
    SetResource(s.resource, "deployment.environment.name", s.environment);
    SetResource(s.resource, "deployment.environment", s.environment);
  }
  SetResource(s.resource, "telemetry.sdk.name", "quartet");
  SetResource(s.resource, "telemetry.sdk.language", "cpp");
  SetResource(s.resource, "telemetry.sdk.version", QUARTET_VERSION_STRING);
  if (!FindAttr(s.resource, "host.name")) SetResource(s.resource, "host.name", HostName());
  SetResource(s.resource, "process.pid", std::to_string(getpid()));

  r.Pick(config.disabled, "OTEL_SDK_DISABLED", ParseBool, s.disabled);

  // Export. Code gives a base endpoint; the OTLP resolver derives each
  // signal's URL from it or from OTEL_EXPORTER_OTLP_[<SIGNAL>_]ENDPOINT.
  r.Pick(
      config.otlp_protocol, "OTEL_EXPORTER_OTLP_PROTOCOL",
      [](const std::string& v) -> std::optional<OtlpProtocol> {
        if (v == "http/protobuf") return OtlpProtocol::kHttpProtobuf;
        if (v == "grpc") return OtlpProtocol::kGrpc;
        return std::nullopt;  // http/json is not offered: protobuf is smaller and faster
      },
      s.otlp_protocol);
  const auto endpoint = [&](exporter::Signal signal, std::string_view path) {
    exporter::OtlpOverrides overrides;
    if (config.otlp_endpoint) {
      std::string base = *config.otlp_endpoint;
      while (!base.empty() && base.back() == '/') base.pop_back();
      overrides.endpoint = base + std::string(path);
    }
    if (!config.otlp_headers.empty()) overrides.headers = config.otlp_headers;
    overrides.gzip = config.otlp_gzip;
    exporter::OtlpEndpointConfig out = exporter::ResolveOtlpEndpoint(signal, overrides, env);
    s.warnings.insert(s.warnings.end(), out.warnings.begin(), out.warnings.end());
    return out;
  };
  s.traces_endpoint = endpoint(exporter::Signal::kTraces, "/v1/traces");
  s.logs_endpoint = endpoint(exporter::Signal::kLogs, "/v1/logs");
  s.metrics_endpoint = endpoint(exporter::Signal::kMetrics, "/v1/metrics");

  // Traces.
  const auto exporter_on = [](const std::string& v) -> std::optional<bool> {
    if (v == "otlp") return true;
    if (v == "none") return false;
    return std::nullopt;
  };
  std::optional<bool> traces_code;
  if (config.traces_exporter) traces_code = exporter_on(*config.traces_exporter);
  r.Pick(traces_code, "OTEL_TRACES_EXPORTER", exporter_on, s.export_traces);
  {
    std::string name = config.sampler.value_or(Get(env, "OTEL_TRACES_SAMPLER").value_or(""));
    std::string arg = Get(env, "OTEL_TRACES_SAMPLER_ARG").value_or("");
    if (config.sampler_ratio) {
      char text[32];
      std::snprintf(text, sizeof(text), "%.17g", *config.sampler_ratio);
      arg = text;
    }
    Result<trace_internal::SamplerConfig> sampler = trace_internal::ParseSamplerConfig(name, arg);
    if (sampler.ok()) {
      s.sampler = *sampler;
    } else {
      s.warnings.push_back("sampler '" + name + "' with argument '" + arg +
                           "': " + std::string(sampler.status().message()) + "; using the default");
    }
  }
  s.sampler.always_sampled_routes = config.always_sampled_routes;
  if (auto raw = Get(env, "QUARTET_ALWAYS_SAMPLED_ROUTES");
      raw && config.always_sampled_routes.empty()) {
    std::string_view rest = *raw;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view route = TrimSpace(rest.substr(0, comma));
      if (!route.empty()) s.sampler.always_sampled_routes.emplace_back(route);
      rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
    }
  }
  r.Pick(config.max_queue_size, "OTEL_BSP_MAX_QUEUE_SIZE", kAsSize, s.max_queue_size);
  r.Pick(config.max_export_batch_size, "OTEL_BSP_MAX_EXPORT_BATCH_SIZE", kAsSize,
         s.max_export_batch_size);
  if (s.max_export_batch_size > s.max_queue_size) {
    s.warnings.push_back("max export batch size exceeds the queue size; using the queue size");
    s.max_export_batch_size = s.max_queue_size;
  }
  r.Pick(config.schedule_delay, "OTEL_BSP_SCHEDULE_DELAY", kAsMillis, s.schedule_delay);
  r.Pick(config.export_timeout, "OTEL_BSP_EXPORT_TIMEOUT", kAsMillis, s.export_timeout);

  // Logs.
  r.Pick(config.log_level, "QUARTET_LOG_LEVEL", ParseLogLevel, s.log_level);
  r.Pick(config.log_output, "QUARTET_LOG_OUTPUT", kAsString, s.log_output);
  r.Pick(config.log_buffer_records, "QUARTET_LOG_BUFFER_RECORDS", kAsSize, s.log_buffer_records);
  r.Pick(config.log_block_when_full, "QUARTET_LOG_BLOCK_WHEN_FULL", ParseBool,
         s.log_block_when_full);
  std::optional<bool> logs_code;
  if (config.logs_exporter) logs_code = exporter_on(*config.logs_exporter);
  r.Pick(logs_code, "OTEL_LOGS_EXPORTER", exporter_on, s.export_logs);

  // Metrics.
  if (config.admin_listen) {
    s.admin_listen = *config.admin_listen;
  } else if (auto raw = env("QUARTET_ADMIN_LISTEN")) {
    s.admin_listen = std::string(TrimSpace(*raw));  // empty here means "disabled"
  }
  std::optional<bool> metrics_code;
  if (config.metrics_exporter) metrics_code = exporter_on(*config.metrics_exporter);
  r.Pick(
      metrics_code, "OTEL_METRICS_EXPORTER",
      [](const std::string& v) -> std::optional<bool> {
        if (v == "otlp") return true;
        if (v == "none" || v == "prometheus") return false;
        return std::nullopt;
      },
      s.export_metrics);
  r.Pick(config.metric_export_interval, "OTEL_METRIC_EXPORT_INTERVAL", kAsMillis,
         s.metric_export_interval);

  // Profiling: on by default only where there is somewhere to send profiles.
  if (config.profiling_server) {
    s.profiling_server = *config.profiling_server;
  } else if (auto raw = env("QUARTET_PROFILING_SERVER")) {
    s.profiling_server = std::string(TrimSpace(*raw));
  } else if (auto pyroscope = env("PYROSCOPE_SERVER_ADDRESS")) {
    s.profiling_server = std::string(TrimSpace(*pyroscope));
  }
  s.profiling = !s.profiling_server.empty();
  r.Pick(config.profiling, "QUARTET_PROFILING", ParseBool, s.profiling);
  r.Pick(
      config.profiling_cpu_hz, "QUARTET_PROFILING_CPU_HZ",
      [](const std::string& v) -> std::optional<int> {
        std::optional<size_t> hz = kAsSize(v);
        if (!hz || *hz < 1 || *hz > 1000) return std::nullopt;
        return static_cast<int>(*hz);
      },
      s.profiling_cpu_hz);
  r.Pick(config.profiling_upload_interval, "QUARTET_PROFILING_UPLOAD_INTERVAL", kAsMillis,
         s.profiling_upload_interval);
  r.Pick(config.profiling_heap, "QUARTET_PROFILING_HEAP", ParseBool, s.profiling_heap);
  r.Pick(
      config.profiling_heap_interval, "QUARTET_PROFILING_HEAP_INTERVAL",
      [](const std::string& v) -> std::optional<size_t> {
        std::optional<size_t> bytes = kAsSize(v);
        if (!bytes || *bytes < 1 || *bytes > (size_t{1} << 40)) return std::nullopt;
        return bytes;
      },
      s.profiling_heap_interval);
  r.Pick(config.profiling_threads, "QUARTET_PROFILING_THREADS", ParseBool, s.profiling_threads);

  if (s.disabled) {
    s.export_traces = s.export_logs = s.export_metrics = s.profiling = false;
    s.admin_listen.clear();
  }
  return s;
}

}  // namespace quartet::init_internal

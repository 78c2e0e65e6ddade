#include "sdk/init/resolve.h"

#include <unistd.h>

#include <cerrno>
#include <cstdlib>

#include "base/hex.h"

namespace quartet::init_internal {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

std::string PercentDecode(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    uint8_t byte;
    if (s[i] == '%' && i + 2 < s.size() && HexDecode(s.substr(i + 1, 2), &byte, 1)) {
      out.push_back(static_cast<char>(byte));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

// Reads one environment value, empty treated as unset (the OTel spec says so).
std::optional<std::string> Get(const EnvLookup& env, std::string_view name) {
  std::optional<std::string> v = env(name);
  if (v && Trim(*v).empty()) return std::nullopt;
  if (v) return std::string(Trim(*v));
  return v;
}

std::optional<bool> ParseBool(std::string_view s) {
  std::string l = Lower(s);
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

std::optional<double> ParseDouble(std::string_view s) {
  std::string copy(s);
  char* end = nullptr;
  double v = std::strtod(copy.c_str(), &end);
  if (end == copy.c_str() || *end != '\0') return std::nullopt;
  return v;
}

std::optional<LogLevel> ParseLevel(std::string_view s) {
  std::string l = Lower(s);
  if (l == "debug" || l == "trace") return LogLevel::kDebug;
  if (l == "info") return LogLevel::kInfo;
  if (l == "warn" || l == "warning") return LogLevel::kWarn;
  if (l == "error") return LogLevel::kError;
  return std::nullopt;
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

EnvLookup ProcessEnvironment() {
  return [](std::string_view name) -> std::optional<std::string> {
    const char* v = std::getenv(std::string(name).c_str());
    if (v == nullptr) return std::nullopt;
    return std::string(v);
  };
}

std::vector<std::pair<std::string, std::string>> ParseKeyValueList(std::string_view text,
                                                                   std::vector<std::string>* bad) {
  std::vector<std::pair<std::string, std::string>> out;
  while (!text.empty()) {
    size_t comma = text.find(',');
    std::string_view member = Trim(text.substr(0, comma));
    text = comma == std::string_view::npos ? std::string_view() : text.substr(comma + 1);
    if (member.empty()) continue;
    size_t eq = member.find('=');
    std::string_view key = Trim(member.substr(0, eq));
    if (eq == std::string_view::npos || key.empty()) {
      if (bad) bad->emplace_back(member);
      continue;
    }
    out.emplace_back(PercentDecode(key), PercentDecode(Trim(member.substr(eq + 1))));
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
  for (const auto& b : bad) s.warnings.push_back("OTEL_RESOURCE_ATTRIBUTES: ignored member '" + b + "'");
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

  // Export.
  r.Pick(config.otlp_endpoint, "OTEL_EXPORTER_OTLP_ENDPOINT", kAsString, s.otlp_endpoint);
  if (s.otlp_endpoint.empty()) s.otlp_endpoint = "http://localhost:4318";
  while (!s.otlp_endpoint.empty() && s.otlp_endpoint.back() == '/') s.otlp_endpoint.pop_back();
  r.Pick(config.otlp_protocol, "OTEL_EXPORTER_OTLP_PROTOCOL",
         [](const std::string& v) -> std::optional<OtlpProtocol> {
           if (v == "http/protobuf") return OtlpProtocol::kHttpProtobuf;
           if (v == "grpc") return OtlpProtocol::kGrpc;
           return std::nullopt;  // http/json is not offered: protobuf is smaller and faster
         },
         s.otlp_protocol);
  if (auto raw = Get(env, "OTEL_EXPORTER_OTLP_HEADERS")) {
    s.otlp_headers = ParseKeyValueList(*raw, nullptr);
  }
  for (const auto& h : config.otlp_headers) s.otlp_headers.push_back(h);
  r.Pick(config.otlp_gzip, "OTEL_EXPORTER_OTLP_COMPRESSION",
         [](const std::string& v) -> std::optional<bool> {
           if (v == "gzip") return true;
           if (v == "none") return false;
           return std::nullopt;
         },
         s.otlp_gzip);

  // Traces.
  const auto exporter_on = [](const std::string& v) -> std::optional<bool> {
    if (v == "otlp") return true;
    if (v == "none") return false;
    return std::nullopt;
  };
  std::optional<bool> traces_code;
  if (config.traces_exporter) traces_code = exporter_on(*config.traces_exporter);
  r.Pick(traces_code, "OTEL_TRACES_EXPORTER", exporter_on, s.export_traces);
  r.Pick(config.sampler, "OTEL_TRACES_SAMPLER",
         [](const std::string& v) -> std::optional<std::string> {
           for (const char* known : {"always_on", "always_off", "traceidratio", "parentbased_always_on",
                                     "parentbased_always_off", "parentbased_traceidratio"}) {
             if (v == known) return v;
           }
           return std::nullopt;
         },
         s.sampler);
  r.Pick(config.sampler_ratio, "OTEL_TRACES_SAMPLER_ARG",
         [](const std::string& v) -> std::optional<double> {
           auto d = ParseDouble(v);
           if (!d || *d < 0 || *d > 1) return std::nullopt;
           return d;
         },
         s.sampler_ratio);
  s.always_sampled_routes = config.always_sampled_routes;
  if (auto raw = Get(env, "QUARTET_ALWAYS_SAMPLED_ROUTES"); raw && config.always_sampled_routes.empty()) {
    std::string_view rest = *raw;
    while (!rest.empty()) {
      size_t comma = rest.find(',');
      std::string_view route = Trim(rest.substr(0, comma));
      if (!route.empty()) s.always_sampled_routes.emplace_back(route);
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
  r.Pick(config.log_level, "QUARTET_LOG_LEVEL", ParseLevel, s.log_level);
  r.Pick(config.log_output, "QUARTET_LOG_OUTPUT", kAsString, s.log_output);
  r.Pick(config.log_buffer_records, "QUARTET_LOG_BUFFER_RECORDS", kAsSize, s.log_buffer_records);
  r.Pick(config.log_block_when_full, "QUARTET_LOG_BLOCK_WHEN_FULL", ParseBool, s.log_block_when_full);
  std::optional<bool> logs_code;
  if (config.logs_exporter) logs_code = exporter_on(*config.logs_exporter);
  r.Pick(logs_code, "OTEL_LOGS_EXPORTER", exporter_on, s.export_logs);

  // Metrics.
  if (config.admin_listen) {
    s.admin_listen = *config.admin_listen;
  } else if (auto raw = env("QUARTET_ADMIN_LISTEN")) {
    s.admin_listen = std::string(Trim(*raw));  // empty here means "disabled"
  }
  std::optional<bool> metrics_code;
  if (config.metrics_exporter) metrics_code = exporter_on(*config.metrics_exporter);
  r.Pick(metrics_code, "OTEL_METRICS_EXPORTER",
         [](const std::string& v) -> std::optional<bool> {
           if (v == "otlp") return true;
           if (v == "none" || v == "prometheus") return false;
           return std::nullopt;
         },
         s.export_metrics);
  r.Pick(config.metric_export_interval, "OTEL_METRIC_EXPORT_INTERVAL", kAsMillis,
         s.metric_export_interval);

  if (s.disabled) {
    s.export_traces = s.export_logs = s.export_metrics = false;
    s.admin_listen.clear();
  }
  return s;
}

}  // namespace quartet::init_internal

// quartet::Init: resolves the configuration once, then starts the signals in
// order — logs (so later steps can report problems), metrics resource, traces
// with their exporter, the admin endpoint — and Shutdown stops them in reverse.
#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <mutex>

#include "base/clock.h"
#include "quartet/profile.h"
#include "quartet/quartet.h"
#include "sdk/admin/admin_server.h"
#include "sdk/export/sender.h"
#include "sdk/export/transport.h"
#ifdef QUARTET_WITH_GRPC
#include "sdk/export/grpc/grpc_endpoint.h"
#include "sdk/export/grpc/grpc_sender.h"
#endif
#include "sdk/init/resolve.h"
#include "sdk/log/log_pipeline.h"
#include "sdk/log/otlp_log_exporter.h"
#include "sdk/metrics/otlp_metric_exporter.h"
#include "sdk/trace/otlp_span_exporter.h"
#include "sdk/trace/tracer_provider.h"

namespace quartet {

struct Telemetry::State {
  init_internal::Settings settings;
  std::shared_ptr<LogPipeline> logs;
  std::shared_ptr<OtlpLogExporter> log_exporter;        // when OTEL_LOGS_EXPORTER=otlp
  std::unique_ptr<OtlpMetricExporter> metric_exporter;  // when OTEL_METRICS_EXPORTER=otlp
  std::unique_ptr<trace_internal::TracerProvider> traces;
  std::shared_ptr<exporter::Transport> trace_sender;  // cancelled at shutdown
  std::unique_ptr<admin::AdminServer> admin;
  std::unique_ptr<Profiler> profiler;  // when profiling is on
  std::vector<uint64_t> metric_callbacks;
  std::chrono::milliseconds shutdown_timeout{5000};
  std::mutex mu;
  bool shut_down = false;  // guarded by mu
};

namespace {

using Deadline = std::chrono::steady_clock::time_point;

std::chrono::milliseconds Remaining(Deadline deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
  return left.count() > 0 ? left : std::chrono::milliseconds(0);
}

// A collector that is down must be visible in the service's own logs, but at
// most once a minute: the drops themselves are counted in the metrics.
void WarnExportFailed(const std::string& url, const exporter::SendOutcome& outcome) {
  static std::atomic<int64_t> last_warning{0};
  int64_t now = MonotonicNanos(), last = last_warning.load();
  if (now - last < 60'000'000'000 && last != 0) return;
  if (!last_warning.compare_exchange_strong(last, now)) return;
  Log().Warn("quartet: span export failed; spans are being dropped",
             {{"endpoint", url},
              {"result", exporter::ExportResultName(outcome.result)},
              {"http_status", outcome.response.status},
              {"error", outcome.last_error.ToString()}});
}

// The transport every OTLP exporter of this process sends with: OTLP/gRPC
// when asked for and built in, else OTLP/HTTP. Trace export problems go to
// the service's own log; those of logs and metrics to stderr (the default),
// so that a failing log export does not feed itself.
exporter::TransportFactory OtlpTransport(const init_internal::Settings& s, exporter::Signal signal,
                                         const exporter::OtlpEndpointConfig& endpoint) {
  exporter::Sender::Diagnostic diagnostic;
  if (signal == exporter::Signal::kTraces) {
    diagnostic = [](std::string_view problem) {
      Log().Warn("quartet: trace export problem", {{"problem", problem}});
    };
  }
#ifdef QUARTET_WITH_GRPC
  if (s.otlp_protocol == OtlpProtocol::kGrpc) {
    exporter::GrpcSenderOptions options{
        .url = endpoint.url, .signal = signal, .ca_file = endpoint.ca_file};
    return [options, diagnostic](const exporter::RetryPolicy& retry) {
      return std::make_unique<exporter::GrpcSender>(options, retry, diagnostic);
    };
  }
#endif
  std::string ca_file = endpoint.ca_file;
  return [ca_file, diagnostic](const exporter::RetryPolicy& retry) {
    return std::make_unique<exporter::Sender>(
        retry, exporter::HttpClient::Options{.ca_file = ca_file}, diagnostic);
  };
}

// Maps the OTLP transport (sdk/export) onto the span exporter's sender slot.
trace_internal::OtlpSender SpanSender(const init_internal::Settings& s,
                                      std::shared_ptr<exporter::Transport>& sender) {
  const exporter::OtlpEndpointConfig& endpoint = s.traces_endpoint;
  sender = OtlpTransport(s, exporter::Signal::kTraces, endpoint)(exporter::RetryPolicy{});
  auto request = std::make_shared<exporter::ExportRequest>(exporter::OtlpProtobufRequest(endpoint));
  std::chrono::milliseconds timeout = endpoint.timeout;
  return [sender, request, timeout](std::string_view body, Deadline deadline) {
    request->body.assign(body);
    // Each request is bounded by the OTLP timeout and by the batch deadline.
    Deadline by = std::min(deadline, std::chrono::steady_clock::now() + timeout);
    exporter::SendOutcome outcome = sender->Send(*request, by);
    if (outcome.result != exporter::ExportResult::kSuccess) WarnExportFailed(request->url, outcome);
    return outcome.result == exporter::ExportResult::kSuccess
               ? trace_internal::ExportResult::kSuccess
               : trace_internal::ExportResult::kFailure;
  };
}

std::vector<trace_internal::KeyValue> ResourceKeyValues(const init_internal::Settings& s) {
  std::vector<trace_internal::KeyValue> out;
  for (const auto& [k, v] : s.resource) {
    if (k == "process.pid") {
      out.push_back({k, static_cast<int64_t>(std::strtoll(v.c_str(), nullptr, 10))});
    } else {
      out.push_back({k, v});
    }
  }
  return out;
}

// The resource as the wire model, for the log and metric exporters.
std::vector<otlp::KeyValue> OtlpResource(const init_internal::Settings& s) {
  std::vector<otlp::KeyValue> out;
  for (const trace_internal::KeyValue& kv : ResourceKeyValues(s)) {
    out.push_back({kv.key, std::holds_alternative<int64_t>(kv.value)
                               ? otlp::AnyValue::Int(std::get<int64_t>(kv.value))
                               : otlp::AnyValue::String(std::get<std::string>(kv.value))});
  }
  return out;
}

void StartLogs(Telemetry::State& st) {
  const init_internal::Settings& s = st.settings;
  LogPipelineOptions options;
  options.service = s.service_name;
  options.level = s.log_level;
  options.output = s.log_output;
  options.buffer_records = s.log_buffer_records;
  options.block_when_full = s.log_block_when_full;
  if (s.export_logs) {
    st.log_exporter = std::make_shared<OtlpLogExporter>(OtlpLogExporterOptions{
        .endpoint = s.logs_endpoint,
        .resource = OtlpResource(s),
        .schedule_delay = s.schedule_delay,
        .transport = OtlpTransport(s, exporter::Signal::kLogs, s.logs_endpoint)});
    options.sink = st.log_exporter;
  }
  Result<std::shared_ptr<LogPipeline>> logs = LogPipeline::Start(options);
  if (!logs.ok()) {
    std::fprintf(stderr, "quartet: log output %s: %s; writing to stdout\n", s.log_output.c_str(),
                 logs.status().ToString().c_str());
    options.output = "stdout";
    logs = LogPipeline::Start(options);
  }
  if (!logs.ok()) return;
  st.logs = *logs;
  InstallGlobalLogPipeline(st.logs);
}

void RegisterSelfMetrics(Telemetry::State& st) {
  MetricRegistry& m = Metrics();
  if (st.traces) {
    std::shared_ptr<trace_internal::TraceCounters> c = st.traces->shared_counters();
    auto counter = [&](const char* name, const char* help,
                       std::atomic<uint64_t> trace_internal::TraceCounters::*field) {
      st.metric_callbacks.push_back(m.CallbackCounter(
          name, help, [c, field] { return static_cast<double>(((*c).*field).load()); }));
    };
    counter("quartet_sdk_spans_started_total", "Recording spans started.",
            &trace_internal::TraceCounters::spans_started);
    counter("quartet_sdk_spans_exported_total", "Spans the exporter delivered.",
            &trace_internal::TraceCounters::spans_exported);
    counter("quartet_sdk_spans_dropped_total", "Spans dropped: export queue full or SDK shut down.",
            &trace_internal::TraceCounters::spans_dropped);
    counter("quartet_sdk_span_export_failures_total", "Span export requests that failed.",
            &trace_internal::TraceCounters::export_failures);
  }
  if (st.logs) {
    std::shared_ptr<LogPipeline> logs = st.logs;
    st.metric_callbacks.push_back(
        m.CallbackCounter("quartet_sdk_log_records_dropped_total",
                          "Log records dropped because the log buffer was full.",
                          [logs] { return static_cast<double>(logs->dropped()); }));
  }
  if (st.log_exporter) {
    std::shared_ptr<OtlpLogExporter> exporter = st.log_exporter;
    st.metric_callbacks.push_back(m.CallbackCounter(
        "quartet_sdk_log_records_exported_total", "Log records delivered over OTLP.",
        [exporter] { return static_cast<double>(exporter->exported_records()); }));
    st.metric_callbacks.push_back(
        m.CallbackCounter("quartet_sdk_log_records_export_dropped_total",
                          "Log records not delivered over OTLP (queue full or failed).",
                          [exporter] { return static_cast<double>(exporter->dropped_records()); }));
  }
}

}  // namespace

Telemetry Init(const Config& config) noexcept {
  auto st = std::make_unique<Telemetry::State>();
  st->settings = init_internal::Resolve(config, exporter::ProcessEnv());
#ifdef QUARTET_WITH_GRPC
  // OTLP/gRPC endpoints are base URLs with no /v1/<signal> path and their own
  // default port (4317); the rest of each endpoint's settings (headers,
  // compression, timeout, certificate) resolve as for HTTP.
  if (st->settings.otlp_protocol == OtlpProtocol::kGrpc) {
    const exporter::EnvLookup env = exporter::ProcessEnv();
    st->settings.traces_endpoint.url =
        exporter::ResolveOtlpGrpcUrl(exporter::Signal::kTraces, config.otlp_endpoint, env);
    st->settings.logs_endpoint.url =
        exporter::ResolveOtlpGrpcUrl(exporter::Signal::kLogs, config.otlp_endpoint, env);
    st->settings.metrics_endpoint.url =
        exporter::ResolveOtlpGrpcUrl(exporter::Signal::kMetrics, config.otlp_endpoint, env);
  }
#endif
  st->shutdown_timeout = config.shutdown_timeout;
  const init_internal::Settings& s = st->settings;

  StartLogs(*st);
  for (const std::string& warning : s.warnings) {
    Log().Warn("quartet: configuration value ignored", {{"problem", warning}});
  }

  Metrics().SetResource(s.resource);

  trace_internal::TracerProviderOptions traces;
  traces.resource = ResourceKeyValues(s);
  traces.sampler = s.sampler;
  traces.batch = {s.max_queue_size, s.max_export_batch_size, s.schedule_delay, s.export_timeout};
  if (s.export_traces) {
#ifndef QUARTET_WITH_GRPC
    if (s.otlp_protocol == OtlpProtocol::kGrpc) {
      Log().Warn(
          "quartet: OTLP/gRPC exporter not built in (QUARTET_WITH_GRPC=OFF); using http/protobuf",
          {{"endpoint", s.traces_endpoint.url}});
    }
#endif
    traces.exporter = std::make_unique<trace_internal::OtlpSpanExporter>(
        traces.resource, SpanSender(s, st->trace_sender));
  }
  st->traces = std::make_unique<trace_internal::TracerProvider>(std::move(traces));
  st->traces->InstallGlobal();
  RegisterSelfMetrics(*st);
  if (s.export_metrics) {
    st->metric_exporter = std::make_unique<OtlpMetricExporter>(OtlpMetricExporterOptions{
        .endpoint = s.metrics_endpoint,
        .resource = OtlpResource(s),
        .interval = s.metric_export_interval,
        .transport = OtlpTransport(s, exporter::Signal::kMetrics, s.metrics_endpoint)});
  }

  if (s.profiling) {
    ProfilerOptions options;
    options.service = s.service_name;
    options.version = s.service_version;
    options.environment = s.environment;
    options.server_address = s.profiling_server;
    options.cpu_hz = s.profiling_cpu_hz;
    options.upload_interval = s.profiling_upload_interval;
    options.heap = s.profiling_heap;
    options.heap_sample_interval = static_cast<int64_t>(s.profiling_heap_interval);
    options.threads = s.profiling_threads;
    std::string error;
    st->profiler = Profiler::Start(options, &error);
    if (!st->profiler) {
      Log().Warn("quartet: profiling not started", {{"error", error}});
    }
  }

  if (!s.admin_listen.empty()) {
    admin::AdminRoutes routes;
    // Go's /debug/pprof/profile?seconds=N: a gzipped pprof CPU profile of the
    // next N seconds (default 30), from the continuous profiler.
    routes["/debug/pprof/profile"] = [profiler =
                                          st->profiler.get()](const admin::AdminRequest& request) {
      if (profiler == nullptr) {
        return admin::AdminResponse{.status = 404,
                                    .body =
                                        "profiling is off (set QUARTET_PROFILING=on or a "
                                        "profiling server)\n"};
      }
      int64_t seconds = 30;
      for (std::string_view q = request.query; !q.empty();) {
        const size_t amp = q.find('&');
        std::string_view kv = q.substr(0, amp);
        if (kv.starts_with("seconds=")) {
          seconds = std::atoll(std::string(kv.substr(8)).c_str());
          if (seconds <= 0 || seconds > 300) {
            return admin::AdminResponse{.status = 400,
                                        .body = "seconds must be between 1 and 300\n"};
          }
        }
        q = amp == std::string_view::npos ? std::string_view() : q.substr(amp + 1);
      }
      std::string profile = profiler->CpuProfile(std::chrono::seconds(seconds));
      if (profile.empty()) {
        return admin::AdminResponse{.status = 503, .body = "profiler stopped\n"};
      }
      return admin::AdminResponse{
          .status = 200,
          .content_type = "application/octet-stream",
          .body = std::move(profile),
          .headers = {{"Content-Disposition", "attachment; filename=\"profile\""}}};
    };
    // Go's /debug/pprof/heap (sampled allocations: alloc_* since start, in-use
    // now) and a thread profile (threads per stack, like Go's goroutine).
    auto pprof_route = [profiler = st->profiler.get()](bool heap) {
      return [profiler, heap](const admin::AdminRequest&) {
        if (profiler == nullptr) {
          return admin::AdminResponse{.status = 404,
                                      .body =
                                          "profiling is off (set QUARTET_PROFILING=on or a "
                                          "profiling server)\n"};
        }
        std::string profile = heap ? profiler->HeapProfile() : profiler->ThreadProfile();
        if (profile.empty()) {
          return admin::AdminResponse{
              .status = 503,
              .body = heap ? "heap profiling is off (QUARTET_PROFILING_HEAP) or unavailable\n"
                           : "profiler stopped\n"};
        }
        return admin::AdminResponse{
            .status = 200,
            .content_type = "application/octet-stream",
            .body = std::move(profile),
            .headers = {{"Content-Disposition", heap ? "attachment; filename=\"heap\""
                                                     : "attachment; filename=\"threads\""}}};
      };
    };
    routes["/debug/pprof/heap"] = pprof_route(true);
    routes["/debug/pprof/threads"] = pprof_route(false);
    routes["/metrics"] = [](const admin::AdminRequest& request) {
      MetricsResponse metrics = ServeMetrics(request.Header("accept"));
      return admin::AdminResponse{
          .status = 200, .content_type = metrics.content_type, .body = std::move(metrics.body)};
    };
    Result<std::unique_ptr<admin::AdminServer>> server =
        admin::AdminServer::Start(s.admin_listen, std::move(routes));
    if (server.ok()) {
      st->admin = std::move(*server);
    } else {
      Log().Error("quartet: admin endpoint not started",
                  {{"listen", s.admin_listen}, {"error", server.status().ToString()}});
    }
  }
  return Telemetry(std::move(st));
}

Telemetry::Telemetry(std::unique_ptr<State> state) : state_(std::move(state)) {}
Telemetry::Telemetry(Telemetry&&) noexcept = default;
Telemetry& Telemetry::operator=(Telemetry&& other) noexcept {
  if (this != &other) {
    if (state_) Shutdown(state_->shutdown_timeout);
    state_ = std::move(other.state_);
  }
  return *this;
}
Telemetry::~Telemetry() {
  if (state_) Shutdown(state_->shutdown_timeout);
}

bool Telemetry::ForceFlush(std::chrono::milliseconds deadline) noexcept {
  if (!state_) return true;
  Deadline by = std::chrono::steady_clock::now() + deadline;
  bool ok = true;
  if (state_->traces) ok &= state_->traces->ForceFlush(Remaining(by));
  if (state_->logs) ok &= state_->logs->Flush(Remaining(by));
  return ok;
}

bool Telemetry::Shutdown(std::chrono::milliseconds deadline) noexcept {
  if (!state_) return true;
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->shut_down) return true;
  state_->shut_down = true;
  Deadline by = std::chrono::steady_clock::now() + deadline;
  bool ok = true;
  // Reverse order of Init: stop serving, stop traces (flushing), then logs
  // last so every line written during shutdown still reaches the output.
  if (state_->admin) state_->admin->Stop();
  if (state_->profiler) state_->profiler->Stop();  // sends its last partial profile
  // The last push sees every count made until now, self-metrics included.
  if (state_->metric_exporter) ok &= state_->metric_exporter->Shutdown(Remaining(by));
  for (uint64_t id : state_->metric_callbacks) Metrics().RemoveCallback(id);
  if (state_->traces) ok &= state_->traces->Shutdown(Remaining(by));
  // An export still retrying past the deadline (its thread was let go) stops now.
  if (state_->trace_sender) state_->trace_sender->Cancel();
  if (state_->logs) {
    ResetGlobalLogPipeline();
    ok &= state_->logs->Shutdown(Remaining(by));
  }
  if (state_->log_exporter) ok &= state_->log_exporter->Shutdown(Remaining(by));
  return ok;
}

const std::string& Telemetry::service_name() const noexcept {
  return state_->settings.service_name;
}
const std::string& Telemetry::service_version() const noexcept {
  return state_->settings.service_version;
}
const std::string& Telemetry::environment() const noexcept { return state_->settings.environment; }
std::string Telemetry::admin_address() const noexcept {
  return state_ && state_->admin ? state_->admin->bound_address() : std::string();
}

}  // namespace quartet

// quartetd: one process, one data directory — ingest, storage and queries for
// the signals of quartet (docs/architecture.md). Main wires the components in
// order (config, stores, ingest, query APIs, the HTTP server) and stops them
// in reverse on SIGTERM/SIGINT: the server stops taking requests and finishes
// the running ones, then the stores make everything acknowledged durable.
#include <malloc.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "base/clock.h"
#include "quartet/log.h"
#include "quartet/metrics.h"
#include "quartet/quartet.h"
#include "server/alert/notifier.h"
#include "server/alert/rule_file.h"
#include "server/alert/rule_manager.h"
#include "server/api/annotations/annotations_api.h"
#include "server/api/incident/incident_api.h"
#include "server/api/links/links_api.h"
#include "server/api/loki/loki_api.h"
#include "server/api/prometheus/prometheus_api.h"
#include "server/api/pyroscope/pyroscope_api.h"
#include "server/api/rules/rules_api.h"
#include "server/api/tempo/tempo_api.h"
#include "server/api/ui/ui_api.h"
#include "server/config/config.h"
#include "server/http/http_server.h"
#include "server/incident/engine.h"
#include "server/incident/links.h"
#include "server/incident/report.h"
#include "server/incident/sources.h"
#include "server/ingest/loki/loki_push.h"
#include "server/ingest/otlp/otlp_grpc.h"
#include "server/ingest/otlp/otlp_ingest.h"
#include "server/ingest/prometheus/remote_write.h"
#include "server/ingest/prometheus/scrape_manager.h"
#include "server/ingest/pyroscope/pyroscope_ingest.h"
#include "server/ingest/spanmetrics/span_metrics.h"
#include "server/store/annotations/annotation_table.h"
#include "server/store/logs/log_table.h"
#include "server/store/metrics/metric_table.h"
#include "server/store/profiles/profile_table.h"
#include "server/store/traces/trace_table.h"

namespace quartet::server {
namespace {

store::TableOptions TableOptionsFor(const ServerConfig& config, const std::string& table) {
  store::TableOptions options;
  options.dir = config.data_dir + "/" + table;
  options.sync = config.fsync;
  options.memory_limit_bytes = config.memory_limit_bytes;
  options.max_streams = config.max_streams;
  options.retention_age = config.retention;
  options.retention_bytes = config.retention_bytes;
  return options;
}

// What a table found damaged on disk at open: blocks set aside (renamed
// *.corrupt), interrupted compactions finished. The rest is served.
void ReportIssues(std::string_view table, const std::vector<store::CatalogIssue>& issues) {
  for (const store::CatalogIssue& issue : issues) {
    Log().Error("damaged or leftover block file", {{"table", table},
                                                   {"file", issue.file},
                                                   {"problem", issue.problem},
                                                   {"action", issue.action}});
  }
}

void ReportReplay(std::string_view table, const store::WalReplayReport& report) {
  if (report.corruptions.empty() && report.truncated_bytes == 0) return;
  for (const auto& c : report.corruptions) {
    Log().Error("WAL corruption skipped", {{"table", table},
                                           {"segment", c.segment},
                                           {"offset", c.offset},
                                           {"bytes", c.bytes_skipped},
                                           {"reason", c.reason}});
  }
  if (report.truncated_bytes > 0) {
    Log().Warn("WAL torn tail truncated (an unacknowledged write cut short by a crash)",
               {{"table", table}, {"bytes", report.truncated_bytes}});
  }
}

// Self-metrics on the SDK's registry, read when /metrics is scraped.
void RegisterSelfMetrics(const HttpServer* http, const ingest::OtlpIngest* otlp,
                         const ingest::LokiPushIngest* loki, const store::TraceTable* traces,
                         const store::LogTable* logs) {
  MetricRegistry& m = Metrics();
  auto d = [](auto v) { return static_cast<double>(v); };
  m.CallbackCounter("quartetd_http_requests_total", "HTTP requests received",
                    [=] { return d(http->stats().requests); });
  m.CallbackCounter("quartetd_http_responses_4xx_total", "HTTP 4xx responses",
                    [=] { return d(http->stats().responses_4xx); });
  m.CallbackCounter("quartetd_http_responses_5xx_total", "HTTP 5xx responses",
                    [=] { return d(http->stats().responses_5xx); });
  m.CallbackCounter("quartetd_http_received_bytes_total", "HTTP request bytes received",
                    [=] { return d(http->stats().bytes_in); });
  m.CallbackGauge("quartetd_http_open_connections", "open HTTP connections",
                  [=] { return d(http->stats().open_connections); });
  m.CallbackCounter("quartetd_ingest_spans_accepted_total", "spans stored from OTLP",
                    [=] { return d(otlp->stats().spans_accepted); });
  m.CallbackCounter("quartetd_ingest_spans_rejected_total", "spans refused (partial success)",
                    [=] { return d(otlp->stats().spans_rejected); });
  m.CallbackCounter("quartetd_ingest_log_records_accepted_total", "log lines stored from OTLP",
                    [=] { return d(otlp->stats().logs_accepted); });
  m.CallbackCounter("quartetd_ingest_loki_lines_accepted_total", "log lines stored from Loki push",
                    [=] { return d(loki->stats().lines_accepted); });
  m.CallbackCounter("quartetd_ingest_bad_requests_total", "ingest requests refused as bad input",
                    [=] { return d(otlp->stats().bad_requests + loki->stats().bad_requests); });
  m.CallbackCounter("quartetd_ingest_pushed_back_total", "ingest requests answered 429/503",
                    [=] { return d(otlp->stats().pushed_back + loki->stats().pushed_back); });
  m.CallbackGauge("quartetd_store_spans", "spans in the trace store",
                  [=] { return d(traces->stats().spans); });
  m.CallbackGauge("quartetd_store_traces", "traces in the trace store",
                  [=] { return d(traces->stats().traces); });
  m.CallbackGauge("quartetd_store_log_lines", "lines in the log store",
                  [=] { return d(logs->stats().entries); });
  m.CallbackGauge("quartetd_store_damaged_blocks",
                  "blocks set aside as damaged (at open or found by a query)",
                  [=] { return d(traces->stats().damaged_blocks + logs->stats().damaged_blocks); });
  m.CallbackGauge("quartetd_store_block_bytes", "bytes in blocks on disk",
                  [=] { return d(traces->stats().block_bytes + logs->stats().block_bytes); });
  m.CallbackGauge("quartetd_store_head_bytes", "memory held by the in-memory heads",
                  [=] { return d(traces->stats().head_bytes + logs->stats().head_bytes); });
}

// The incident report of a firing alert, for webhooks with send_report
// (alert::ReportPoster runs this on its own thread): the window GET
// /api/v1/incident?alert= takes (IncidentEngine::AlertWindowStart .. now),
// and the UI link that reopens exactly it.
Result<alert::AttachedReport> AlertReport(const incident::IncidentEngine& engine,
                                          const alert::ReportSubject& alert) {
  incident::IncidentQuery q;
  q.service = alert.service;
  q.alert = alert.alertname;
  q.alert_active_ns = alert.active_at_ms * 1000000;
  constexpr int64_t kSec = 1000000000;
  // Whole seconds, as the UI asks: the link then reopens this very report.
  const int64_t to_s = (UnixNanos() + kSec - 1) / kSec;
  ASSIGN_OR_RETURN(const int64_t start, engine.AlertWindowStart(q.service, *q.alert_active_ns));
  const int64_t from_s = std::min(start / kSec, to_s - 1);
  q.from_ns = from_s * kSec;
  q.to_ns = to_s * kSec;
  ASSIGN_OR_RETURN(const incident::Report report, engine.Analyze(q));
  return alert::AttachedReport{incident::ReportToJson(report),
                               "/ui/incident?service=" + incident::UrlEncode(report.service) +
                                   "&from=" + std::to_string(from_s) +
                                   "&to=" + std::to_string(to_s)};
}

int Run(const ServerConfig& config) {
  // Signals are taken by sigwait below; block them before any thread starts
  // so that no other thread is interrupted by them.
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);

  // quartetd observes itself with the SDK: JSON logs on stdout and its
  // metrics on the registry that /metrics serves (no admin port, no
  // self-tracing yet, no log export).
  Config sdk;
  sdk.service_name = "quartetd";
  sdk.service_version = QUARTET_VERSION_STRING;
  sdk.admin_listen = "";
  sdk.traces_exporter = "none";
  sdk.logs_exporter = "none";  // its logs go to stdout; sending them to itself would loop
  Telemetry telemetry = Init(sdk);

  std::error_code ec;
  std::filesystem::create_directories(config.data_dir, ec);
  if (ec) {
    std::fprintf(stderr, "quartetd: cannot create --data-dir %s: %s\n", config.data_dir.c_str(),
                 ec.message().c_str());
    return 1;
  }
  for (const std::string& section : config.reserved_sections) {
    Log().Warn("Prometheus config section accepted and ignored (quartetd has no use for it)",
               {{"section", section}});
  }
  // Rule files are read before anything opens: a bad one is a startup error
  // naming the file, group and rule (as promtool check rules).
  Result<std::vector<alert::RuleGroupConfig>> rule_groups =
      alert::LoadRuleFiles(config.prometheus.rule_files, config.prometheus.base_dir);
  if (!rule_groups.ok()) {
    std::fprintf(stderr, "quartetd: invalid rule files:\n%s\n",
                 std::string(rule_groups.status().message()).c_str());
    Log().Error("invalid rule files", {{"error", rule_groups.status().message()}});
    return 1;
  }

  Result<std::unique_ptr<store::TraceTable>> traces =
      store::TraceTable::Open(TableOptionsFor(config, "traces"));
  if (!traces.ok()) {
    Log().Error("cannot open the trace store", {{"error", traces.status().message()}});
    return 1;
  }
  ReportIssues("traces", (*traces)->issues());
  ReportReplay("traces", (*traces)->wal_report());
  Result<std::unique_ptr<store::LogTable>> logs =
      store::LogTable::Open(TableOptionsFor(config, "logs"));
  if (!logs.ok()) {
    Log().Error("cannot open the log store", {{"error", logs.status().message()}});
    return 1;
  }
  ReportIssues("logs", (*logs)->issues());
  ReportReplay("logs", (*logs)->wal_report());
  Result<std::unique_ptr<store::MetricTable>> metrics = store::MetricTable::Open(
      store::MetricTableOptions{.table = TableOptionsFor(config, "metrics")});
  if (!metrics.ok()) {
    Log().Error("cannot open the metric store", {{"error", metrics.status().message()}});
    return 1;
  }
  ReportIssues("metrics", (*metrics)->issues());
  ReportReplay("metrics", (*metrics)->wal_report());
  Result<std::unique_ptr<store::ProfileTable>> profiles =
      store::ProfileTable::Open(TableOptionsFor(config, "profiles"));
  if (!profiles.ok()) {
    Log().Error("cannot open the profile store", {{"error", profiles.status().message()}});
    return 1;
  }
  ReportIssues("profiles", (*profiles)->issues());
  ReportReplay("profiles", (*profiles)->wal_report());
  // Annotations (deploy markers): a small log of their own, fsync'd per write.
  Result<std::unique_ptr<store::AnnotationTable>> annotations = store::AnnotationTable::Open(
      {.dir = config.data_dir + "/annotations", .sync = config.fsync != store::SyncPolicy::kNever});
  if (!annotations.ok()) {
    Log().Error("cannot open the annotation store", {{"error", annotations.status().message()}});
    return 1;
  }
  for (const std::string& problem : (*annotations)->replay_report().problems) {
    Log().Error(
        "annotation log damage skipped (the rest is served)",
        {{"problem", problem}, {"damaged_copy", (*annotations)->replay_report().damaged_copy}});
  }

  ingest::OtlpIngest otlp(traces->get(), logs->get(), metrics->get(),
                          ingest::OtlpLimits{.max_value_bytes = config.max_value_bytes});
  {
    // OTLP metrics: data points mapped to Prometheus series, and the
    // delta-to-cumulative streams kept for delta senders.
    MetricRegistry& m = Metrics();
    auto d = [](auto v) { return static_cast<double>(v); };
    ingest::OtlpIngest* o = &otlp;
    m.CallbackCounter("quartetd_ingest_otlp_metric_points_accepted_total",
                      "OTLP metric data points stored",
                      [=] { return d(o->stats().metric_points_accepted); });
    m.CallbackCounter("quartetd_ingest_otlp_metric_points_rejected_total",
                      "OTLP metric data points refused (partial success)",
                      [=] { return d(o->stats().metric_points_rejected); });
    m.CallbackGauge("quartetd_ingest_otlp_delta_streams",
                    "delta-temporality streams with a running total",
                    [=] { return d(o->delta_stats().streams); });
  }
  ingest::LokiPushIngest loki(logs->get(), loki::Limits{}, config.max_body_bytes);
  ingest::RemoteWriteIngest remote_write(metrics->get(), config.max_body_bytes);
  // Pyroscope's /ingest (pprof, multipart, folded) into the profile table.
  ingest::PyroscopeIngest pyroscope(profiles->get(),
                                    ingest::IngestLimits{.max_body_bytes = config.max_body_bytes});
  {
    MetricRegistry& m = Metrics();
    auto d = [](auto v) { return static_cast<double>(v); };
    const ingest::PyroscopeIngest* py = &pyroscope;
    const store::ProfileTable* pt = profiles->get();
    m.CallbackCounter("quartetd_ingest_profiles_accepted_total",
                      "profiles stored from Pyroscope /ingest (one per sample type)",
                      [=] { return d(py->stats().profiles_accepted); });
    m.CallbackCounter("quartetd_ingest_profile_samples_accepted_total",
                      "profile samples stored from Pyroscope /ingest",
                      [=] { return d(py->stats().samples_accepted); });
    m.CallbackCounter("quartetd_ingest_profiles_bad_requests_total",
                      "Pyroscope /ingest uploads refused as bad input",
                      [=] { return d(py->stats().bad_requests); });
    m.CallbackCounter("quartetd_ingest_profiles_pushed_back_total",
                      "Pyroscope /ingest uploads answered 429/503",
                      [=] { return d(py->stats().pushed_back); });
    m.CallbackGauge("quartetd_store_profile_head_bytes", "memory held by the profile head",
                    [=] { return d(pt->stats().head_bytes); });
    m.CallbackGauge("quartetd_store_profile_block_bytes", "bytes of profile blocks on disk",
                    [=] { return d(pt->stats().block_bytes); });
    m.CallbackGauge("quartetd_store_profile_damaged_blocks", "profile blocks set aside as damaged",
                    [=] { return d(pt->stats().damaged_blocks); });
  }
  // RED metrics from ingested spans (Tempo's span metrics) into the metric table.
  ingest::SpanMetrics span_metrics(
      metrics->get(), {.on_limit = [](int64_t dropped, size_t max_series) {
        Log().Warn("span metrics series limit reached: spans of new label sets not counted",
                   {{"dropped_spans", dropped}, {"max_series", static_cast<int64_t>(max_series)}});
      }});
  otlp.SetSpanObserver(&span_metrics);
  span_metrics.Start();
  {
    MetricRegistry& m = Metrics();
    ingest::SpanMetrics* sm = &span_metrics;
    auto d = [](auto v) { return static_cast<double>(v); };
    m.CallbackCounter("quartetd_spanmetrics_spans_total", "spans counted into span metrics",
                      [=] { return d(sm->stats().spans_counted); });
    m.CallbackCounter("quartetd_spanmetrics_late_spans_total",
                      "spans not counted: end time outside now +- the ingestion slack",
                      [=] { return d(sm->stats().late_spans); });
    m.CallbackCounter("quartetd_spanmetrics_series_limit_spans_total",
                      "spans not counted: a new label set over the series limit",
                      [=] { return d(sm->stats().series_limit_spans); });
    m.CallbackGauge("quartetd_spanmetrics_series", "label sets tracked by span metrics",
                    [=] { return d(sm->stats().series); });
  }
  // Prometheus scrape_configs: scraped into the metric table until shutdown.
  ingest::ScrapeManager scrapes(
      metrics->get(), {.on_health_change = [](const ingest::TargetHealth& t) {
        if (t.up) {
          Log().Info("scrape target up", {{"job", t.job}, {"url", t.url}});
        } else {
          Log().Warn("scrape target down",
                     {{"job", t.job}, {"url", t.url}, {"error", t.last_error}});
        }
      }});
  for (const std::string& problem : scrapes.Start(config.prometheus)) {
    Log().Error("scrape target not scraped", {{"problem", problem}});
  }
  {
    MetricRegistry& m = Metrics();
    auto d = [](auto v) { return static_cast<double>(v); };
    ingest::ScrapeManager* s = &scrapes;
    m.CallbackGauge("quartetd_scrape_targets", "Prometheus scrape targets being scraped",
                    [=] { return d(s->stats().targets); });
    m.CallbackCounter("quartetd_scrapes_total", "scrapes of Prometheus targets",
                      [=] { return d(s->stats().scrapes); });
    m.CallbackCounter("quartetd_scrape_failures_total", "scrapes that failed (up 0)",
                      [=] { return d(s->stats().failures); });
    m.CallbackCounter("quartetd_scrape_samples_appended_total",
                      "samples from scrapes stored (report series and stale markers included)",
                      [=] { return d(s->stats().samples_appended); });
    m.CallbackCounter("quartetd_scrape_exemplars_appended_total", "exemplars from scrapes stored",
                      [=] { return d(s->stats().exemplars_appended); });
    m.CallbackCounter("quartetd_scrape_samples_rejected_total",
                      "scraped samples the store refused (out of order, limits)",
                      [=] { return d(s->stats().samples_rejected); });
  }
  api::TempoApi tempo(traces->get());
  api::LokiApi loki_api(logs->get());
  api::LinksApi links(traces->get(), logs->get());
  api::PrometheusApi prometheus(metrics->get());
  // Profile queries: /pyroscope/render, render-diff, top, labels, profile types.
  api::PyroscopeApi pyroscope_api(profiles->get(), traces->get());
  api::RulesApi rules_api;  // served empty until the rule manager starts below
  api::UiApi ui;            // the web UI embedded at build time: /, /ui/...
  api::AnnotationsApi annotations_api(annotations->get());
  // The incident report (GET /api/v1/incident) over the stores.
  incident::IncidentEngine incident_engine(
      {.traces = traces->get(),
       .logs = logs->get(),
       .metrics = metrics->get(),
       .annotations = incident::AnnotationsFrom(annotations->get()),
       .profiles = incident::CpuProfilesFrom(profiles->get())});
  api::IncidentApi incident_api(&incident_engine, metrics->get());

  std::atomic<bool> ready{false};
  Router router;
  otlp.Register(&router);
  loki.Register(&router);
  tempo.Register(&router);
  loki_api.Register(&router);
  links.Register(&router);
  remote_write.Register(&router);
  pyroscope.Register(&router);
  pyroscope_api.Register(&router);
  prometheus.Register(&router);
  rules_api.Register(&router);
  annotations_api.Register(&router);
  incident_api.Register(&router);
  ui.Register(&router);
  router.Handle("GET", "/healthz",
                [](const HttpRequest&) { return HttpResponse::Text(200, "ok\n"); });
  router.Handle("GET", "/ready", [&ready](const HttpRequest&) {
    return ready ? HttpResponse::Text(200, "ready\n") : HttpResponse::Text(503, "not ready\n");
  });
  router.Handle("GET", "/metrics", [](const HttpRequest& r) {
    MetricsResponse m = ServeMetrics(r.Header("accept"));
    return HttpResponse::Bytes(200, std::move(m.content_type), std::move(m.body));
  });

  HttpServerOptions http_options;
  http_options.listen = config.http_listen;
  http_options.workers = config.http_workers;
  http_options.max_body_bytes = config.max_body_bytes;
  Result<std::unique_ptr<HttpServer>> http = HttpServer::Start(http_options, std::move(router));
  if (!http.ok()) {
    Log().Error("cannot start the HTTP server",
                {{"listen", config.http_listen}, {"error", http.status().message()}});
    return 1;
  }
  std::unique_ptr<ingest::OtlpGrpcServer> grpc;
  if (!config.grpc_listen.empty()) {
    Result<std::unique_ptr<ingest::OtlpGrpcServer>> started =
        ingest::OtlpGrpcServer::Start(config.grpc_listen, &otlp, config.max_body_bytes);
    if (!started.ok()) {
      Log().Error("cannot start the OTLP/gRPC server",
                  {{"listen", config.grpc_listen}, {"error", started.status().message()}});
      return 1;
    }
    grpc = std::move(*started);
  }
  RegisterSelfMetrics(http->get(), &otlp, &loki, traces->get(), logs->get());
  // Rules: evaluated over the metric table from now until shutdown;
  // notifications leave through the notifier's own thread.
  std::string external_url;
  {
    char host[256] = "localhost";
    gethostname(host, sizeof host - 1);
    external_url = "http://" + std::string(host) + ":" + std::to_string((*http)->port());
  }
  alert::NotifierOptions notifier_options;
  for (const AlertmanagerConfig& am : config.prometheus.alerting.alertmanagers) {
    for (std::string& url : am.AlertsUrls()) notifier_options.alertmanager_urls.push_back(url);
    notifier_options.timeout_ms = am.timeout_ms;
  }
  for (const WebhookNotification& w : config.notifications.webhooks) {
    notifier_options.webhooks.push_back({w.url, w.send_resolved, w.name, w.send_report});
  }
  notifier_options.external_url = external_url;
  notifier_options.report_provider = [&incident_engine](const alert::ReportSubject& s) {
    return AlertReport(incident_engine, s);
  };
  alert::Notifier notifier(notifier_options);
  alert::RuleManagerOptions rule_options;
  rule_options.state_dir = config.data_dir + "/alerts";
  rule_options.default_interval_ms = config.prometheus.global.evaluation_interval_ms;
  rule_options.external_labels = config.prometheus.global.external_labels;
  rule_options.external_url = external_url;
  rule_options.resend_delay_ms = config.notifications.resend_delay_ms;
  rule_options.engine.default_subquery_step_ms = config.prometheus.global.evaluation_interval_ms;
  Result<std::unique_ptr<alert::RuleManager>> rules =
      alert::RuleManager::Create(std::move(*rule_groups), metrics->get(), &notifier, rule_options);
  if (!rules.ok()) {
    Log().Error("cannot start the rule manager", {{"error", rules.status().message()}});
    return 1;
  }
  notifier.Start();
  if (Status started = (*rules)->Start(); !started.ok()) {
    Log().Error("alert state not restored (alerts start inactive)", {{"error", started.message()}});
  }
  rules_api.SetRules(rules->get());
  Log().Info("rules loaded",
             {{"groups", static_cast<int64_t>((*rules)->group_count())},
              {"alertmanagers", static_cast<int64_t>(notifier_options.alertmanager_urls.size())},
              {"webhooks", static_cast<int64_t>(notifier_options.webhooks.size())}});
  {
    MetricRegistry& m = Metrics();
    auto d = [](auto v) { return static_cast<double>(v); };
    const alert::RuleManager* r = rules->get();
    const alert::Notifier* n = &notifier;
    m.CallbackCounter("quartetd_rule_group_evaluations_total", "rule group evaluations",
                      [=] { return d(r->stats().evaluations); });
    m.CallbackCounter("quartetd_rule_evaluations_total", "rule evaluations",
                      [=] { return d(r->stats().rule_evaluations); });
    m.CallbackCounter("quartetd_rule_evaluation_failures_total", "rule evaluations that failed",
                      [=] { return d(r->stats().rule_failures); });
    m.CallbackCounter("quartetd_rule_group_iterations_missed_total",
                      "rule group evaluations skipped because one ran late",
                      [=] { return d(r->stats().missed_iterations); });
    m.CallbackCounter("quartetd_alert_state_write_failures_total",
                      "alert state file writes that failed",
                      [=] { return d(r->stats().state_write_failures); });
    m.CallbackCounter("quartetd_notifications_sent_total",
                      "alerts delivered to Alertmanagers and webhooks (per target)",
                      [=] { return d(n->stats().sent); });
    m.CallbackCounter("quartetd_notifications_errors_total", "failed notification POSTs",
                      [=] { return d(n->stats().errors); });
    m.CallbackCounter("quartetd_notifications_dropped_total",
                      "alerts not delivered: queue full or every retry failed",
                      [=] { return d(n->stats().dropped); });
    m.CallbackGauge("quartetd_notification_queue_length", "alerts waiting to be sent",
                    [=] { return d(n->stats().queue_length); });
    m.CallbackCounter("quartetd_alert_reports_posted_total",
                      "firing alerts posted to a webhook with their incident report",
                      [=] { return d(n->report_stats().posted); });
    m.CallbackCounter("quartetd_alert_reports_failed_total",
                      "firing alerts posted without their report (it failed or waited too long)",
                      [=] { return d(n->report_stats().without_report); });
    m.CallbackCounter("quartetd_alert_reports_dropped_total",
                      "reports not computed: their queue was full (the alert went out plain)",
                      [=] { return d(n->report_stats().dropped); });
  }
  ready = true;
  Log().Info("quartetd ready", {{"http", config.http_listen},
                                {"port", (*http)->port()},
                                {"grpc_port", grpc ? grpc->port() : 0},
                                {"data_dir", config.data_dir},
                                {"spans", (*traces)->stats().spans},
                                {"log_lines", (*logs)->stats().entries},
                                {"series", (*metrics)->stats().head_series}});
  // The one line tests and scripts wait for, with the bound ports.
  std::printf("quartetd listening on http port %u grpc port %d\n",
              static_cast<unsigned>((*http)->port()), grpc ? grpc->port() : 0);
  std::fflush(stdout);

  int signal = 0;
  sigwait(&signals, &signal);
  ready = false;
  Log().Info("quartetd stopping", {{"signal", signal}});
  (*http)->Stop();
  if (grpc) grpc->Stop();
  scrapes.Stop();  // before the stores close; no staleness markers, as Prometheus
  // Rules stop before the metric table closes (a running evaluation ends
  // first); the notifier makes at most one more attempt per target.
  rules_api.SetRules(nullptr);
  (*rules)->Stop();
  notifier.Stop();
  // Span metrics flush a last time, before the metric table closes.
  span_metrics.Stop();
  // Write the heads to blocks so the next start has no WAL to replay; the
  // WAL would bring back the same data if this fails.
  for (Status flushed : {(*traces)->Flush(), (*logs)->Flush(), (*metrics)->Flush()}) {
    if (!flushed.ok()) Log().Warn("flush at shutdown failed", {{"error", flushed.message()}});
  }
  if (Status closed = (*annotations)->Close(); !closed.ok()) {
    Log().Error("annotation log did not close cleanly", {{"error", closed.message()}});
  }
  // The profile table: flushed and closed on its own, so a failure names it.
  if (Status flushed = (*profiles)->Flush(); !flushed.ok()) {
    Log().Warn("profile flush at shutdown failed", {{"error", flushed.message()}});
  }
  if (Status closed = (*profiles)->Close(); !closed.ok()) {
    Log().Error("profile store did not close cleanly", {{"error", closed.message()}});
  }
  Status traces_closed = (*traces)->Close();
  Status logs_closed = (*logs)->Close();
  Status metrics_closed = (*metrics)->Close();
  if (!traces_closed.ok() || !logs_closed.ok() || !metrics_closed.ok()) {
    Log().Error("stores did not close cleanly", {{"traces", traces_closed.message()},
                                                 {"logs", logs_closed.message()},
                                                 {"metrics", metrics_closed.message()}});
    return 1;
  }
  Log().Info("quartetd stopped");
  telemetry.Shutdown(std::chrono::seconds(5));
  return 0;
}

}  // namespace
}  // namespace quartet::server

int main(int argc, char** argv) {
  // Blocks of 128 KiB and more are always mapped for themselves and unmapped
  // when freed. glibc otherwise raises this threshold to the size of the
  // first such block freed, after which every ingest request's multi-MiB
  // transients (bodies, decoded views, WAL records) stay in malloc's arenas
  // as free memory that counts in RSS: 1.3 KiB per active series on the
  // remote_write benchmark (bench/metrics_vs_prometheus/README.md).
  mallopt(M_MMAP_THRESHOLD, 128 * 1024);
  std::vector<std::string> args(argv + 1, argv + argc);
  quartet::Result<quartet::server::ServerConfig> config = quartet::server::LoadConfig(args);
  if (!config.ok()) {
    if (config.status().code() == quartet::StatusCode::kFailedPrecondition) {
      std::fputs(std::string(config.status().message()).c_str(), stdout);
      return 0;
    }
    std::fprintf(stderr, "quartetd: %s\n\n%s", std::string(config.status().message()).c_str(),
                 quartet::server::Usage().c_str());
    return 2;
  }
  return quartet::server::Run(*config);
}

// ReportPoster: posts a firing alert's incident report to a webhook. The
// Notifier hands it the first notification of each firing episode meant for
// a webhook with `send_report`; one worker thread asks the ReportProvider
// for the report (seconds of store scans: never on the rule-evaluation or
// the notifier's sender thread) and POSTs Alertmanager's webhook payload for
// that one alert with two more members: `report` (the report object of
// docs/incident.md) and `reportUrl` (the server-relative UI link that opens
// it). A report that fails, or a job that waited longer than max_wait_ms
// for the worker, is posted without it (`reportError` says why): the page
// itself must go out. Enqueue never blocks: with the queue full it refuses
// (counted as dropped) and the Notifier posts the alert without a report.
//
// server/alert does not know the incident engine: server/main.cc injects
// the provider, so the dependency points from main to both.
//
// Thread-safety: Enqueue, stats and Stop may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "base/status.h"
#include "server/alert/notifier_types.h"

namespace quartet::alert {

// What a report is asked about: one firing alert.
struct ReportSubject {
  std::string alertname;
  std::string service;       // the alert's service, service_name or job label
  int64_t active_at_ms = 0;  // when it went pending (Prometheus's activeAt)
  int64_t fired_at_ms = 0;
  LabelPairs labels;
};

// A computed report, ready to attach.
struct AttachedReport {
  std::string json;  // one JSON object
  std::string url;   // server-relative, e.g. /ui/incident?service=...
};

// Computes the report of one alert; called on the poster's worker thread
// only, one call at a time.
using ReportProvider = std::function<Result<AttachedReport>(const ReportSubject&)>;

// POSTs `body` to `url` (with the caller's retries); false when it failed.
using JsonDelivery = std::function<bool(const std::string& url, const std::string& body)>;

struct ReportPosterOptions {
  ReportProvider provider;  // required
  JsonDelivery deliver;     // required
  std::string external_url;
  size_t queue_capacity = 8;
  // A job that waited longer than this for the worker goes out without its
  // report, so a burst of alerts does not hold pages back for minutes.
  int64_t max_wait_ms = 60'000;
  std::function<int64_t()> now_ms;  // default: the wall clock
};

class ReportPoster {
 public:
  explicit ReportPoster(ReportPosterOptions options);
  ~ReportPoster();  // Stop()

  void Start();
  // Queues `alert` for `hook`; false (counted in dropped) when the queue is
  // full or the poster stopped: the caller then posts it without a report.
  bool Enqueue(NotificationAlert alert, const WebhookConfig& hook) noexcept;
  // Finishes the job in progress (a running report is not interrupted);
  // jobs still queued are counted as dropped.
  void Stop();

  struct Stats {
    int64_t posted = 0;             // payloads with a report delivered
    int64_t without_report = 0;     // delivered without one (failed or waited too long)
    int64_t dropped = 0;            // refused (queue full) or left queued at Stop
    int64_t delivery_failures = 0;  // every POST attempt failed
    int64_t queue_length = 0;
  };
  Stats stats() const;

 private:
  struct Job {
    NotificationAlert alert;
    WebhookConfig hook;
    int64_t enqueued_ms = 0;
  };
  void Loop();
  void Process(const Job& job);

  const ReportPosterOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Job> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<int64_t> posted_{0}, without_report_{0}, dropped_{0}, delivery_failures_{0};
};

// The alert's service: its service, service_name or job label, the first
// present (as GET /api/v1/incident?alert= reads the ALERTS series); "" if
// none.
std::string AlertService(const LabelPairs& labels);

// Alertmanager's webhook payload for `alert` alone (WebhookPayload) with the
// report attached: members "report" and "reportUrl" when `report` is OK,
// "reportError" when it is not.
std::string WebhookPayloadWithReport(const NotificationAlert& alert, std::string_view receiver,
                                     std::string_view external_url, int64_t now_ms,
                                     const Result<AttachedReport>& report);

}  // namespace quartet::alert

// Notifier: delivers alert notifications off the evaluation path — to
// Alertmanagers (POST <target>/api/v2/alerts with Prometheus's alert list)
// and to plain webhooks (Alertmanager's webhook payload, version "4", one
// POST per alertname group). Send() only enqueues: a bounded queue (oldest
// alerts dropped and counted when full, as Prometheus's notifier) drained
// by one sender thread that retries a failed POST with exponential backoff
// (a 4xx is not retried). Webhooks get a resolved alert once (if
// send_resolved); Alertmanagers get every resend, as from Prometheus.
//
// Webhooks with send_report get the first notification of each firing
// episode from a ReportPoster (report_poster.h) instead, with the alert's
// incident report attached; later resends and the resolution come from
// here as usual. NotifierOptions::annotate runs on each alert just before it
// is encoded.
//
// Thread-safety: Send() and stats() may be called from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/alert/notifier_types.h"
#include "server/alert/report_poster.h"
#include "server/alert/rule_file.h"

namespace quartet::alert {

struct NotifierOptions {
  std::vector<std::string> alertmanager_urls;  // full URLs of .../api/v2/alerts
  std::vector<WebhookConfig> webhooks;
  std::string external_url;  // the payload's externalURL
  size_t queue_capacity = 10000;
  size_t max_batch = 64;
  int64_t timeout_ms = 10'000;
  int max_attempts = 5;
  int64_t initial_backoff_ms = 200;
  int64_t max_backoff_ms = 5'000;
  std::function<void(NotificationAlert*)> annotate;  // may be empty
  // Computes incident reports for webhooks with send_report (may be empty:
  // then they get plain notifications).
  ReportProvider report_provider;
  size_t report_queue_capacity = 8;
  int64_t report_max_wait_ms = 60'000;
};

class Notifier {
 public:
  explicit Notifier(NotifierOptions options);
  ~Notifier();  // Stop()

  // Starts the sender thread (no-op without any target).
  void Start();
  // Enqueues; never blocks on the network.
  void Send(std::vector<NotificationAlert> alerts) noexcept;
  // Stops the sender after at most one more delivery attempt per target.
  void Stop();

  struct Stats {
    int64_t sent = 0;     // alerts delivered (per target)
    int64_t errors = 0;   // failed POST attempts
    int64_t dropped = 0;  // alerts dropped: queue full, or every attempt failed
    int64_t queue_length = 0;
  };
  Stats stats() const;
  // Zeros when no webhook sends reports.
  ReportPoster::Stats report_stats() const;
  bool has_targets() const {
    return !options_.alertmanager_urls.empty() || !options_.webhooks.empty();
  }

 private:
  void Loop();
  // POSTs with retries; false when every attempt failed.
  bool Deliver(const std::string& url, const std::string& body);

  const NotifierOptions options_;
  mutable std::mutex mu_;
  std::condition_variable cv_;
  std::deque<NotificationAlert> queue_;
  bool stopping_ = false;
  std::thread thread_;
  std::atomic<int64_t> sent_{0}, errors_{0}, dropped_{0};
  std::unique_ptr<ReportPoster> reports_;  // null unless a webhook sends reports
};

// Prometheus's JSON for Alertmanager's POST /api/v2/alerts.
std::string AlertmanagerPayload(const std::vector<NotificationAlert>& alerts);
// Alertmanager's webhook payload for one group of alerts (grouped by
// alertname); `now_ms` decides each alert's status.
std::string WebhookPayload(const std::vector<NotificationAlert>& alerts, std::string_view receiver,
                           std::string_view external_url, int64_t now_ms);
// Alertmanager's alert fingerprint: FNV-1a 64 over the sorted labels, hex.
std::string Fingerprint(const LabelPairs& labels);
// RFC 3339 with trimmed fractional seconds, UTC ("2024-05-01T10:00:00.25Z"),
// as Go's time.Time marshals to JSON.
std::string Rfc3339(int64_t unix_ms);

}  // namespace quartet::alert

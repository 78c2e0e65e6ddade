#include "server/alert/report_poster.h"

#include <chrono>

#include "server/alert/notifier.h"
#include "wire/json/json_writer.h"

namespace quartet::alert {
namespace {

int64_t WallMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::string Label(const LabelPairs& labels, std::string_view name) {
  for (const auto& [k, v] : labels) {
    if (k == name) return v;
  }
  return "";
}

}  // namespace

std::string AlertService(const LabelPairs& labels) {
  for (const char* key : {"service", "service_name", "job"}) {
    std::string v = Label(labels, key);
    if (!v.empty()) return v;
  }
  return "";
}

std::string WebhookPayloadWithReport(const NotificationAlert& alert, std::string_view receiver,
                                     std::string_view external_url, int64_t now_ms,
                                     const Result<AttachedReport>& report) {
  std::string out = WebhookPayload({alert}, receiver, external_url, now_ms);
  // WebhookPayload writes one object: the members go before its final '}'.
  out.pop_back();
  if (report.ok()) {
    out += ",\"report\":";
    out += report->json;
    out += ",\"reportUrl\":";
    json::AppendString(&out, report->url);
  } else {
    out += ",\"reportError\":";
    json::AppendString(&out, report.status().message());
  }
  out += '}';
  return out;
}

ReportPoster::ReportPoster(ReportPosterOptions options) : options_(std::move(options)) {}

ReportPoster::~ReportPoster() { Stop(); }

void ReportPoster::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  if (thread_.joinable() || stopping_) return;
  thread_ = std::thread([this] { Loop(); });
}

bool ReportPoster::Enqueue(NotificationAlert alert, const WebhookConfig& hook) noexcept {
  const int64_t now = options_.now_ms ? options_.now_ms() : WallMs();
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_ || queue_.size() >= options_.queue_capacity) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return false;
    }
    queue_.push_back({std::move(alert), hook, now});
  }
  cv_.notify_one();
  return true;
}

void ReportPoster::Stop() {
  std::thread worker;
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
    dropped_.fetch_add(static_cast<int64_t>(queue_.size()), std::memory_order_relaxed);
    queue_.clear();
    worker = std::move(thread_);
  }
  cv_.notify_all();
  if (worker.joinable()) worker.join();
}

ReportPoster::Stats ReportPoster::stats() const {
  Stats s;
  s.posted = posted_.load(std::memory_order_relaxed);
  s.without_report = without_report_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  s.delivery_failures = delivery_failures_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  s.queue_length = static_cast<int64_t>(queue_.size());
  return s;
}

void ReportPoster::Loop() {
  while (true) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      job = std::move(queue_.front());
      queue_.pop_front();
    }
    Process(job);
  }
}

void ReportPoster::Process(const Job& job) {
  const NotificationAlert& a = job.alert;
  const int64_t now = options_.now_ms ? options_.now_ms() : WallMs();
  ReportSubject subject;
  subject.alertname = Label(a.labels, "alertname");
  subject.service = AlertService(a.labels);
  subject.active_at_ms = a.active_at_ms != 0 ? a.active_at_ms : a.starts_at_ms;
  subject.fired_at_ms = a.starts_at_ms;
  subject.labels = a.labels;
  Result<AttachedReport> report = Status::Internal("no report");
  if (subject.service.empty()) {
    report =
        Status::InvalidArgument("no report: the alert has no service, service_name or job label");
  } else if (now - job.enqueued_ms > options_.max_wait_ms) {
    report = Status::Unavailable("report skipped: the alert waited " +
                                 std::to_string((now - job.enqueued_ms) / 1000) +
                                 " s behind other reports");
  } else {
    report = options_.provider(subject);
  }
  // The alert's status as when it was handed over: a slow report must not
  // make a firing alert read as resolved (its endsAt may have passed).
  const std::string body =
      WebhookPayloadWithReport(a, job.hook.name, options_.external_url, job.enqueued_ms, report);
  if (!options_.deliver(job.hook.url, body)) {
    delivery_failures_.fetch_add(1, std::memory_order_relaxed);
  } else if (report.ok()) {
    posted_.fetch_add(1, std::memory_order_relaxed);
  } else {
    without_report_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace quartet::alert

#include "server/alert/notifier.h"

#include <curl/curl.h>

#include <algorithm>
#include <chrono>
#include <cinttypes>
#include <ctime>
#include <map>

#include "wire/json/json_writer.h"

namespace quartet::alert {
namespace {

void AppendMap(std::string* out, const LabelPairs& pairs) {
  *out += '{';
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) *out += ',';
    json::AppendString(out, pairs[i].first);
    *out += ':';
    json::AppendString(out, pairs[i].second);
  }
  *out += '}';
}

// Pairs present with the same value in every list.
LabelPairs Common(const std::vector<const LabelPairs*>& lists) {
  if (lists.empty()) return {};
  LabelPairs out;
  for (const auto& p : *lists[0]) {
    bool all = true;
    for (size_t i = 1; i < lists.size() && all; ++i) {
      all = std::find(lists[i]->begin(), lists[i]->end(), p) != lists[i]->end();
    }
    if (all) out.push_back(p);
  }
  return out;
}

size_t OnBody(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

std::string Rfc3339(int64_t unix_ms) {
  time_t secs = static_cast<time_t>(unix_ms >= 0 ? unix_ms / 1000 : (unix_ms - 999) / 1000);
  int ms = static_cast<int>(unix_ms - int64_t{secs} * 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[48];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
  std::string out = buf;
  if (ms != 0) {
    char frac[8];
    std::snprintf(frac, sizeof frac, ".%03d", ms);
    std::string f = frac;
    while (f.back() == '0') f.pop_back();
    out += f;
  }
  return out + "Z";
}

std::string Fingerprint(const LabelPairs& labels) {
  uint64_t h = 14695981039346656037ULL;
  auto add = [&h](std::string_view s) {
    for (unsigned char c : s) {
      h ^= c;
      h *= 1099511628211ULL;
    }
  };
  LabelPairs sorted = labels;
  std::sort(sorted.begin(), sorted.end());
  for (const auto& [k, v] : sorted) {
    add(k);
    add("\xff");
    add(v);
    add("\xff");
  }
  char buf[20];
  std::snprintf(buf, sizeof buf, "%016" PRIx64, h);
  return buf;
}

std::string AlertmanagerPayload(const std::vector<NotificationAlert>& alerts) {
  std::string out = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const NotificationAlert& a = alerts[i];
    if (i > 0) out += ',';
    out += "{\"labels\":";
    AppendMap(&out, a.labels);
    out += ",\"annotations\":";
    AppendMap(&out, a.annotations);
    out += ",\"startsAt\":";
    json::AppendString(&out, Rfc3339(a.starts_at_ms));
    out += ",\"endsAt\":";
    json::AppendString(&out, Rfc3339(a.ends_at_ms));
    out += ",\"generatorURL\":";
    json::AppendString(&out, a.generator_url);
    out += '}';
  }
  return out + "]";
}

std::string WebhookPayload(const std::vector<NotificationAlert>& alerts, std::string_view receiver,
                           std::string_view external_url, int64_t now_ms) {
  std::vector<const LabelPairs*> labels, annotations;
  bool any_firing = false;
  std::string list = "[";
  for (size_t i = 0; i < alerts.size(); ++i) {
    const NotificationAlert& a = alerts[i];
    labels.push_back(&a.labels);
    annotations.push_back(&a.annotations);
    const bool resolved = a.resolved || a.ends_at_ms <= now_ms;
    any_firing |= !resolved;
    if (i > 0) list += ',';
    list += "{\"status\":";
    list += resolved ? "\"resolved\"" : "\"firing\"";
    list += ",\"labels\":";
    AppendMap(&list, a.labels);
    list += ",\"annotations\":";
    AppendMap(&list, a.annotations);
    list += ",\"startsAt\":";
    json::AppendString(&list, Rfc3339(a.starts_at_ms));
    // Alertmanager shows a firing alert's endsAt as Go's zero time.
    list += ",\"endsAt\":";
    json::AppendString(&list, resolved ? Rfc3339(a.ends_at_ms) : "0001-01-01T00:00:00Z");
    list += ",\"generatorURL\":";
    json::AppendString(&list, a.generator_url);
    list += ",\"fingerprint\":";
    json::AppendString(&list, Fingerprint(a.labels));
    list += '}';
  }
  list += ']';
  LabelPairs group;
  for (const auto& p : Common(labels)) {
    if (p.first == "alertname") group.push_back(p);
  }
  std::string key = "{}:{";
  for (size_t i = 0; i < group.size(); ++i) {
    if (i > 0) key += ',';
    key += group[i].first + "=\"" + group[i].second + "\"";
  }
  key += '}';
  std::string out = "{\"receiver\":";
  json::AppendString(&out, receiver);
  out += ",\"status\":";
  out += any_firing ? "\"firing\"" : "\"resolved\"";
  out += ",\"alerts\":" + list + ",\"groupLabels\":";
  AppendMap(&out, group);
  out += ",\"commonLabels\":";
  AppendMap(&out, Common(labels));
  out += ",\"commonAnnotations\":";
  AppendMap(&out, Common(annotations));
  out += ",\"externalURL\":";
  json::AppendString(&out, external_url);
  out += ",\"version\":\"4\",\"groupKey\":";
  json::AppendString(&out, key);
  out += ",\"truncatedAlerts\":0}";
  return out;
}

Notifier::Notifier(NotifierOptions options) : options_(std::move(options)) {
  const bool any_report = std::any_of(options_.webhooks.begin(), options_.webhooks.end(),
                                      [](const WebhookConfig& w) { return w.send_report; });
  if (any_report && options_.report_provider) {
    reports_ = std::make_unique<ReportPoster>(ReportPosterOptions{
        .provider = options_.report_provider,
        .deliver = [this](const std::string& url,
                          const std::string& body) { return Deliver(url, body); },
        .external_url = options_.external_url,
        .queue_capacity = options_.report_queue_capacity,
        .max_wait_ms = options_.report_max_wait_ms});
  }
}

Notifier::~Notifier() { Stop(); }

void Notifier::Start() {
  if (!has_targets() || thread_.joinable()) return;
  if (reports_) reports_->Start();
  thread_ = std::thread([this] { Loop(); });
}

void Notifier::Send(std::vector<NotificationAlert> alerts) noexcept {
  if (!has_targets() || alerts.empty()) return;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (NotificationAlert& a : alerts) queue_.push_back(std::move(a));
    // Keep the newest: an old notification is superseded by the next resend.
    while (queue_.size() > options_.queue_capacity) {
      queue_.pop_front();
      dropped_.fetch_add(1, std::memory_order_relaxed);
    }
  }
  cv_.notify_one();
}

void Notifier::Stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (thread_.joinable()) thread_.join();
  // After the sender: it hands the poster work until it stops.
  if (reports_) reports_->Stop();
}

ReportPoster::Stats Notifier::report_stats() const {
  return reports_ ? reports_->stats() : ReportPoster::Stats{};
}

Notifier::Stats Notifier::stats() const {
  Stats s;
  s.sent = sent_.load(std::memory_order_relaxed);
  s.errors = errors_.load(std::memory_order_relaxed);
  s.dropped = dropped_.load(std::memory_order_relaxed);
  std::lock_guard<std::mutex> lock(mu_);
  s.queue_length = static_cast<int64_t>(queue_.size());
  return s;
}

bool Notifier::Deliver(const std::string& url, const std::string& body) {
  int64_t backoff = options_.initial_backoff_ms;
  for (int attempt = 0; attempt < options_.max_attempts; ++attempt) {
    if (attempt > 0) {
      std::unique_lock<std::mutex> lock(mu_);
      if (cv_.wait_for(lock, std::chrono::milliseconds(backoff), [this] { return stopping_; })) {
        return false;
      }
      backoff = std::min(backoff * 2, options_.max_backoff_ms);
    }
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return false;
    curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/json");
    headers = curl_slist_append(headers, "User-Agent: quartetd/" QUARTET_VERSION_STRING);
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
    curl_easy_setopt(curl, CURLOPT_POSTFIELDS, body.data());
    curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE, static_cast<long>(body.size()));
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(options_.timeout_ms));
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
    curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
    const CURLcode rc = curl_easy_perform(curl);
    long status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(headers);
    curl_easy_cleanup(curl);
    if (rc == CURLE_OK && status >= 200 && status < 300) return true;
    errors_.fetch_add(1, std::memory_order_relaxed);
    // A 4xx will not get better by retrying (Prometheus retries only 5xx).
    if (rc == CURLE_OK && status >= 400 && status < 500) return false;
  }
  return false;
}

void Notifier::Loop() {
  while (true) {
    std::vector<NotificationAlert> batch;
    {
      std::unique_lock<std::mutex> lock(mu_);
      cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
      if (stopping_) return;
      while (!queue_.empty() && batch.size() < options_.max_batch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (options_.annotate) {
      for (NotificationAlert& a : batch) options_.annotate(&a);
    }
    const auto n = static_cast<int64_t>(batch.size());
    if (!options_.alertmanager_urls.empty()) {
      const std::string body = AlertmanagerPayload(batch);
      for (const std::string& url : options_.alertmanager_urls) {
        if (Deliver(url, body)) {
          sent_.fetch_add(n, std::memory_order_relaxed);
        } else {
          dropped_.fetch_add(n, std::memory_order_relaxed);
        }
      }
    }
    if (options_.webhooks.empty()) continue;
    const int64_t now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                               std::chrono::system_clock::now().time_since_epoch())
                               .count();
    for (const WebhookConfig& hook : options_.webhooks) {
      std::map<std::string, std::vector<NotificationAlert>> groups;
      for (const NotificationAlert& a : batch) {
        if (a.resolved && (!hook.send_resolved || !a.newly_resolved)) continue;
        // The poster posts it with its report; when its queue is full the
        // alert goes out here without one.
        if (hook.send_report && a.newly_firing && !a.resolved && reports_ != nullptr &&
            reports_->Enqueue(a, hook)) {
          continue;
        }
        std::string name;
        for (const auto& [k, v] : a.labels) {
          if (k == "alertname") name = v;
        }
        groups[name].push_back(a);
      }
      for (const auto& [name, alerts] : groups) {
        const auto count = static_cast<int64_t>(alerts.size());
        if (Deliver(hook.url, WebhookPayload(alerts, hook.name, options_.external_url, now_ms))) {
          sent_.fetch_add(count, std::memory_order_relaxed);
        } else {
          dropped_.fetch_add(count, std::memory_order_relaxed);
        }
      }
    }
  }
}

}  // namespace quartet::alert

#include "sdk/profile/uploader.h"

#include <curl/curl.h>

#include <algorithm>

namespace quartet::profile_internal {
namespace {

bool AppChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-' || c == '/';
}

std::string UrlEscape(std::string_view s) {
  static const char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : s) {
    auto u = static_cast<unsigned char>(c);
    if ((u >= 'a' && u <= 'z') || (u >= 'A' && u <= 'Z') || (u >= '0' && u <= '9') || u == '-' ||
        u == '_' || u == '.' || u == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

size_t Discard(char*, size_t size, size_t n, void*) { return size * n; }

}  // namespace

std::string SanitizeAppName(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!AppChar(c)) c = '_';
  }
  return out;
}

std::string SanitizeTagValue(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (!AppChar(c) && c != ':' && c != '@') c = '_';
  }
  return out;
}

std::string SeriesName(const UploadConfig& config, std::string_view profile_type) {
  std::string name = SanitizeAppName(config.app_name);
  name += '.';
  name += profile_type;
  name += '{';
  bool first = true;
  for (const auto& [k, v] : config.tags) {  // std::map: sorted by key
    if (v.empty()) continue;
    if (!first) name += ',';
    first = false;
    name += SanitizeAppName(k);
    name += '=';
    name += SanitizeTagValue(v);
  }
  name += '}';
  return name;
}

std::string IngestUrl(const UploadConfig& config, std::string_view profile_type,
                      int64_t from_unix_s, int64_t until_unix_s) {
  std::string url = config.server_address;
  while (!url.empty() && url.back() == '/') url.pop_back();
  url += "/ingest?name=";
  url += UrlEscape(SeriesName(config, profile_type));
  url += "&from=" + std::to_string(from_unix_s);
  url += "&until=" + std::to_string(until_unix_s);
  url += "&sampleRate=" + std::to_string(config.sample_rate_hz);
  url += "&spyName=quartet-cpp&format=pprof";
  return url;
}

Uploader::Uploader(UploadConfig config, UploadCounters* counters)
    : config_(std::move(config)), counters_(counters) {
  thread_ = new std::thread([this] { Run(); });
}

Uploader::~Uploader() { Shutdown(std::chrono::milliseconds(0)); }

void Uploader::Enqueue(std::string body, std::string profile_type, int64_t from_unix_s,
                       int64_t until_unix_s) {
  std::lock_guard<std::mutex> lock(mu_);
  if (stopping_) {
    counters_->failed.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  if (queue_.size() >= config_.max_queued) {
    queue_.pop_front();
    counters_->queue_dropped.fetch_add(1, std::memory_order_relaxed);
  }
  queue_.push_back(Item{std::move(body), std::move(profile_type), from_unix_s, until_unix_s});
  cv_.notify_one();
}

void Uploader::Shutdown(std::chrono::milliseconds deadline) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (thread_ == nullptr) return;
    if (!stopping_) {
      stopping_ = true;
      deadline_ = std::chrono::steady_clock::now() + deadline;
    }
    cv_.notify_all();
  }
  thread_->join();
  delete thread_;
  thread_ = nullptr;
}

void Uploader::Abandon() {
  // The thread does not exist in a forked child: the handle is leaked on
  // purpose (joining or destroying it would act on the parent's thread).
  thread_ = nullptr;
}

void Uploader::Run() {
  std::unique_lock<std::mutex> lock(mu_);
  for (;;) {
    cv_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
    if (queue_.empty()) return;  // stopping
    if (stopping_ && std::chrono::steady_clock::now() >= deadline_) {
      counters_->failed.fetch_add(queue_.size(), std::memory_order_relaxed);
      queue_.clear();
      return;
    }
    Item item = std::move(queue_.front());
    queue_.pop_front();
    auto backoff = config_.initial_backoff;
    for (int attempt = 1;; ++attempt) {
      long timeout_ms = static_cast<long>(config_.timeout.count());
      if (stopping_) {
        auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
            deadline_ - std::chrono::steady_clock::now());
        timeout_ms = std::max<long>(1, std::min<long>(timeout_ms, static_cast<long>(left.count())));
      }
      lock.unlock();
      Outcome outcome = Send(item, timeout_ms);
      lock.lock();
      if (outcome == Outcome::kOk) {
        counters_->uploaded.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      if (outcome == Outcome::kReject || attempt >= config_.max_attempts || stopping_) {
        counters_->failed.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      counters_->retries.fetch_add(1, std::memory_order_relaxed);
      // Shutdown cuts the wait short; the retry then happens no more.
      if (cv_.wait_for(lock, backoff, [this] { return stopping_; })) {
        counters_->failed.fetch_add(1, std::memory_order_relaxed);
        break;
      }
      backoff = std::min(backoff * 2, config_.max_backoff);
    }
  }
}

Uploader::Outcome Uploader::Send(const Item& item, long timeout_ms) {
  CURL* curl = curl_easy_init();
  if (curl == nullptr) return Outcome::kRetry;
  std::string url = IngestUrl(config_, item.type, item.from, item.until);
  curl_slist* headers = curl_slist_append(nullptr, "Content-Type: application/octet-stream");
  for (const auto& [k, v] : config_.headers) {
    headers = curl_slist_append(headers, (k + ": " + v).c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, item.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(item.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, Discard);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "quartet-cpp/" QUARTET_VERSION_STRING);
  CURLcode rc = curl_easy_perform(curl);
  long status = 0;
  if (rc == CURLE_OK) curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  curl_slist_free_all(headers);
  curl_easy_cleanup(curl);
  if (rc != CURLE_OK) return Outcome::kRetry;
  if (status >= 200 && status < 300) return Outcome::kOk;
  if (status == 429 || status >= 500) return Outcome::kRetry;
  return Outcome::kReject;
}

}  // namespace quartet::profile_internal

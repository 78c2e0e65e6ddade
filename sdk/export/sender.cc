#include "sdk/export/sender.h"

#include <curl/curl.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdio>

#include "base/clock.h"
#include "wire/compress/gzip.h"

namespace quartet::exporter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

bool IsRetryableError(const Status& status) {
  return status.code() == StatusCode::kUnavailable ||
         status.code() == StatusCode::kDeadlineExceeded;
}

void DefaultDiagnostic(std::string_view message) {
  std::fprintf(stderr, "quartet export: %.*s\n", static_cast<int>(message.size()), message.data());
}

}  // namespace

std::string_view ExportResultName(ExportResult result) {
  switch (result) {
    case ExportResult::kSuccess:
      return "success";
    case ExportResult::kRetryableFailure:
      return "retryable_failure";
    case ExportResult::kPermanentFailure:
      return "permanent_failure";
    case ExportResult::kTimeout:
      return "timeout";
  }
  return "unknown";
}

bool IsRetryableStatus(int status) {
  return status == 429 || status == 502 || status == 503 || status == 504;
}

std::optional<milliseconds> ParseRetryAfter(std::string_view value, int64_t now_unix_nanos) {
  while (!value.empty() && value.front() == ' ') value.remove_prefix(1);
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  if (value.empty()) return std::nullopt;
  if (std::isdigit(static_cast<unsigned char>(value.front()))) {
    uint64_t seconds = 0;
    auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), seconds);
    if (ec != std::errc() || end != value.data() + value.size()) return std::nullopt;
    // Anything beyond a day is nonsense for an export; clamp before converting.
    return milliseconds(std::min<uint64_t>(seconds, 86400) * 1000);
  }
  // curl_getdate accepts the three HTTP-date forms of RFC 9110 (IMF-fixdate,
  // RFC 850, asctime). It needs a NUL-terminated string.
  std::string date(value.substr(0, 64));
  time_t when = curl_getdate(date.c_str(), nullptr);
  if (when == static_cast<time_t>(-1)) return std::nullopt;
  int64_t delta_ms = int64_t{when} * 1000 - now_unix_nanos / 1'000'000;
  return milliseconds(std::clamp<int64_t>(delta_ms, 0, 86400 * 1000));
}

Sender::Sender(RetryPolicy policy, HttpClient::Options client_options,
               Diagnostic diagnostic) noexcept
    : policy_(policy),
      client_(std::move(client_options)),
      diagnostic_(diagnostic ? std::move(diagnostic) : Diagnostic(DefaultDiagnostic)),
      rng_(static_cast<uint32_t>(MonotonicNanos())) {}

void Sender::Cancel() noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_ = true;
  }
  abort_.store(true, std::memory_order_relaxed);
  cv_.notify_all();
}

SendStats Sender::stats() const noexcept { return counters_.Snapshot(); }

bool Sender::WaitUntil(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_until(lock, until, [this] { return cancelled_; });
}

void SendCounters::CountAttempt(int attempt, size_t bytes) noexcept {
  requests.fetch_add(1, std::memory_order_relaxed);
  if (attempt > 1) retries.fetch_add(1, std::memory_order_relaxed);
  bytes_sent.fetch_add(bytes, std::memory_order_relaxed);
}

void SendCounters::CountResult(bool success) noexcept {
  (success ? successes : failures).fetch_add(1, std::memory_order_relaxed);
}

SendStats SendCounters::Snapshot() const noexcept {
  SendStats s;
  s.exports = exports.load(std::memory_order_relaxed);
  s.requests = requests.load(std::memory_order_relaxed);
  s.retries = retries.load(std::memory_order_relaxed);
  s.successes = successes.load(std::memory_order_relaxed);
  s.failures = failures.load(std::memory_order_relaxed);
  s.bytes_sent = bytes_sent.load(std::memory_order_relaxed);
  return s;
}

milliseconds BackoffDelay(const RetryPolicy& policy, int retry_index, std::minstd_rand& rng) {
  double backoff = static_cast<double>(policy.initial_backoff.count()) *
                   std::pow(policy.multiplier, retry_index);
  backoff = std::min(backoff, static_cast<double>(policy.max_backoff.count()));
  double jitter = std::clamp(policy.jitter, 0.0, 1.0);
  std::uniform_real_distribution<double> dist(1.0 - jitter, 1.0);
  return milliseconds(static_cast<int64_t>(backoff * dist(rng)));
}

void Sender::ReportPermanent(int status, std::string_view body) {
  if (status >= 0 && status < 640) {
    uint64_t& word = reported_statuses_[status / 64];
    uint64_t bit = uint64_t{1} << (status % 64);
    if (word & bit) return;
    word |= bit;
  }
  std::string msg = "export rejected with HTTP " + std::to_string(status) +
                    " (not retried; further rejections with this status are not logged)";
  if (!body.empty()) {
    std::string_view head = body.substr(0, 200);
    msg += ": ";
    for (char c : head) msg += (c >= 0x20 && c < 0x7f) ? c : '.';
  }
  diagnostic_(msg);
}

void Sender::ReportPermanentError(const Status& error) {
  uint32_t bit = uint32_t{1} << (static_cast<int>(error.code()) & 31);
  if (reported_errors_ & bit) return;
  reported_errors_ |= bit;
  diagnostic_(
      "export failed permanently (not retried; further errors of this kind are not "
      "logged): " +
      error.ToString());
}

SendOutcome Sender::Send(const ExportRequest& request, Clock::time_point deadline) noexcept {
  SendOutcome outcome;
  counters_.exports.fetch_add(1, std::memory_order_relaxed);
  try {
    std::string compressed;
    HttpRequest http{request.url, request.body, request.content_type, "", &request.headers};
    if (request.gzip) {
      auto gz = compress::GzipCompress(request.body);
      if (!gz.ok()) {
        outcome.last_error = gz.status();
        diagnostic_("gzip failed: " + gz.status().ToString());
        counters_.failures.fetch_add(1, std::memory_order_relaxed);
        return outcome;
      }
      compressed = std::move(*gz);
      http.body = compressed;
      http.content_encoding = "gzip";
    }

    for (;;) {
      auto now = Clock::now();
      auto left = std::chrono::duration_cast<milliseconds>(deadline - now);
      if (left.count() <= 0) {
        // Only reachable before the first attempt: later rounds check before sleeping.
        outcome.result =
            outcome.attempts == 0 ? ExportResult::kTimeout : ExportResult::kRetryableFailure;
        break;
      }
      ++outcome.attempts;
      counters_.CountAttempt(outcome.attempts, http.body.size());
      http.abort = &abort_;
      auto response = client_.Post(http, left);

      std::optional<milliseconds> server_wait;
      if (response.ok()) {
        outcome.response = std::move(*response);
        outcome.last_error = Status::Ok();
        int status = outcome.response.status;
        if (status >= 200 && status < 300) {
          outcome.result = ExportResult::kSuccess;
          break;
        }
        if (!IsRetryableStatus(status)) {
          outcome.result = ExportResult::kPermanentFailure;
          ReportPermanent(status, outcome.response.body);
          break;
        }
        if (!outcome.response.retry_after.empty()) {
          server_wait = ParseRetryAfter(outcome.response.retry_after, UnixNanos());
        }
      } else {
        outcome.last_error = response.status();
        if (!IsRetryableError(outcome.last_error)) {
          outcome.result = ExportResult::kPermanentFailure;
          ReportPermanentError(outcome.last_error);
          break;
        }
        // Each attempt may use all the time left, so an attempt timeout means
        // the deadline is (to the millisecond) spent.
        if (outcome.last_error.code() == StatusCode::kDeadlineExceeded) {
          outcome.result = ExportResult::kTimeout;
          break;
        }
      }

      // Retryable. Decide whether another attempt fits.
      outcome.result = ExportResult::kRetryableFailure;
      if (policy_.max_attempts > 0 && outcome.attempts >= policy_.max_attempts) break;
      milliseconds wait =
          server_wait ? *server_wait : BackoffDelay(policy_, outcome.attempts - 1, rng_);
      auto resume = Clock::now() + wait;
      // Waiting past the deadline only to give up then would hold the
      // exporter's thread for nothing; stop now.
      if (resume >= deadline) break;
      if (!WaitUntil(resume)) break;  // cancelled
    }
  } catch (...) {
    outcome.result = ExportResult::kPermanentFailure;
    outcome.last_error = Status::Internal("export: out of memory");
  }
  counters_.CountResult(outcome.result == ExportResult::kSuccess);
  return outcome;
}

ExportRequest OtlpProtobufRequest(const OtlpEndpointConfig& endpoint) {
  ExportRequest request;
  request.url = endpoint.url;
  request.content_type = "application/x-protobuf";
  request.headers = endpoint.headers;
  request.gzip = endpoint.gzip;
  return request;
}

}  // namespace quartet::exporter

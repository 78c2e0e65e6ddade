// Sender: delivers one export request (an OTLP batch, an annotation) with the
// OpenTelemetry retry rules, never past a deadline. It retries only what may
// succeed later — HTTP 429, 502, 503, 504 and transport failures (connection
// refused/reset, timeouts) — with exponential backoff and jitter (initially
// 1 s, capped at 5 s, as OTel SDKs do), and honours `Retry-After` (delta
// seconds or HTTP-date) when the server sends it, but never sleeps past the
// deadline. Any other status is final: 2xx is success (the body is handed back
// for the caller to read partial_success), other 4xx/5xx are permanent and
// reported once per status code through the diagnostic hook; so are permanent
// transport errors (malformed URL, TLS verification failure), once per kind.
//
// Thread-safety: Send() is called from one thread at a time (the exporter's);
// Cancel() and stats() may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>

#include "sdk/export/http_client.h"
#include "sdk/export/otlp_endpoint.h"
#include "sdk/export/transport.h"

namespace quartet::exporter {

enum class ExportResult {
  kSuccess,
  kRetryableFailure,  // last attempt failed retryably; no time or attempts left
  kPermanentFailure,  // the server rejected the request; retrying cannot help
  kTimeout,           // the deadline expired while an attempt was in flight
};
std::string_view ExportResultName(ExportResult result);

struct RetryPolicy {
  std::chrono::milliseconds initial_backoff{1000};
  std::chrono::milliseconds max_backoff{5000};
  double multiplier = 1.5;
  // Each wait is drawn uniformly from [backoff * (1 - jitter), backoff] so a
  // fleet of services restarting together does not retry in lockstep.
  double jitter = 0.2;
  int max_attempts = 0;  // 0: bounded by the deadline only
};

// What to send. `body` is the uncompressed payload; the Sender compresses it
// once (not once per attempt) when `gzip` is set.
struct ExportRequest {
  std::string url;
  std::string body;
  std::string content_type;
  Headers headers;
  bool gzip = false;
};

// An OTLP/protobuf request to `endpoint` (URL, headers, compression); the
// caller fills in the body.
ExportRequest OtlpProtobufRequest(const OtlpEndpointConfig& endpoint);

struct SendOutcome {
  ExportResult result = ExportResult::kPermanentFailure;
  int attempts = 0;
  HttpResponse response;  // the last HTTP response, if any attempt got one
  Status last_error;      // the last transport error, OK if the last attempt got a response
};

// Counters over the Sender's lifetime, for the SDK's self-monitoring metrics.
struct SendStats {
  uint64_t exports = 0;   // Send() calls
  uint64_t requests = 0;  // HTTP attempts
  uint64_t retries = 0;   // attempts after the first
  uint64_t successes = 0;
  uint64_t failures = 0;    // Send() calls that did not succeed
  uint64_t bytes_sent = 0;  // request bodies as sent (after compression)
};

// SendStats as a Transport counts them live: bumped by the sending thread,
// read by any (relaxed: each counter is a statistic on its own).
struct SendCounters {
  std::atomic<uint64_t> exports{0}, requests{0}, retries{0}, successes{0}, failures{0},
      bytes_sent{0};

  // Attempt number `attempt` (1-based) put `bytes` on the wire.
  void CountAttempt(int attempt, size_t bytes) noexcept;
  // A Send() call ended, successfully or not.
  void CountResult(bool success) noexcept;
  SendStats Snapshot() const noexcept;
};

// The wait before retry `retry_index` (0-based): the policy's initial
// backoff times multiplier^retry_index, capped at its max_backoff, scaled
// down by a factor drawn from [1 - jitter, 1] so that clients back off out
// of step.
std::chrono::milliseconds BackoffDelay(const RetryPolicy& policy, int retry_index,
                                       std::minstd_rand& rng);

// The OTLP/HTTP Transport.
class Sender final : public Transport {
 public:
  // Called with a one-line message the first time each permanent HTTP status
  // or permanent transport error kind is seen, and on each failed
  // compression; default prints to stderr. Runs on the Send() thread.
  using Diagnostic = std::function<void(std::string_view)>;

  explicit Sender(RetryPolicy policy = {}, HttpClient::Options client_options = {},
                  Diagnostic diagnostic = nullptr) noexcept;

  // Sends `request`, retrying as described above, until `deadline`.
  SendOutcome Send(const ExportRequest& request,
                   std::chrono::steady_clock::time_point deadline) noexcept override;

  // Wakes any backoff wait and makes Send() return at its next decision point
  // (shutdown). Idempotent; Send() after Cancel() makes one attempt at most.
  void Cancel() noexcept override;

  SendStats stats() const noexcept override;

 private:
  // Sleeps until `until` or Cancel(); false when cancelled.
  bool WaitUntil(std::chrono::steady_clock::time_point until);
  void ReportPermanent(int status, std::string_view body);
  void ReportPermanentError(const Status& error);

  RetryPolicy policy_;
  HttpClient client_;
  Diagnostic diagnostic_;
  std::minstd_rand rng_;
  uint64_t reported_statuses_[10] = {};  // bit per status 0..639 already reported
  uint32_t reported_errors_ = 0;         // bit per StatusCode already reported

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;          // guarded by mu_
  std::atomic<bool> abort_{false};  // set by Cancel(): abandons a request in flight

  SendCounters counters_;
};

// True for the HTTP statuses the OTLP spec calls retryable: 429, 502, 503, 504.
bool IsRetryableStatus(int status);

// Parses a Retry-After value: delta-seconds ("120") or an HTTP-date
// ("Wed, 21 Oct 2015 07:28:00 GMT", relative to `now_unix_nanos`). A date in the
// past yields zero; garbage yields nullopt.
std::optional<std::chrono::milliseconds> ParseRetryAfter(std::string_view value,
                                                         int64_t now_unix_nanos);

}  // namespace quartet::exporter

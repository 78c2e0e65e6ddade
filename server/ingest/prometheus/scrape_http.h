// ScrapeHttpClient: fetches one target's /metrics as Prometheus 2.42 does —
// GET with its Accept header (OpenMetrics 1.0.0 preferred, then 0.0.1, then
// text 0.0.4), X-Prometheus-Scrape-Timeout-Seconds, gzip accepted, the job's
// auth, TLS and proxy settings, redirects per follow_redirects; a timeout for
// the whole exchange and a limit on the decompressed body. Errors read like
// Prometheus's ("server returned HTTP status 500 Internal Server Error",
// "body size limit exceeded", "context deadline exceeded").
// Built on libcurl; one client keeps its connection alive across scrapes.
//
// Thread-safety: one client per thread. Fetch can be cancelled from another
// thread through the flag it is given.
#pragma once

#include <atomic>
#include <cstdint>
#include <string>

#include "base/status.h"
#include "server/config/prometheus_config.h"

namespace quartet::ingest {

inline constexpr char kScrapeAcceptHeader[] =
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
    "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1";

struct ScrapeResponse {
  std::string body;
  std::string content_type;
};

class ScrapeHttpClient {
 public:
  // `config` gives auth/TLS/proxy/redirects and body_size_limit (0: use
  // `default_body_limit`); it must outlive the client.
  ScrapeHttpClient(const server::ScrapeConfig* config, uint64_t default_body_limit);
  ~ScrapeHttpClient();
  ScrapeHttpClient(const ScrapeHttpClient&) = delete;
  ScrapeHttpClient& operator=(const ScrapeHttpClient&) = delete;

  // One scrape of `url`. Unavailable for connection and HTTP errors,
  // DeadlineExceeded after timeout_ms, ResourceExhausted over the body
  // limit, Cancelled-like Unavailable("scrape cancelled") when *cancel turns
  // true.
  Result<ScrapeResponse> Fetch(const std::string& url, int64_t timeout_ms,
                               const std::atomic<bool>* cancel);

 private:
  const server::ScrapeConfig* config_;
  uint64_t body_limit_;
  void* curl_ = nullptr;  // CURL*
};

// Go's strconv.FormatFloat(seconds, 'f', -1, 64) for a timeout in ms: "10",
// "0.5", "1.25".
std::string FormatTimeoutSeconds(int64_t timeout_ms);

}  // namespace quartet::ingest

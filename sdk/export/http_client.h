// HttpClient: the HTTP/1.1 POST transport under every SDK exporter (OTLP
// traces/logs/metrics, deploy annotations, profiles), built on one libcurl easy
// handle so that consecutive requests to the same host reuse the kept-alive
// connection (and TLS session). Post() never throws and never follows
// redirects; connection failures come back as a Status whose code tells the
// retry layer (sender.h) what to do: kUnavailable (could not connect / send /
// receive: retryable), kDeadlineExceeded (timeout: retryable), kInvalidArgument
// (bad URL, unsupported scheme: permanent), kFailedPrecondition (TLS
// verification failed: permanent), kInternal. As any libcurl program, it
// honours the http_proxy / https_proxy / no_proxy environment variables.
//
// Thread-safety: one HttpClient per thread (an exporter's background thread);
// an instance must not be used concurrently. Distinct instances are
// independent. libcurl's global init runs once, thread-safely, on first use.
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace quartet::exporter {

using Headers = std::vector<std::pair<std::string, std::string>>;

// One POST. The views must stay valid for the duration of Post().
struct HttpRequest {
  std::string_view url;               // http:// or https://
  std::string_view body;              // already encoded as content_encoding says
  std::string_view content_type;      // e.g. "application/x-protobuf"
  std::string_view content_encoding;  // "" or "gzip"
  const Headers* headers = nullptr;   // extra headers (auth, tenant); may be null
  // When set and it becomes true, the request in flight is abandoned within
  // about a second (shutdown must not wait out a hung collector's timeout).
  const std::atomic<bool>* abort = nullptr;
};

// What the retry layer and the exporter need from a response; nothing more
// is kept so that a hostile or buggy server cannot make us buffer much.
struct HttpResponse {
  int status = 0;
  std::string body;  // at most Options::max_response_body bytes
  bool body_truncated = false;
  std::string content_type;  // "" when absent
  std::string retry_after;   // raw Retry-After value, "" when absent
};

class HttpClient {
 public:
  struct Options {
    std::string user_agent = "quartet-sdk/0.1";
    std::string ca_file;  // PEM bundle for https; "" = system default
    size_t max_response_body = 64 * 1024;
    // Connect timeout cap; the whole request is still bounded by Post's timeout.
    std::chrono::milliseconds connect_timeout{5000};
  };

  HttpClient() noexcept : HttpClient(Options()) {}
  explicit HttpClient(Options options) noexcept;
  ~HttpClient();
  HttpClient(const HttpClient&) = delete;
  HttpClient& operator=(const HttpClient&) = delete;

  // Sends `request` and waits at most `timeout` for the whole exchange. Any
  // HTTP status is a successful Result; only transport failures are errors.
  Result<HttpResponse> Post(const HttpRequest& request, std::chrono::milliseconds timeout) noexcept;

  // Convenience: gzips `body` (when `gzip`) and posts it.
  Result<HttpResponse> Post(std::string_view url, std::string_view body,
                            std::string_view content_type, const Headers& headers, bool gzip,
                            std::chrono::milliseconds timeout) noexcept;

 private:
  Result<HttpResponse> PostImpl(const HttpRequest& request, std::chrono::milliseconds timeout);

  Options options_;
  void* curl_ = nullptr;  // CURL*; kept opaque so curl.h stays out of our headers
};

}  // namespace quartet::exporter

#include "sdk/export/http_client.h"

#include <curl/curl.h>

#include <algorithm>
#include <cctype>
#include <memory>
#include <mutex>

#include "wire/compress/gzip.h"

namespace quartet::exporter {
namespace {

bool GlobalInit() {
  static bool ok = [] { return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK; }();
  return ok;
}

struct SlistDeleter {
  void operator()(curl_slist* list) const { curl_slist_free_all(list); }
};
using Slist = std::unique_ptr<curl_slist, SlistDeleter>;

bool AppendHeader(Slist& list, const std::string& line) {
  curl_slist* next = curl_slist_append(list.get(), line.c_str());
  if (next == nullptr) return false;
  list.release();  // curl_slist_append returns the (possibly same) head
  list.reset(next);
  return true;
}

// A header name or value carrying CR/LF would let configuration smuggle extra
// headers (or a second request) onto the wire.
bool SafeHeaderPart(std::string_view s) {
  return s.find_first_of("\r\n") == std::string_view::npos && s.find('\0') == s.npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() &&
         (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n')) {
    s.remove_suffix(1);
  }
  return s;
}

struct Sink {
  HttpResponse* response;
  size_t max_body;
};

size_t OnBody(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * nmemb;
  std::string& body = sink->response->body;
  size_t room = sink->max_body - std::min(sink->max_body, body.size());
  if (n > room) sink->response->body_truncated = true;
  body.append(data, std::min(n, room));
  return n;  // keep reading: the status matters more than the rest of the body
}

size_t OnHeader(char* data, size_t size, size_t nmemb, void* user) {
  auto* sink = static_cast<Sink*>(user);
  size_t n = size * nmemb;
  std::string_view line(data, n);
  // A new status line (after "100 Continue" or an informational response)
  // starts a new header block: forget what the previous one said.
  if (line.starts_with("HTTP/")) {
    sink->response->content_type.clear();
    sink->response->retry_after.clear();
    return n;
  }
  size_t colon = line.find(':');
  if (colon == std::string_view::npos) return n;
  std::string_view name = line.substr(0, colon);
  std::string_view value = Trim(line.substr(colon + 1));
  if (EqualsIgnoreCase(name, "content-type")) {
    sink->response->content_type.assign(value.substr(0, 256));
  } else if (EqualsIgnoreCase(name, "retry-after")) {
    sink->response->retry_after.assign(value.substr(0, 64));
  }
  return n;
}

// curl calls this about once a second even while waiting for a reply:
// a non-zero return abandons the request.
int OnProgress(void* abort, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  return static_cast<const std::atomic<bool>*>(abort)->load(std::memory_order_relaxed) ? 1 : 0;
}

Status FromCurlError(CURLcode rc, const char* detail) {
  std::string msg = curl_easy_strerror(rc);
  if (detail != nullptr && detail[0] != '\0') msg += std::string(": ") + detail;
  switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
      return Status::DeadlineExceeded(msg);
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
      return Status::InvalidArgument(msg);
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
      return Status::FailedPrecondition(msg);
    case CURLE_OUT_OF_MEMORY:
      return Status::Internal(msg);
    case CURLE_ABORTED_BY_CALLBACK:
      return Status::Unavailable("abandoned at shutdown: " + msg);
    default:
      // Resolve/connect/send/recv failures, resets, empty replies: the
      // collector may be restarting; the retry layer decides.
      return Status::Unavailable(msg);
  }
}

}  // namespace

HttpClient::HttpClient(Options options) noexcept : options_(std::move(options)) {
  if (GlobalInit()) curl_ = curl_easy_init();
}

HttpClient::~HttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<HttpResponse> HttpClient::Post(const HttpRequest& request,
                                      std::chrono::milliseconds timeout) noexcept {
  try {
    return PostImpl(request, timeout);
  } catch (const std::exception& e) {  // bad_alloc: the app must not see it
    return Status::Internal(std::string("http post: ") + e.what());
  } catch (...) {
    return Status::Internal("http post: unknown exception");
  }
}

Result<HttpResponse> HttpClient::Post(std::string_view url, std::string_view body,
                                      std::string_view content_type, const Headers& headers,
                                      bool gzip, std::chrono::milliseconds timeout) noexcept {
  HttpRequest request{url, body, content_type, "", &headers};
  if (!gzip) return Post(request, timeout);
  try {
    auto compressed = compress::GzipCompress(body);
    if (!compressed.ok()) return compressed.status();
    request.body = *compressed;
    request.content_encoding = "gzip";
    return Post(request, timeout);
  } catch (...) {
    return Status::Internal("http post: out of memory compressing body");
  }
}

Result<HttpResponse> HttpClient::PostImpl(const HttpRequest& request,
                                          std::chrono::milliseconds timeout) {
  if (curl_ == nullptr) return Status::Internal("libcurl initialisation failed");
  if (timeout.count() <= 0) return Status::DeadlineExceeded("no time left to send");
  CURL* curl = static_cast<CURL*>(curl_);
  // Reset clears options from the previous request but keeps the connection
  // cache, so keep-alive survives.
  curl_easy_reset(curl);

  Slist headers;
  auto add = [&](std::string_view name, std::string_view value) -> Status {
    if (!SafeHeaderPart(name) || !SafeHeaderPart(value) || name.empty() ||
        name.find(':') != name.npos) {
      return Status::InvalidArgument("invalid header name or value: " +
                                     std::string(name.substr(0, 64)));
    }
    std::string line(name);
    line += ": ";
    line += value;
    if (!AppendHeader(headers, line)) return Status::Internal("curl_slist_append failed");
    return Status::Ok();
  };
  if (!request.content_type.empty()) RETURN_IF_ERROR(add("Content-Type", request.content_type));
  if (!request.content_encoding.empty()) {
    RETURN_IF_ERROR(add("Content-Encoding", request.content_encoding));
  }
  if (request.headers != nullptr) {
    for (const auto& [name, value] : *request.headers) RETURN_IF_ERROR(add(name, value));
  }
  // "Expect: 100-continue" costs a round trip (or a 1 s stall against servers
  // that ignore it) on every large body; collectors accept the body directly.
  if (!AppendHeader(headers, "Expect:")) return Status::Internal("curl_slist_append failed");

  HttpResponse response;
  Sink sink{&response, options_.max_response_body};
  char error[CURL_ERROR_SIZE] = {0};
  std::string url(request.url);
  long timeout_ms = static_cast<long>(timeout.count());
  long connect_ms = static_cast<long>(std::min(timeout, options_.connect_timeout).count());

  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);  // no SIGALRM in a multithreaded host
  curl_easy_setopt(curl, CURLOPT_POST, 1L);
  curl_easy_setopt(curl, CURLOPT_POSTFIELDS, request.body.data());
  curl_easy_setopt(curl, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(request.body.size()));
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers.get());
  curl_easy_setopt(curl, CURLOPT_USERAGENT, options_.user_agent.c_str());
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
  curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT_MS, connect_ms);
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, 0L);
  curl_easy_setopt(curl, CURLOPT_TCP_KEEPALIVE, 1L);
  curl_easy_setopt(curl, CURLOPT_TCP_NODELAY, 1L);
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &sink);
  if (!options_.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, options_.ca_file.c_str());
  if (request.abort != nullptr) {
    curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
    curl_easy_setopt(curl, CURLOPT_XFERINFODATA, const_cast<std::atomic<bool>*>(request.abort));
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  } else {
    curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 1L);
  }

  CURLcode rc = curl_easy_perform(curl);
  // The error buffer and header list die with this frame: detach them.
  curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, nullptr);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, nullptr);
  if (rc != CURLE_OK) return FromCurlError(rc, error);
  long status = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &status);
  response.status = static_cast<int>(status);
  return response;
}

}  // namespace quartet::exporter

#include "server/ingest/prometheus/scrape_http.h"

#include <curl/curl.h>

#include <mutex>

#include "base/strings.h"

namespace quartet::ingest {
namespace {

struct Transfer {
  std::string body;
  std::string content_type;
  uint64_t limit = 0;
  bool over_limit = false;
  const std::atomic<bool>* cancel = nullptr;
};

size_t OnBody(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const size_t bytes = size * n;
  if (t->body.size() + bytes > t->limit) {
    t->over_limit = true;
    return 0;  // aborts the transfer
  }
  t->body.append(data, bytes);
  return bytes;
}

size_t OnHeader(char* data, size_t size, size_t n, void* user) {
  auto* t = static_cast<Transfer*>(user);
  const std::string_view line(data, size * n);
  const size_t colon = line.find(':');
  if (colon != std::string_view::npos && AsciiLower(line.substr(0, colon)) == "content-type") {
    t->content_type = std::string(TrimSpace(line.substr(colon + 1)));
  } else if (line.starts_with("HTTP/")) {
    t->content_type.clear();  // a new response (redirect): its own headers count
  }
  return size * n;
}

int OnProgress(void* user, curl_off_t, curl_off_t, curl_off_t, curl_off_t) {
  auto* t = static_cast<Transfer*>(user);
  return t->cancel != nullptr && t->cancel->load(std::memory_order_relaxed) ? 1 : 0;
}

std::string ReasonPhrase(long code) {
  switch (code) {
    case 301:
      return "Moved Permanently";
    case 302:
      return "Found";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 406:
      return "Not Acceptable";
    case 429:
      return "Too Many Requests";
    case 500:
      return "Internal Server Error";
    case 502:
      return "Bad Gateway";
    case 503:
      return "Service Unavailable";
    case 504:
      return "Gateway Timeout";
    default:
      return "";
  }
}

}  // namespace

std::string FormatTimeoutSeconds(int64_t timeout_ms) {
  std::string out = std::to_string(timeout_ms / 1000);
  int64_t frac = timeout_ms % 1000;
  if (frac == 0) return out;
  std::string digits = std::to_string(frac);
  digits.insert(0, 3 - digits.size(), '0');
  while (digits.back() == '0') digits.pop_back();
  return out + "." + digits;
}

ScrapeHttpClient::ScrapeHttpClient(const server::ScrapeConfig* config, uint64_t default_body_limit)
    : config_(config),
      body_limit_(config->body_size_limit > 0 ? config->body_size_limit : default_body_limit) {
  static std::once_flag once;
  std::call_once(once, [] { curl_global_init(CURL_GLOBAL_DEFAULT); });
  curl_ = curl_easy_init();
}

ScrapeHttpClient::~ScrapeHttpClient() {
  if (curl_ != nullptr) curl_easy_cleanup(static_cast<CURL*>(curl_));
}

Result<ScrapeResponse> ScrapeHttpClient::Fetch(const std::string& url, int64_t timeout_ms,
                                               const std::atomic<bool>* cancel) {
  CURL* curl = static_cast<CURL*>(curl_);
  if (curl == nullptr) return Status::Internal("libcurl could not be initialised");
  curl_easy_reset(curl);
  Transfer t{.limit = body_limit_, .cancel = cancel};
  curl_slist* headers = nullptr;
  headers = curl_slist_append(headers, (std::string("Accept: ") + kScrapeAcceptHeader).c_str());
  headers = curl_slist_append(
      headers,
      ("X-Prometheus-Scrape-Timeout-Seconds: " + FormatTimeoutSeconds(timeout_ms)).c_str());
  if (!config_->authorization_credentials.empty()) {
    headers = curl_slist_append(headers, ("Authorization: " + config_->authorization_type + " " +
                                          config_->authorization_credentials)
                                             .c_str());
  }
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_HTTPGET, 1L);
  curl_easy_setopt(curl, CURLOPT_HTTPHEADER, headers);
  curl_easy_setopt(curl, CURLOPT_USERAGENT, "quartetd/" QUARTET_VERSION_STRING);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, "gzip");
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, static_cast<long>(timeout_ms));
  curl_easy_setopt(curl, CURLOPT_FOLLOWLOCATION, config_->follow_redirects ? 1L : 0L);
  curl_easy_setopt(curl, CURLOPT_MAXREDIRS, 10L);
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, OnBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &t);
  curl_easy_setopt(curl, CURLOPT_HEADERFUNCTION, OnHeader);
  curl_easy_setopt(curl, CURLOPT_HEADERDATA, &t);
  curl_easy_setopt(curl, CURLOPT_NOPROGRESS, 0L);
  curl_easy_setopt(curl, CURLOPT_XFERINFOFUNCTION, OnProgress);
  curl_easy_setopt(curl, CURLOPT_XFERINFODATA, &t);
  curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(curl, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  if (!config_->basic_auth_username.empty()) {
    curl_easy_setopt(curl, CURLOPT_USERNAME, config_->basic_auth_username.c_str());
    curl_easy_setopt(curl, CURLOPT_PASSWORD, config_->basic_auth_password.c_str());
  }
  if (!config_->proxy_url.empty())
    curl_easy_setopt(curl, CURLOPT_PROXY, config_->proxy_url.c_str());
  const server::TlsSettings& tls = config_->tls;
  if (tls.insecure_skip_verify) {
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(curl, CURLOPT_SSL_VERIFYHOST, 0L);
  }
  if (!tls.ca_file.empty()) curl_easy_setopt(curl, CURLOPT_CAINFO, tls.ca_file.c_str());
  if (!tls.cert_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLCERT, tls.cert_file.c_str());
  if (!tls.key_file.empty()) curl_easy_setopt(curl, CURLOPT_SSLKEY, tls.key_file.c_str());

  const CURLcode rc = curl_easy_perform(curl);
  curl_slist_free_all(headers);
  if (t.over_limit) return Status::ResourceExhausted("body size limit exceeded");
  if (rc == CURLE_OPERATION_TIMEDOUT) return Status::DeadlineExceeded("context deadline exceeded");
  if (rc == CURLE_ABORTED_BY_CALLBACK) return Status::Unavailable("scrape cancelled");
  if (rc != CURLE_OK) return Status::Unavailable(curl_easy_strerror(rc));
  long code = 0;
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
  if (code != 200) {
    std::string reason = ReasonPhrase(code);
    return Status::Unavailable("server returned HTTP status " + std::to_string(code) +
                               (reason.empty() ? "" : " " + reason));
  }
  return ScrapeResponse{std::move(t.body), std::move(t.content_type)};
}

}  // namespace quartet::ingest

#include "server/http/connection.h"

#include <ctime>
#include <exception>

#include "wire/compress/gzip.h"
#include "wire/http/content_encoding.h"
#include "wire/http/url_encoded.h"

namespace quartet::server {
namespace {

// Level 1: responses are mostly JSON, where it already gains ~5x, and CPU on
// the query path matters more than loopback bandwidth.
constexpr int kResponseGzipLevel = 1;

std::string Printable(std::string_view s) {
  std::string out;
  for (char c : s.substr(0, 80)) out += (c >= 0x20 && c < 0x7f) ? c : '?';
  if (s.size() > 80) out += "...";
  return out;
}

bool IsTokenChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

bool SafeHeader(std::string_view name, std::string_view value) {
  if (name.empty()) return false;
  for (char c : name) {
    if (!IsTokenChar(c)) return false;
  }
  return value.find_first_of("\r\n", 0) == std::string_view::npos &&
         value.find('\0') == std::string_view::npos;
}

bool EqualsIgnoreCase(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x += 32;
    if (y >= 'A' && y <= 'Z') y += 32;
    if (x != y) return false;
  }
  return true;
}

bool ServerOwned(std::string_view name) {
  for (std::string_view owned : {"date", "content-length", "connection", "transfer-encoding"}) {
    if (EqualsIgnoreCase(name, owned)) return true;
  }
  return false;
}

const std::string& CachedDate() {
  thread_local int64_t second = -1;
  thread_local std::string text;
  int64_t now = static_cast<int64_t>(std::time(nullptr));
  if (now != second) {
    second = now;
    text = HttpDate(now);
  }
  return text;
}

}  // namespace

std::string HttpDate(int64_t unix_seconds) {
  std::time_t t = static_cast<std::time_t>(unix_seconds);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[64];
  size_t n = std::strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  return std::string(buf, n);
}

Connection::Connection(const ConnectionConfig& config, std::string remote_address)
    : config_(config),
      remote_address_(std::move(remote_address)),
      chunked_(http::ChunkedLimits{.max_body_bytes = config.max_body_bytes}) {}

bool Connection::mid_request() const { return phase_ != Phase::kHead || in_offset_ < in_.size(); }

void Connection::Wrote(size_t n) {
  out_offset_ += n;
  if (out_offset_ >= out_.size()) {
    out_.clear();
    out_offset_ = 0;
  }
}

void Connection::TimeOut() {
  if (close_after_write_) return;
  RespondError(408, "request not received within the read timeout");
}

void Connection::ResetRequest() {
  phase_ = Phase::kHead;
  head_ = http::RequestHead();
  request_ = HttpRequest();
  body_left_ = 0;
  request_started_ = {};
}

void Connection::Process(std::chrono::steady_clock::time_point now) {
  try {
    while (!close_after_write_ && !stopping_ && !output_blocked()) {
      std::string_view avail = std::string_view(in_).substr(in_offset_);
      if (phase_ == Phase::kHead) {
        // RFC 9112 2.2: ignore empty lines before a request line.
        size_t skip = avail.find_first_not_of("\r\n");
        if (skip == std::string_view::npos) skip = avail.size();
        in_offset_ += skip;
        avail.remove_prefix(skip);
        if (avail.empty()) break;
        if (request_started_ == std::chrono::steady_clock::time_point{}) request_started_ = now;
        if (!IsTokenChar(avail[0])) {
          // Not HTTP (a TLS handshake, binary junk): no need to wait for more.
          RespondError(400, "request does not start with a method");
          break;
        }
        size_t end = avail.find("\r\n\r\n");
        size_t bare = avail.find("\n\n");
        if (bare != std::string_view::npos && (end == std::string_view::npos || bare < end)) {
          RespondError(400, "header lines must end in CRLF");
          break;
        }
        if (end == std::string_view::npos) {
          if (avail.size() > config_.head_limits.max_head_bytes) {
            RespondError(431, "request head exceeds " +
                                  std::to_string(config_.head_limits.max_head_bytes) + " bytes");
          }
          break;
        }
        auto head = http::ParseRequestHead(avail.substr(0, end + 4), config_.head_limits);
        in_offset_ += end + 4;
        if (!head.ok()) {
          RespondError(http::HttpStatusForHeadError(head.status()), head.status().message());
          break;
        }
        head_ = std::move(head).value();
        StartRequest(now);
      } else if (phase_ == Phase::kBody) {
        size_t take = static_cast<size_t>(std::min<uint64_t>(body_left_, avail.size()));
        request_.body.append(avail.data(), take);
        in_offset_ += take;
        body_left_ -= take;
        if (body_left_ > 0) break;
        Dispatch();
      } else {
        auto n = chunked_.Feed(avail, &request_.body);
        if (!n.ok()) {
          RespondError(http::HttpStatusForBodyError(n.status()), n.status().message());
          break;
        }
        in_offset_ += *n;
        if (!chunked_.done()) break;
        Dispatch();
      }
    }
  } catch (const std::exception& e) {
    // Only allocation failure can get here; the connection is not trusted
    // to be in a consistent state any more.
    RespondError(500, std::string("internal error: ") + e.what());
  } catch (...) {
    RespondError(500, "internal error");
  }
  if (in_offset_ >= in_.size()) {
    in_.clear();
    in_offset_ = 0;
  } else if (in_offset_ > (64 << 10)) {
    in_.erase(0, in_offset_);
    in_offset_ = 0;
  }
}

void Connection::StartRequest(std::chrono::steady_clock::time_point now) {
  request_.method = head_.method;
  auto path = http::DecodePath(head_.path);
  if (!path.ok()) {
    RespondError(400, "invalid path: " + std::string(path.status().message()));
    return;
  }
  request_.path = std::move(path).value();
  request_.raw_query = head_.query;
  request_.headers = std::move(head_.headers);
  request_.remote_address = remote_address_;
  if (head_.chunked) {
    chunked_.Reset();
    phase_ = Phase::kChunked;
  } else if (head_.content_length > config_.max_body_bytes) {
    RespondError(413, "request body of " + std::to_string(head_.content_length) +
                          " bytes exceeds the limit of " + std::to_string(config_.max_body_bytes) +
                          " bytes");
    return;
  } else if (head_.content_length > 0) {
    // Reserve only what has a good chance to arrive: a client announcing
    // 20 MB and sending nothing must not cost 20 MB.
    request_.body.reserve(std::min<uint64_t>(head_.content_length, 1 << 20));
    body_left_ = head_.content_length;
    phase_ = Phase::kBody;
  }
  if (phase_ != Phase::kHead && head_.expect_continue) out_ += "HTTP/1.1 100 Continue\r\n\r\n";
  if (phase_ == Phase::kHead) Dispatch();
}

void Connection::Dispatch() {
  config_.counters->requests.fetch_add(1, std::memory_order_relaxed);
  std::string_view encoding = request_.Header("content-encoding");
  // snappy is a body framing of the protocols that use it (remote_write), not
  // an HTTP coding: its handler undoes it, with its own limits.
  if (!encoding.empty() && !EqualsIgnoreCase(encoding, "snappy")) {
    auto body =
        http::DecodeContentEncoding(encoding, std::move(request_.body), config_.max_body_bytes);
    if (!body.ok()) {
      RespondError(http::HttpStatusForBodyError(body.status()), body.status().message());
      return;
    }
    request_.body = std::move(body).value();
  }
  std::string_view type = request_.Header("content-type");
  if (request_.method == "POST" && type.size() >= 33 &&
      EqualsIgnoreCase(type.substr(0, 33), "application/x-www-form-urlencoded")) {
    // Not an error by itself: `curl --data-binary` labels any body a form,
    // and most handlers never read form parameters. Those that do see
    // form_error.
    Status s = http::ParseUrlEncoded(request_.body, &request_.params);
    if (!s.ok()) {
      request_.params.clear();
      request_.form_error = "invalid form body: " + std::string(s.message());
    }
  }
  if (Status s = http::ParseUrlEncoded(request_.raw_query, &request_.params); !s.ok()) {
    RespondError(400, "invalid query string: " + std::string(s.message()));
    return;
  }

  Router::Match match = config_.router->Find(request_.method, head_.path);
  HttpResponse response;
  if (match.handler == nullptr) {
    if (match.status == 405) {
      response = HttpResponse::Text(405, "method " + Printable(request_.method) +
                                             " not allowed for " + Printable(request_.path) +
                                             " (allowed: " + match.allow + ")\n");
      response.headers.emplace_back("Allow", match.allow);
    } else {
      response = HttpResponse::Text(404, "no route for " + Printable(request_.path) + "\n");
    }
  } else {
    request_.path_params = std::move(match.path_params);
    try {
      response = (*match.handler)(request_);
    } catch (const std::exception& e) {
      response = HttpResponse::Text(500, "internal error: " + Printable(e.what()) + "\n");
    } catch (...) {
      response = HttpResponse::Text(500, "internal error: unknown exception\n");
    }
  }
  Respond(std::move(response), head_.keep_alive);
  ResetRequest();
}

void Connection::RespondError(int status, std::string_view message) {
  Respond(HttpResponse::Text(status, Printable(message) + "\n"), /*keep_alive=*/false);
  ResetRequest();
}

void Connection::Respond(HttpResponse response, bool keep_alive) {
  if (config_.server_stopping != nullptr && config_.server_stopping->load()) stopping_ = true;
  keep_alive = keep_alive && !stopping_;
  const int status = response.status;
  const bool body_allowed = !(status / 100 == 1 || status == 204 || status == 304);
  const bool head_only = request_.method == "HEAD";

  bool encoded = false;
  for (const auto& [name, value] : response.headers) {
    if (EqualsIgnoreCase(name, "content-encoding")) encoded = true;
  }
  bool gzipped = false;
  const bool compressible =
      body_allowed && !encoded && response.body.size() > config_.gzip_min_bytes;
  if (compressible && http::AcceptsGzip(request_.Header("accept-encoding"))) {
    auto gz = compress::GzipCompress(response.body, kResponseGzipLevel);
    if (gz.ok() && gz->size() < response.body.size()) {
      response.body = std::move(gz).value();
      gzipped = true;
    }
  }

  out_.reserve(out_.size() + 256 + (head_only ? 0 : response.body.size()));
  out_ += "HTTP/1.1 ";
  out_ += std::to_string(status);
  out_ += ' ';
  out_ += ReasonPhrase(status);
  out_ += "\r\nDate: ";
  out_ += CachedDate();
  out_ += "\r\n";
  if (!response.content_type.empty() && SafeHeader("content-type", response.content_type)) {
    out_ += "Content-Type: ";
    out_ += response.content_type;
    out_ += "\r\n";
  }
  for (const auto& [name, value] : response.headers) {
    if (ServerOwned(name) || !SafeHeader(name, value)) continue;
    out_ += name;
    out_ += ": ";
    out_ += value;
    out_ += "\r\n";
  }
  if (gzipped) out_ += "Content-Encoding: gzip\r\n";
  if (compressible) out_ += "Vary: Accept-Encoding\r\n";
  if (body_allowed) {
    out_ += "Content-Length: ";
    out_ += std::to_string(response.body.size());
    out_ += "\r\n";
  }
  if (!keep_alive) {
    out_ += "Connection: close\r\n";
  } else if (head_.version_minor == 0) {
    out_ += "Connection: keep-alive\r\n";
  }
  out_ += "\r\n";
  if (body_allowed && !head_only) out_ += response.body;

  if (status >= 500) {
    config_.counters->responses_5xx.fetch_add(1, std::memory_order_relaxed);
  } else if (status >= 400) {
    config_.counters->responses_4xx.fetch_add(1, std::memory_order_relaxed);
  }
  if (!keep_alive) close_after_write_ = true;
}

}  // namespace quartet::server

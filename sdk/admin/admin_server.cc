#include "sdk/admin/admin_server.h"

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <ctime>

#include "sdk/admin/listen_socket.h"
#include "wire/compress/gzip.h"
#include "wire/http/content_encoding.h"

namespace quartet::admin {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

constexpr size_t kReadChunk = 16 * 1024;
// Pipelined heads are answered only while less than this is waiting to be
// written, so a client that sends requests without reading cannot make us
// buffer without bound.
constexpr size_t kMaxPendingOutput = 1 << 20;
// After the last response on a connection we stop writing and discard input
// for a moment before close(): closing with unread input makes the kernel
// send RST, which can destroy the response the client has not yet read.
constexpr milliseconds kLingerTime{500};

std::string_view Reason(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 204:
      return "No Content";
    case 400:
      return "Bad Request";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 408:
      return "Request Timeout";
    case 413:
      return "Content Too Large";
    case 414:
      return "URI Too Long";
    case 431:
      return "Request Header Fields Too Large";
    case 500:
      return "Internal Server Error";
    case 503:
      return "Service Unavailable";
    case 505:
      return "HTTP Version Not Supported";
    default:
      return status < 400 ? "OK" : "Error";
  }
}

bool SafeHeaderPart(std::string_view s) {
  return s.find_first_of(std::string_view("\r\n\0", 3)) == std::string_view::npos;
}

bool CouldStartMethod(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
         std::string_view("!#$%&'*+-.^_`|~").find(c) != std::string_view::npos;
}

std::string HttpDate() {
  time_t now = time(nullptr);
  tm utc;
  gmtime_r(&now, &utc);
  char buf[64];
  size_t n = strftime(buf, sizeof(buf), "%a, %d %b %Y %H:%M:%S GMT", &utc);
  return std::string(buf, n);
}

}  // namespace

struct AdminServer::Connection {
  int fd = -1;
  std::string in;
  std::string out;
  size_t out_sent = 0;
  Clock::time_point last_activity;
  Clock::time_point head_started;  // when the first byte of the pending head came
  bool close_after_write = false;
  bool peer_closed = false;
  bool lingering = false;  // response done, write side shut, discarding input
  Clock::time_point linger_until;
  bool dead = false;
};

std::string_view AdminRequest::Header(std::string_view lower_name) const {
  for (const auto& [name, value] : headers) {
    if (name == lower_name) return value;
  }
  return {};
}

Result<std::unique_ptr<AdminServer>> AdminServer::Start(std::string_view listen_address,
                                                        AdminRoutes routes,
                                                        AdminOptions options) noexcept {
  try {
    auto listener = ListenTcp(listen_address);
    if (!listener.ok()) return listener.status();
    int wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (wake < 0) {
      close(listener->fd);
      return Status::Internal(std::string("eventfd: ") + strerror(errno));
    }
    std::unique_ptr<AdminServer> server(
        new AdminServer(std::move(routes), std::move(options), listener->fd, wake));
    server->bound_address_ = listener->bound_address;
    server->port_ = listener->port;
    server->thread_ = std::thread([s = server.get()] { s->Run(); });
    return server;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("admin server start: ") + e.what());
  }
}

AdminServer::AdminServer(AdminRoutes routes, AdminOptions options, int listen_fd, int wake_fd)
    : routes_(std::move(routes)),
      options_(std::move(options)),
      listen_fd_(listen_fd),
      wake_fd_(wake_fd) {}

AdminServer::~AdminServer() {
  Stop();
  std::lock_guard<std::mutex> lock(stop_mu_);
  if (thread_.joinable()) thread_.join();  // Stop() was called from a handler
  if (listen_fd_ >= 0) close(listen_fd_);
  if (wake_fd_ >= 0) close(wake_fd_);
}

void AdminServer::Stop() noexcept {
  std::lock_guard<std::mutex> lock(stop_mu_);
  stopping_.store(true);
  uint64_t one = 1;
  [[maybe_unused]] ssize_t n = write(wake_fd_, &one, sizeof(one));
  // From a handler (the server thread itself) we can only ask; the destructor joins.
  if (thread_.joinable() && thread_.get_id() != std::this_thread::get_id()) thread_.join();
}

AdminServer::Stats AdminServer::stats() const noexcept {
  Stats s;
  s.connections_accepted = accepted_.load(std::memory_order_relaxed);
  s.connections_rejected = rejected_.load(std::memory_order_relaxed);
  s.requests = requests_.load(std::memory_order_relaxed);
  s.bad_requests = bad_requests_.load(std::memory_order_relaxed);
  s.timeouts = timeouts_.load(std::memory_order_relaxed);
  return s;
}

void AdminServer::Run() {
  std::vector<pollfd> fds;
  Clock::time_point accept_paused_until{};
  while (!stopping_.load()) {
    auto now = Clock::now();
    fds.clear();
    fds.push_back({wake_fd_, POLLIN, 0});
    bool accepting = now >= accept_paused_until;
    fds.push_back({accepting ? listen_fd_ : -1, POLLIN, 0});
    Clock::time_point next = now + milliseconds(1000);
    const size_t polled = connections_.size();
    for (const auto& c : connections_) {
      short events = (c->out.size() > c->out_sent) ? POLLOUT : POLLIN;
      fds.push_back({c->fd, events, 0});
      Clock::time_point deadline = c->lingering ? c->linger_until
                                   : !c->in.empty() && c->out.empty()
                                       ? c->head_started + options_.header_timeout
                                       : c->last_activity + options_.idle_timeout;
      next = std::min(next, deadline);
    }
    if (!accepting) next = std::min(next, accept_paused_until);
    auto wait = std::chrono::duration_cast<milliseconds>(next - now).count() + 1;
    int n = poll(fds.data(), fds.size(), static_cast<int>(std::clamp<int64_t>(wait, 1, 1000)));
    if (n < 0 && errno != EINTR) {
      // ENOMEM and friends are transient; leaving the loop would silently
      // turn the endpoint off.
      std::this_thread::sleep_for(milliseconds(10));
      continue;
    }
    if (stopping_.load()) break;
    if (n > 0 && (fds[0].revents & POLLIN)) {
      uint64_t drained;
      [[maybe_unused]] ssize_t r = read(wake_fd_, &drained, sizeof(drained));
    }
    now = Clock::now();
    for (size_t i = 0; i < polled; ++i) {
      Connection& c = *connections_[i];
      short rev = fds[2 + i].revents;
      if (rev == 0) continue;
      bool keep = true;
      if (rev & POLLOUT) keep = OnWritable(c);
      if (keep && (rev & (POLLIN | POLLHUP | POLLERR))) keep = OnReadable(c);
      if (!keep) c.dead = true;
    }
    for (size_t i = 0; i < polled; ++i) {
      Connection& c = *connections_[i];
      if (c.dead) continue;
      if (c.lingering) {
        if (now >= c.linger_until) c.dead = true;
      } else if (c.out.size() > c.out_sent || c.in.empty()) {
        // Idle between requests, or a reader too slow to take our response.
        if (now - c.last_activity >= options_.idle_timeout) {
          timeouts_.fetch_add(1, std::memory_order_relaxed);
          c.dead = true;
        }
      } else if (now - c.head_started >= options_.header_timeout) {
        timeouts_.fetch_add(1, std::memory_order_relaxed);
        RespondError(c, 408, "request head not completed in time");
        if (!OnWritable(c)) c.dead = true;
      }
    }
    if (n > 0 && (fds[1].revents & POLLIN)) {
      Accept();
      // Out of descriptors: stop polling the listener for a while rather than
      // spinning on a listener that stays readable.
      if (errno == EMFILE || errno == ENFILE) accept_paused_until = now + milliseconds(100);
    }
    for (auto& c : connections_) {
      if (c->dead) {
        close(c->fd);
        c->fd = -1;
      }
    }
    std::erase_if(connections_, [](const auto& c) { return c->fd < 0; });
  }
  for (auto& c : connections_) close(c->fd);
  connections_.clear();
  // Closing the listener now (not in the destructor) makes new clients see
  // "connection refused" instead of hanging in the accept backlog.
  close(listen_fd_);
  listen_fd_ = -1;
}

void AdminServer::Accept() {
  for (;;) {
    errno = 0;
    int fd = accept4(listen_fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
    if (fd < 0) return;  // EAGAIN, or an error the caller looks at via errno
    if (connections_.size() >= options_.max_connections) {
      rejected_.fetch_add(1, std::memory_order_relaxed);
      static constexpr std::string_view kBusy =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";
      [[maybe_unused]] ssize_t n = send(fd, kBusy.data(), kBusy.size(), MSG_NOSIGNAL);
      close(fd);
      continue;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    accepted_.fetch_add(1, std::memory_order_relaxed);
    auto c = std::make_unique<Connection>();
    c->fd = fd;
    c->last_activity = c->head_started = Clock::now();
    connections_.push_back(std::move(c));
  }
}

bool AdminServer::OnReadable(Connection& c) {
  char buf[kReadChunk];
  for (;;) {
    ssize_t n = recv(c.fd, buf, sizeof(buf), 0);
    if (n > 0) {
      c.last_activity = Clock::now();
      if (c.lingering) continue;  // discard
      if (c.in.empty()) c.head_started = c.last_activity;
      c.in.append(buf, static_cast<size_t>(n));
      // Enough to decide: either a complete head is in, or it is too large.
      if (c.in.size() > options_.limits.max_head_bytes + 4) break;
      continue;
    }
    if (n == 0) {
      c.peer_closed = true;
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) break;
    return false;  // reset by peer or worse
  }
  if (c.lingering) return !c.peer_closed;
  HandleHeads(c);
  if (c.peer_closed) {
    // Answer what was asked, then close; nothing more can arrive.
    c.close_after_write = true;
    if (c.out.size() == c.out_sent) return false;
  }
  if (c.out.size() > c.out_sent) return OnWritable(c);
  return true;
}

bool AdminServer::OnWritable(Connection& c) {
  while (c.out.size() > c.out_sent) {
    ssize_t n = send(c.fd, c.out.data() + c.out_sent, c.out.size() - c.out_sent, MSG_NOSIGNAL);
    if (n > 0) {
      c.out_sent += static_cast<size_t>(n);
      c.last_activity = Clock::now();
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return true;
    return false;
  }
  c.out.clear();
  c.out_sent = 0;
  if (c.close_after_write) {
    if (c.peer_closed) return false;
    StartClosing(c);
    return true;
  }
  // Pipelined heads that waited for the output to drain.
  if (!c.in.empty()) {
    HandleHeads(c);
    if (c.out.size() > c.out_sent) return OnWritable(c);
  }
  return true;
}

void AdminServer::StartClosing(Connection& c) {
  shutdown(c.fd, SHUT_WR);
  c.in.clear();
  c.lingering = true;
  c.linger_until = Clock::now() + kLingerTime;
}

void AdminServer::HandleHeads(Connection& c) {
  while (!c.close_after_write && c.out.size() < kMaxPendingOutput && !stopping_.load()) {
    // RFC 9112 2.2: ignore empty lines before a request line.
    size_t skip = c.in.find_first_not_of("\r\n");
    c.in.erase(0, skip == std::string::npos ? c.in.size() : skip);
    if (c.in.empty()) return;
    if (!CouldStartMethod(c.in[0])) {
      // Not HTTP at all (a TLS handshake, binary junk): no need to wait.
      RespondError(c, 400, "request does not start with a method");
      return;
    }
    size_t end = c.in.find("\r\n\r\n");
    size_t bare = c.in.find("\n\n");
    if (bare != std::string::npos && (end == std::string::npos || bare < end)) {
      RespondError(c, 400, "header lines must end in CRLF");
      return;
    }
    if (end == std::string::npos) {
      if (c.in.size() > options_.limits.max_head_bytes) {
        RespondError(
            c, 431,
            "request head exceeds " + std::to_string(options_.limits.max_head_bytes) + " bytes");
      }
      return;  // wait for more
    }
    auto head = http::ParseRequestHead(std::string_view(c.in).substr(0, end + 4), options_.limits);
    c.in.erase(0, end + 4);
    c.head_started = Clock::now();
    if (!head.ok()) {
      RespondError(c, http::HttpStatusForHeadError(head.status()), head.status().message());
      return;
    }
    Respond(c, *head);
  }
}

void AdminServer::RespondError(Connection& c, int status, std::string_view message) {
  bad_requests_.fetch_add(1, std::memory_order_relaxed);
  AdminResponse response;
  response.status = status;
  response.body = std::string(message) + "\n";
  AppendResponse(c, status, response, /*head_only=*/false, /*gzip=*/false, /*keep_alive=*/false);
}

const AdminHandler* AdminServer::FindRoute(std::string_view path) const {
  auto exact = routes_.find(std::string(path));
  if (exact != routes_.end()) return &exact->second;
  const AdminHandler* best = nullptr;
  size_t best_len = 0;
  for (const auto& [key, handler] : routes_) {
    if (!key.ends_with('*')) continue;
    std::string_view prefix = std::string_view(key).substr(0, key.size() - 1);
    if (path.starts_with(prefix) && prefix.size() >= best_len) {
      best = &handler;
      best_len = prefix.size();
    }
  }
  return best;
}

void AdminServer::Respond(Connection& c, const http::RequestHead& head) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  // A body we will not read would be parsed as the next request: answer, close.
  bool keep_alive = head.keep_alive && !head.has_body && !stopping_.load();
  bool head_only = head.method == "HEAD";
  const AdminHandler* handler = FindRoute(head.path);
  AdminResponse response;
  if (handler == nullptr) {
    response.status = 404;
    response.body = "not found: " + head.path + "\n";
  } else if (head.method != "GET" && !head_only) {
    response.status = 405;
    response.body = "method " + head.method + " not allowed; use GET or HEAD\n";
    response.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    AdminRequest request{head.method, head.path, head.query, head.headers};
    try {
      response = (*handler)(request);
    } catch (const std::exception& e) {
      response = AdminResponse{
          500, "text/plain; charset=utf-8", std::string("handler failed: ") + e.what() + "\n", {}};
    } catch (...) {
      response = AdminResponse{500, "text/plain; charset=utf-8", "handler failed\n", {}};
    }
  }
  bool gzip = handler != nullptr && response.body.size() >= options_.gzip_min_bytes &&
              http::AcceptsGzip(head.Header("accept-encoding"));
  c.close_after_write = !keep_alive;
  AppendResponse(c, response.status, response, head_only, gzip, keep_alive);
}

void AdminServer::AppendResponse(Connection& c, int status, const AdminResponse& response,
                                 bool head_only, bool gzip, bool keep_alive) {
  const std::string* body = &response.body;
  std::string compressed;
  if (gzip) {
    auto gz = compress::GzipCompress(response.body);
    if (gz.ok()) {
      compressed = std::move(*gz);
      body = &compressed;
    } else {
      gzip = false;
    }
  }
  std::string& out = c.out;
  out += "HTTP/1.1 " + std::to_string(status) + " " + std::string(Reason(status)) + "\r\n";
  out += "Date: " + HttpDate() + "\r\n";
  if (SafeHeaderPart(response.content_type) && !response.content_type.empty()) {
    out += "Content-Type: " + response.content_type + "\r\n";
  }
  out += "Content-Length: " + std::to_string(body->size()) + "\r\n";
  if (gzip) out += "Content-Encoding: gzip\r\n";
  if (status < 400 || status == 404 || status == 405) out += "Vary: Accept-Encoding\r\n";
  for (const auto& [name, value] : response.headers) {
    // A handler must not be able to break the framing.
    if (name.empty() || !SafeHeaderPart(name) || !SafeHeaderPart(value) ||
        name.find(':') != std::string::npos) {
      continue;
    }
    // Framing headers are ours alone.
    std::string lower = name;
    for (char& ch : lower) ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
    if (lower == "content-length" || lower == "transfer-encoding" || lower == "connection" ||
        lower == "content-encoding" || lower == "date") {
      continue;
    }
    out += name + ": " + value + "\r\n";
  }
  out += keep_alive ? "Connection: keep-alive\r\n\r\n" : "Connection: close\r\n\r\n";
  if (!head_only) out += *body;
  if (!keep_alive) c.close_after_write = true;
}

}  // namespace quartet::admin

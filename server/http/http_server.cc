#include "server/http/http_server.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <charconv>
#include <cstring>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

#include "server/http/connection.h"

namespace quartet::server {
namespace {

using Clock = std::chrono::steady_clock;

// How long a server that replied with an error and half-closed keeps reading
// (and discarding) what the client still sends, so that the client reads the
// reply instead of a connection reset.
constexpr auto kLingerTime = std::chrono::seconds(2);
// How long Stop() lets queued responses drain.
constexpr auto kStopGrace = std::chrono::seconds(1);
constexpr auto kSweepInterval = std::chrono::milliseconds(50);
constexpr size_t kReadChunk = 256 << 10;

std::string FormatAddress(const sockaddr_storage& ss) {
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (ss.ss_family == AF_INET) {
    const auto* a = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &a->sin_addr, host, sizeof(host));
    port = ntohs(a->sin_port);
    return std::string(host) + ":" + std::to_string(port);
  }
  if (ss.ss_family == AF_INET6) {
    const auto* a = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &a->sin6_addr, host, sizeof(host));
    port = ntohs(a->sin6_port);
    return "[" + std::string(host) + "]:" + std::to_string(port);
  }
  return "unknown";
}

Result<int> ListenTcp(std::string_view address, uint16_t* port_out) {
  std::string host;
  std::string_view port_text;
  if (address.starts_with('[')) {
    size_t close = address.find(']');
    if (close == std::string_view::npos || address.substr(close + 1, 1) != ":") {
      return Status::InvalidArgument("malformed listen address '" + std::string(address) + "'");
    }
    host = std::string(address.substr(1, close - 1));
    port_text = address.substr(close + 2);
  } else {
    size_t colon = address.rfind(':');
    if (colon == std::string_view::npos) {
      return Status::InvalidArgument("listen address '" + std::string(address) +
                                     "' has no port (want host:port)");
    }
    host = std::string(address.substr(0, colon));
    port_text = address.substr(colon + 1);
  }
  unsigned port = 0;
  auto [end, ec] = std::from_chars(port_text.data(), port_text.data() + port_text.size(), port);
  if (port_text.empty() || ec != std::errc() || end != port_text.data() + port_text.size() ||
      port > 65535) {
    return Status::InvalidArgument("invalid port in listen address '" + std::string(address) + "'");
  }
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* list = nullptr;
  std::string service = std::to_string(port);
  int rc = getaddrinfo(host.empty() ? nullptr : host.c_str(), service.c_str(), &hints, &list);
  if (rc != 0) {
    return Status::InvalidArgument("cannot resolve listen address '" + std::string(address) +
                                   "': " + gai_strerror(rc));
  }
  std::string last_error = "no address";
  int fd = -1;
  for (addrinfo* ai = list; ai != nullptr && fd < 0; ai = ai->ai_next) {
    fd = socket(ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
    if (fd < 0) {
      last_error = std::strerror(errno);
      continue;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
      last_error = std::strerror(errno);
      close(fd);
      fd = -1;
    }
  }
  freeaddrinfo(list);
  if (fd < 0) {
    return Status::Unavailable("cannot listen on '" + std::string(address) + "': " + last_error);
  }
  sockaddr_storage bound{};
  socklen_t len = sizeof(bound);
  getsockname(fd, reinterpret_cast<sockaddr*>(&bound), &len);
  *port_out = ntohs(bound.ss_family == AF_INET6 ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                                                : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  return fd;
}

void Wake(int event_fd) {
  uint64_t one = 1;
  ssize_t ignored = write(event_fd, &one, sizeof(one));
  (void)ignored;
}

void Drain(int event_fd) {
  uint64_t value;
  ssize_t ignored = read(event_fd, &value, sizeof(value));
  (void)ignored;
}

}  // namespace

struct HttpServer::Impl {
  struct ConnState {
    int fd = -1;
    std::unique_ptr<Connection> conn;
    uint32_t events = 0;  // current epoll interest
    Clock::time_point last_activity;
    bool eof = false;        // the client half-closed
    bool lingering = false;  // reply sent, our side shut down, draining input
    Clock::time_point linger_until;
  };

  struct Worker {
    Impl* impl = nullptr;
    int epoll_fd = -1;
    int wake_fd = -1;
    std::thread thread;
    std::atomic<size_t> load{0};
    std::atomic<bool> stop{false};
    std::mutex mu;
    std::vector<std::pair<int, std::string>> incoming;  // GUARDED_BY(mu)
    std::unordered_map<ConnState*, std::unique_ptr<ConnState>> conns;
    std::vector<std::unique_ptr<ConnState>> graveyard;  // freed after each epoll batch
    std::vector<char> scratch;
    Clock::time_point now;

    void Run();
    void Adopt();
    void OnEvent(ConnState* cs, uint32_t ev);
    void Read(ConnState* cs);
    void Flush(ConnState* cs);
    void Drive(ConnState* cs);
    void UpdateInterest(ConnState* cs);
    void Sweep();
    void Close(ConnState* cs);
  };

  HttpServerOptions options;
  Router router;
  ConnectionCounters counters;
  ConnectionConfig config;
  std::atomic<uint64_t> bytes_in{0}, bytes_out{0}, open{0}, rejected{0};
  int listen_fd = -1;
  uint16_t port = 0;
  int acceptor_wake_fd = -1;
  std::thread acceptor;
  std::vector<std::unique_ptr<Worker>> workers;
  std::atomic<bool> stopping{false};
  std::mutex stop_mu;
  bool stopped = false;

  void Accept();
  void Reject(int fd);
};

void HttpServer::Impl::Accept() {
  pollfd fds[2] = {{listen_fd, POLLIN, 0}, {acceptor_wake_fd, POLLIN, 0}};
  int timeout = -1;
  while (true) {
    if (poll(fds, 2, timeout) < 0 && errno != EINTR) return;
    if (fds[1].revents & POLLIN) return;
    timeout = -1;
    while (true) {
      sockaddr_storage peer{};
      socklen_t len = sizeof(peer);
      int fd = accept4(listen_fd, reinterpret_cast<sockaddr*>(&peer), &len,
                       SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd < 0) {
        if (errno == EINTR || errno == ECONNABORTED) continue;
        // Out of descriptors or memory: back off instead of spinning on a
        // listen socket that stays readable.
        if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
          timeout = 50;
        }
        break;
      }
      if (open.load(std::memory_order_relaxed) >= options.max_connections) {
        Reject(fd);
        continue;
      }
      int one = 1;
      setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
      open.fetch_add(1, std::memory_order_relaxed);
      Worker* target = workers[0].get();
      for (auto& w : workers) {
        if (w->load.load(std::memory_order_relaxed) < target->load.load(std::memory_order_relaxed))
          target = w.get();
      }
      target->load.fetch_add(1, std::memory_order_relaxed);
      {
        std::lock_guard<std::mutex> lock(target->mu);
        target->incoming.emplace_back(fd, FormatAddress(peer));
      }
      Wake(target->wake_fd);
    }
  }
}

void HttpServer::Impl::Reject(int fd) {
  rejected.fetch_add(1, std::memory_order_relaxed);
  counters.responses_5xx.fetch_add(1, std::memory_order_relaxed);
  std::string body =
      "too many open connections (limit " + std::to_string(options.max_connections) + ")\n";
  std::string reply = "HTTP/1.1 503 Service Unavailable\r\nDate: " +
                      HttpDate(static_cast<int64_t>(std::time(nullptr))) +
                      "\r\nContent-Type: text/plain; charset=utf-8\r\nRetry-After: 1\r\n"
                      "Content-Length: " +
                      std::to_string(body.size()) + "\r\nConnection: close\r\n\r\n" + body;
  // Unread request bytes would turn our close into a reset that can destroy
  // the reply in flight: read what has arrived first.
  char discard[4096];
  while (recv(fd, discard, sizeof(discard), MSG_DONTWAIT) > 0) {
  }
  ssize_t n = send(fd, reply.data(), reply.size(), MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n > 0) bytes_out.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
  shutdown(fd, SHUT_WR);
  close(fd);
}

void HttpServer::Impl::Worker::Adopt() {
  std::vector<std::pair<int, std::string>> batch;
  {
    std::lock_guard<std::mutex> lock(mu);
    batch.swap(incoming);
  }
  for (auto& [fd, remote] : batch) {
    auto cs = std::make_unique<ConnState>();
    cs->fd = fd;
    cs->conn = std::make_unique<Connection>(impl->config, std::move(remote));
    cs->last_activity = now;
    cs->events = EPOLLIN | EPOLLRDHUP;
    epoll_event ev{};
    ev.events = cs->events;
    ev.data.ptr = cs.get();
    if (epoll_ctl(epoll_fd, EPOLL_CTL_ADD, fd, &ev) != 0) {
      close(fd);
      impl->open.fetch_sub(1, std::memory_order_relaxed);
      load.fetch_sub(1, std::memory_order_relaxed);
      continue;
    }
    if (stop.load()) cs->conn->SetStopping();
    ConnState* raw = cs.get();
    conns.emplace(raw, std::move(cs));
  }
}

void HttpServer::Impl::Worker::Close(ConnState* cs) {
  if (cs->fd < 0) return;
  epoll_ctl(epoll_fd, EPOLL_CTL_DEL, cs->fd, nullptr);
  close(cs->fd);
  cs->fd = -1;
  impl->open.fetch_sub(1, std::memory_order_relaxed);
  load.fetch_sub(1, std::memory_order_relaxed);
  auto it = conns.find(cs);
  if (it != conns.end()) {
    graveyard.push_back(std::move(it->second));
    conns.erase(it);
  }
}

void HttpServer::Impl::Worker::Read(ConnState* cs) {
  // Bounded per event, so that one fast client cannot starve the others on
  // this worker, and so that the input buffer grows by at most kReadChunk
  // between two Process() calls.
  ssize_t n;
  do {
    n = recv(cs->fd, scratch.data(), scratch.size(), 0);
  } while (n < 0 && errno == EINTR);
  if (n > 0) {
    impl->bytes_in.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
    cs->last_activity = now;
    if (!cs->lingering) cs->conn->in().append(scratch.data(), static_cast<size_t>(n));
    return;
  }
  if (n == 0) {
    cs->eof = true;
    return;
  }
  if (errno != EAGAIN && errno != EWOULDBLOCK) Close(cs);
}

void HttpServer::Impl::Worker::Flush(ConnState* cs) {
  while (cs->fd >= 0) {
    std::string_view out = cs->conn->pending_output();
    if (out.empty()) return;
    ssize_t n = send(cs->fd, out.data(), out.size(), MSG_NOSIGNAL);
    if (n > 0) {
      impl->bytes_out.fetch_add(static_cast<uint64_t>(n), std::memory_order_relaxed);
      cs->conn->Wrote(static_cast<size_t>(n));
      cs->last_activity = now;
      continue;
    }
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return;
    Close(cs);
  }
}

void HttpServer::Impl::Worker::Drive(ConnState* cs) {
  if (cs->fd < 0) return;
  if (!cs->lingering) {
    cs->conn->Process(now);
    Flush(cs);
    if (cs->fd < 0) return;
    if (cs->conn->pending_output().empty()) {
      if (cs->conn->close_after_write()) {
        if (cs->eof) {
          Close(cs);
          return;
        }
        shutdown(cs->fd, SHUT_WR);
        cs->lingering = true;
        cs->linger_until = now + std::min<Clock::duration>(kLingerTime, impl->options.read_timeout);
      } else if (cs->eof) {
        Close(cs);  // nothing more can arrive; a partial request is abandoned
        return;
      }
    }
  } else if (cs->eof) {
    Close(cs);
    return;
  }
  UpdateInterest(cs);
}

void HttpServer::Impl::Worker::UpdateInterest(ConnState* cs) {
  uint32_t want = 0;
  bool pending = !cs->conn->pending_output().empty();
  if (cs->lingering) {
    want = EPOLLIN;
  } else {
    if (!cs->eof && !cs->conn->close_after_write() && !cs->conn->output_blocked()) {
      want |= EPOLLIN | EPOLLRDHUP;
    }
    if (pending) want |= EPOLLOUT;
  }
  if (want == cs->events) return;
  cs->events = want;
  epoll_event ev{};
  ev.events = want;
  ev.data.ptr = cs;
  epoll_ctl(epoll_fd, EPOLL_CTL_MOD, cs->fd, &ev);
}

void HttpServer::Impl::Worker::OnEvent(ConnState* cs, uint32_t ev) {
  if (cs->fd < 0) return;
  if (ev & EPOLLERR) {
    Close(cs);
    return;
  }
  if (ev & EPOLLOUT) Flush(cs);
  if (cs->fd >= 0 && (ev & (EPOLLIN | EPOLLHUP | EPOLLRDHUP))) Read(cs);
  Drive(cs);
}

void HttpServer::Impl::Worker::Sweep() {
  const auto& opt = impl->options;
  std::vector<ConnState*> all;
  all.reserve(conns.size());
  for (auto& [raw, owned] : conns) all.push_back(raw);
  for (ConnState* cs : all) {
    if (cs->fd < 0) continue;
    Connection& c = *cs->conn;
    if (cs->lingering) {
      if (now >= cs->linger_until) Close(cs);
    } else if (!c.pending_output().empty()) {
      // The client does not read its responses.
      if (now - cs->last_activity > opt.read_timeout) Close(cs);
    } else if (c.mid_request()) {
      if (now - c.request_started() > opt.read_timeout) {
        c.TimeOut();
        Drive(cs);
      }
    } else if (now - cs->last_activity > opt.idle_timeout) {
      Close(cs);
    }
  }
}

void HttpServer::Impl::Worker::Run() {
  scratch.resize(kReadChunk);
  epoll_event events[64];
  now = Clock::now();
  Clock::time_point last_sweep = now;
  Clock::time_point stop_deadline{};
  bool stopping = false;
  while (true) {
    int n = epoll_wait(epoll_fd, events, 64, static_cast<int>(kSweepInterval.count()));
    now = Clock::now();
    for (int i = 0; i < n; ++i) {
      if (events[i].data.ptr == nullptr) {
        Drain(wake_fd);
        Adopt();
        continue;
      }
      auto* cs = static_cast<ConnState*>(events[i].data.ptr);
      try {
        OnEvent(cs, events[i].events);
      } catch (...) {
        // Allocation failure while buffering: drop this connection only.
        Close(cs);
      }
    }
    graveyard.clear();
    if (stop.load() && !stopping) {
      stopping = true;
      stop_deadline = now + kStopGrace;
      Adopt();
      std::vector<ConnState*> all;
      for (auto& [raw, owned] : conns) all.push_back(raw);
      for (ConnState* cs : all) {
        cs->conn->SetStopping();
        if (cs->conn->pending_output().empty()) Close(cs);
      }
      graveyard.clear();
    }
    if (stopping && (conns.empty() || now >= stop_deadline)) {
      std::vector<ConnState*> all;
      for (auto& [raw, owned] : conns) all.push_back(raw);
      for (ConnState* cs : all) Close(cs);
      graveyard.clear();
      return;
    }
    if (now - last_sweep >= kSweepInterval) {
      last_sweep = now;
      Sweep();
      graveyard.clear();
    }
  }
}

HttpServer::HttpServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

HttpServer::~HttpServer() { Stop(); }

Result<std::unique_ptr<HttpServer>> HttpServer::Start(HttpServerOptions options, Router router) {
  if (options.workers < 1 || options.workers > 1024) {
    return Status::InvalidArgument("workers must be in [1, 1024]");
  }
  if (options.max_connections < 1) return Status::InvalidArgument("max_connections must be > 0");
  auto impl = std::make_unique<Impl>();
  impl->options = std::move(options);
  impl->router = std::move(router);
  impl->config.router = &impl->router;
  impl->config.counters = &impl->counters;
  impl->config.max_body_bytes = impl->options.max_body_bytes;
  impl->config.server_stopping = &impl->stopping;
  impl->config.head_limits = impl->options.head_limits;
  ASSIGN_OR_RETURN(impl->listen_fd, ListenTcp(impl->options.listen, &impl->port));

  auto fail = [&](const char* what) {
    Status s = Status::Unavailable(std::string(what) + ": " + std::strerror(errno));
    for (auto& w : impl->workers) {
      if (w->epoll_fd >= 0) close(w->epoll_fd);
      if (w->wake_fd >= 0) close(w->wake_fd);
    }
    if (impl->acceptor_wake_fd >= 0) close(impl->acceptor_wake_fd);
    close(impl->listen_fd);
    return s;
  };
  impl->acceptor_wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (impl->acceptor_wake_fd < 0) return fail("eventfd");
  for (int i = 0; i < impl->options.workers; ++i) {
    auto w = std::make_unique<Impl::Worker>();
    w->impl = impl.get();
    w->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
    w->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    impl->workers.push_back(std::move(w));
    Impl::Worker& worker = *impl->workers.back();
    if (worker.epoll_fd < 0 || worker.wake_fd < 0) return fail("epoll");
    epoll_event ev{};
    ev.events = EPOLLIN;
    ev.data.ptr = nullptr;
    if (epoll_ctl(worker.epoll_fd, EPOLL_CTL_ADD, worker.wake_fd, &ev) != 0) return fail("epoll");
  }
  for (auto& w : impl->workers) w->thread = std::thread([w = w.get()] { w->Run(); });
  impl->acceptor = std::thread([i = impl.get()] { i->Accept(); });
  return std::unique_ptr<HttpServer>(new HttpServer(std::move(impl)));
}

uint16_t HttpServer::port() const { return impl_->port; }

void HttpServer::Stop() {
  std::lock_guard<std::mutex> lock(impl_->stop_mu);
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->stopping.store(true);
  Wake(impl_->acceptor_wake_fd);
  impl_->acceptor.join();
  close(impl_->listen_fd);
  for (auto& w : impl_->workers) {
    w->stop.store(true);
    Wake(w->wake_fd);
  }
  for (auto& w : impl_->workers) {
    w->thread.join();
    close(w->epoll_fd);
    close(w->wake_fd);
  }
  close(impl_->acceptor_wake_fd);
}

HttpServerStats HttpServer::stats() const {
  HttpServerStats s;
  s.requests = impl_->counters.requests.load(std::memory_order_relaxed);
  s.bytes_in = impl_->bytes_in.load(std::memory_order_relaxed);
  s.bytes_out = impl_->bytes_out.load(std::memory_order_relaxed);
  s.responses_4xx = impl_->counters.responses_4xx.load(std::memory_order_relaxed);
  s.responses_5xx = impl_->counters.responses_5xx.load(std::memory_order_relaxed);
  s.open_connections = impl_->open.load(std::memory_order_relaxed);
  s.rejected_connections = impl_->rejected.load(std::memory_order_relaxed);
  return s;
}

}  // namespace quartet::server

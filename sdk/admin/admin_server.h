// AdminServer: the SDK's small built-in HTTP endpoint (default
// 127.0.0.1:9464) serving /metrics for Prometheus scrapes and, later,
// /debug/pprof/*. It knows nothing about metrics or profiles: the owner passes
// a table of routes, path -> handler. Written on POSIX sockets with one
// background thread running a poll() loop, so linking the SDK pulls in no HTTP
// library and costs the service one idle thread.
//
// HTTP/1.1 with keep-alive; GET and HEAD only (other methods: 405); request
// heads are parsed strictly and bounded (request_head.h: 400/414/431/505, then
// the connection is closed); bodies are never read (a request announcing one
// is answered and the connection closed). `Accept-Encoding: gzip` gets a
// gzipped body with `Content-Encoding: gzip` and `Vary: Accept-Encoding`.
// Connections are bounded (excess ones get 503 and are closed), idle
// keep-alive connections and slow request heads time out.
//
// Handlers run on the admin thread, one at a time: they must be quick and must
// not block (render from already-collected state); a slow handler delays every
// other admin client, never the application. A handler that throws gets a 500.
//
// Thread-safety: Start() and Stop() may be called from any thread; Stop() is
// idempotent and joins the server thread; it is prompt even with idle
// keep-alive clients connected. stats() is safe from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include "base/status.h"
#include "wire/http/request_head.h"

namespace quartet::admin {

inline constexpr std::string_view kDefaultAdminAddress = "127.0.0.1:9464";

struct AdminRequest {
  std::string method;  // "GET" or "HEAD"; answer both alike (the server drops HEAD bodies)
  std::string path;    // percent-encoded, without the query
  std::string query;   // after '?', "" when absent
  std::vector<std::pair<std::string, std::string>> headers;  // names lower-cased

  // The first value of header `lower_name` (e.g. "accept"), "" when absent.
  std::string_view Header(std::string_view lower_name) const;
};

struct AdminResponse {
  int status = 200;
  std::string content_type = "text/plain; charset=utf-8";
  std::string body;
  std::vector<std::pair<std::string, std::string>> headers;  // extra headers
};

using AdminHandler = std::function<AdminResponse(const AdminRequest&)>;
// Exact paths ("/metrics"); a key ending in '*' matches by prefix
// ("/debug/pprof/*"). The longest matching key wins.
using AdminRoutes = std::map<std::string, AdminHandler>;

struct AdminOptions {
  size_t max_connections = 32;
  std::chrono::milliseconds idle_timeout{30000};   // keep-alive without a request
  std::chrono::milliseconds header_timeout{5000};  // a started head must complete
  size_t gzip_min_bytes = 256;                     // smaller bodies are not worth compressing
  http::HeadLimits limits;
};

class AdminServer {
 public:
  struct Stats {
    uint64_t connections_accepted = 0;
    uint64_t connections_rejected = 0;  // over max_connections
    uint64_t requests = 0;              // heads parsed and answered
    uint64_t bad_requests = 0;          // answered 4xx/5xx for a malformed head
    uint64_t timeouts = 0;              // connections closed for idleness or slowness
  };

  // Binds `listen_address` ("host:port", "[v6]:port"; port 0 picks a free
  // port) and starts the server thread.
  static Result<std::unique_ptr<AdminServer>> Start(std::string_view listen_address,
                                                    AdminRoutes routes,
                                                    AdminOptions options = {}) noexcept;

  ~AdminServer();
  AdminServer(const AdminServer&) = delete;
  AdminServer& operator=(const AdminServer&) = delete;

  // Stops accepting, closes every connection and joins the thread.
  void Stop() noexcept;

  // The address actually bound, e.g. "127.0.0.1:40123".
  const std::string& bound_address() const { return bound_address_; }
  int port() const { return port_; }

  Stats stats() const noexcept;

 private:
  struct Connection;
  AdminServer(AdminRoutes routes, AdminOptions options, int listen_fd, int wake_fd);
  void Run();
  void Accept();
  // Returns false when the connection must be closed now.
  bool OnReadable(Connection& c);
  bool OnWritable(Connection& c);
  void HandleHeads(Connection& c);
  void Respond(Connection& c, const http::RequestHead& head);
  void RespondError(Connection& c, int status, std::string_view message);
  void AppendResponse(Connection& c, int status, const AdminResponse& response, bool head_only,
                      bool gzip, bool keep_alive);
  void StartClosing(Connection& c);
  const AdminHandler* FindRoute(std::string_view path) const;

  AdminRoutes routes_;
  AdminOptions options_;
  int listen_fd_;  // closed by the server thread on exit
  int wake_fd_;    // eventfd: Stop() writes it to break poll()
  std::string bound_address_;
  int port_ = 0;
  std::vector<std::unique_ptr<Connection>> connections_;  // admin thread only
  std::mutex stop_mu_;                                    // serialises Stop() callers
  std::thread thread_;
  std::atomic<bool> stopping_{false};
  std::atomic<uint64_t> accepted_{0}, rejected_{0}, requests_{0}, bad_requests_{0}, timeouts_{0};
};

}  // namespace quartet::admin

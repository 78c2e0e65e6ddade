// HttpServer: quartetd's HTTP/1.1 server on POSIX sockets, serving every HTTP
// API on one port. One acceptor thread hands each accepted connection to the
// worker with the fewest connections; each worker owns its connections and an
// epoll set, reads, parses (connection.h), runs handlers inline and writes.
// Handlers may block (an fsync), so workers outnumber cores; a blocked handler
// delays only its own worker's connections.
//
// Protection against clients: bounded request heads (400/414/431/505), bodies
// bounded after decompression (413, checked before reading when the length is
// known, and before each append otherwise), at most max_connections open (the
// rest get 503 + Retry-After), a whole request must arrive within
// read_timeout (slow-loris: 408), idle keep-alive connections close after
// idle_timeout, and a response a client does not read is dropped after
// read_timeout. After an error reply the server half-closes and drains what
// the client still sends for a moment, so the client reads the reply rather
// than a reset.
//
// Thread-safety: Start/Stop/port/stats may be called from any thread; Stop()
// must not be called from a handler.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include "base/status.h"
#include "server/http/http_message.h"
#include "server/http/router.h"
#include "wire/http/request_head.h"

namespace quartet::server {

struct HttpServerOptions {
  std::string listen = "127.0.0.1:4318";  // "host:port", "[::1]:0", ":4318" (all interfaces)
  int workers = 8;
  size_t max_body_bytes = 20 << 20;  // after decompression; larger -> 413, connection closed
  size_t max_connections = 1024;     // beyond: 503 + Retry-After, then close
  std::chrono::milliseconds idle_timeout{60000};
  // A whole request (head and body) must arrive within this; a 20 MB body
  // thus needs at least ~0.7 MB/s.
  std::chrono::milliseconds read_timeout{30000};
  // Larger than the SDK admin port's: Grafana sends LogQL/TraceQL queries of
  // several KiB in GET query strings, and browsers send cookies.
  http::HeadLimits head_limits{
      .max_head_bytes = 64 << 10, .max_target_bytes = 32 << 10, .max_headers = 100};
};

struct HttpServerStats {
  uint64_t requests = 0;  // requests whose head and body were received
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  uint64_t responses_4xx = 0;
  uint64_t responses_5xx = 0;
  uint64_t open_connections = 0;
  uint64_t rejected_connections = 0;  // over max_connections
};

class HttpServer {
 public:
  // Binds, listens and starts the threads. Errors: InvalidArgument for a bad
  // option or listen address, Unavailable when the address cannot be bound.
  static Result<std::unique_ptr<HttpServer>> Start(HttpServerOptions options, Router router);

  ~HttpServer();  // Stop()s
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  // The bound port (the kernel's choice for port 0).
  uint16_t port() const;
  // Stops accepting, lets running handlers finish and their responses be
  // written (up to one second), then closes every connection and joins the
  // threads. Connections mid-request are closed without a reply. Idempotent.
  void Stop();
  HttpServerStats stats() const;

  struct Impl;

 private:
  explicit HttpServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quartet::server

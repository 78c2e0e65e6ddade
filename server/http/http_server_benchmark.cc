// Requests/s and MB/s for 64 KiB POST bodies over keep-alive loopback
// connections, handler returning 200 with an empty body: what the HTTP layer
// costs per ingest request. The client (raw sockets, pipelining off) runs on
// other threads of this process. With cpp-httplib installed the same load runs
// against it in the same binary as a peer.
//
//   build-h/bin/http_server_benchmark --benchmark_min_time=2
#include <arpa/inet.h>
#include <benchmark/benchmark.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "server/http/http_server.h"

#ifdef QUARTET_HAVE_HTTPLIB
#include <httplib.h>
#endif

namespace {

constexpr size_t kBodyBytes = 64 << 10;

int Connect(uint16_t port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_port = htons(port);
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)) != 0) return -1;
  int one = 1;
  setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
  return fd;
}

// One request, one response (Content-Length 0 expected); false on error.
bool RoundTrip(int fd, const std::string& request, std::string& buf) {
  const char* p = request.data();
  size_t left = request.size();
  while (left > 0) {
    ssize_t n = send(fd, p, left, MSG_NOSIGNAL);
    if (n <= 0) return false;
    p += n;
    left -= n;
  }
  buf.clear();
  char tmp[4096];
  while (buf.find("\r\n\r\n") == std::string::npos) {
    ssize_t n = recv(fd, tmp, sizeof(tmp), 0);
    if (n <= 0) return false;
    buf.append(tmp, n);
  }
  return buf.starts_with("HTTP/1.1 200");
}

std::string Request() {
  return "POST /v1/traces HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: "
         "application/x-protobuf\r\nContent-Length: " +
         std::to_string(kBodyBytes) + "\r\n\r\n" + std::string(kBodyBytes, 'x');
}

// Each benchmark thread holds one keep-alive connection.
void RunLoad(benchmark::State& state, uint16_t port) {
  const std::string request = Request();
  std::string buf;
  int fd = Connect(port);
  if (fd < 0) {
    state.SkipWithError("connect failed");
    return;
  }
  for (auto _ : state) {
    if (!RoundTrip(fd, request, buf)) {
      state.SkipWithError("round trip failed");
      break;
    }
  }
  close(fd);
  state.SetItemsProcessed(state.iterations());
  state.SetBytesProcessed(state.iterations() * static_cast<int64_t>(request.size()));
}

// Servers start once, on first use (thread-safe function statics), and live
// until exit so that every thread count measures against the same one.
uint16_t QuartetPort() {
  static quartet::server::HttpServer* server = [] {
    quartet::server::Router router;
    router.Handle("POST", "/v1/traces", [](const quartet::server::HttpRequest& r) {
      benchmark::DoNotOptimize(r.body.data());
      return quartet::server::HttpResponse::Bytes(200, "application/x-protobuf", "");
    });
    quartet::server::HttpServerOptions options;
    options.listen = "127.0.0.1:0";
    options.workers = 2;
    return quartet::server::HttpServer::Start(options, std::move(router))->release();
  }();
  return server->port();
}

void BM_QuartetServer(benchmark::State& state) { RunLoad(state, QuartetPort()); }
BENCHMARK(BM_QuartetServer)->Threads(1)->Threads(2)->UseRealTime();

#ifdef QUARTET_HAVE_HTTPLIB
uint16_t HttplibPort() {
  static int port = [] {
    auto* server = new httplib::Server();
    server->set_keep_alive_max_count(1 << 30);  // its default closes after a few requests
    server->Post("/v1/traces", [](const httplib::Request& r, httplib::Response& res) {
      benchmark::DoNotOptimize(r.body.data());
      res.status = 200;
      res.set_content("", "application/x-protobuf");
    });
    int p = server->bind_to_any_port("127.0.0.1");
    std::thread([server] { server->listen_after_bind(); }).detach();
    while (!server->is_running()) std::this_thread::yield();
    return p;
  }();
  return static_cast<uint16_t>(port);
}

void BM_CppHttplib(benchmark::State& state) { RunLoad(state, HttplibPort()); }
BENCHMARK(BM_CppHttplib)->Threads(1)->Threads(2)->UseRealTime();
#endif

}  // namespace

BENCHMARK_MAIN();

#include "sdk/admin/admin_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "wire/compress/gzip.h"

namespace quartet::admin {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// A deliberately dumb client on a raw socket: it sends exactly the bytes a
// test gives it, so malformed requests reach the server unaltered.
class RawClient {
 public:
  struct Response {
    int status = 0;
    std::map<std::string, std::string> headers;  // lower-cased names
    std::string body;
  };

  explicit RawClient(int port, milliseconds read_timeout = milliseconds(3000)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    timeval tv{read_timeout.count() / 1000,
               static_cast<suseconds_t>(read_timeout.count() % 1000) * 1000};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    connected_ = connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0;
  }
  ~RawClient() { close(fd_); }

  bool connected() const { return connected_; }
  bool Send(std::string_view bytes) {
    return send(fd_, bytes.data(), bytes.size(), MSG_NOSIGNAL) ==
           static_cast<ssize_t>(bytes.size());
  }
  // Reads until the peer closes (true) or the read times out (false).
  bool ReadToEof() {
    char buf[4096];
    for (;;) {
      ssize_t n = recv(fd_, buf, sizeof(buf), 0);
      if (n == 0) return true;
      if (n < 0) return errno == ECONNRESET;
      buf_.append(buf, n);
    }
  }
  // Reads one response (a HEAD response has no body).
  std::optional<Response> Read(bool head_request = false) {
    size_t end;
    while ((end = buf_.find("\r\n\r\n")) == std::string::npos) {
      if (!Fill()) return std::nullopt;
    }
    Response r;
    std::string head = buf_.substr(0, end + 2);
    buf_.erase(0, end + 4);
    if (head.size() < 12 || !head.starts_with("HTTP/1.1 ")) return std::nullopt;
    r.status = std::stoi(head.substr(9, 3));
    size_t pos = head.find("\r\n") + 2;
    while (pos < head.size()) {
      size_t eol = head.find("\r\n", pos);
      std::string line = head.substr(pos, eol - pos);
      size_t colon = line.find(':');
      std::string name = line.substr(0, colon);
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      r.headers[name] = line.substr(colon + 2);
      pos = eol + 2;
    }
    size_t length = std::stoul(r.headers["content-length"]);
    if (head_request) return r;
    while (buf_.size() < length) {
      if (!Fill()) return std::nullopt;
    }
    r.body = buf_.substr(0, length);
    buf_.erase(0, length);
    return r;
  }
  const std::string& buffered() const { return buf_; }

 private:
  bool Fill() {
    char buf[4096];
    ssize_t n = recv(fd_, buf, sizeof(buf), 0);
    if (n <= 0) return false;
    buf_.append(buf, n);
    return true;
  }

  int fd_ = -1;
  bool connected_ = false;
  std::string buf_;
};

std::string MetricsText() {
  std::string s;
  for (int i = 0; i < 200; ++i) {
    s += "http_requests_total{route=\"/r" + std::to_string(i) + "\"} " + std::to_string(i) + "\n";
  }
  return s;
}

AdminRoutes TestRoutes() {
  AdminRoutes routes;
  routes["/metrics"] = [](const AdminRequest& req) {
    AdminResponse r;
    r.content_type = req.Header("accept").find("openmetrics") != std::string_view::npos
                         ? "application/openmetrics-text; version=1.0.0"
                         : "text/plain; version=0.0.4";
    r.body = MetricsText();
    return r;
  };
  routes["/echo"] = [](const AdminRequest& req) {
    AdminResponse r;
    r.body = req.method + " " + req.path + " ? " + req.query;
    r.headers.emplace_back("X-Test", "1");
    r.headers.emplace_back("Content-Length", "99999");  // must be ignored
    return r;
  };
  routes["/debug/pprof/*"] = [](const AdminRequest& req) {
    return AdminResponse{200, "text/plain", "pprof:" + req.path, {}};
  };
  routes["/throw"] = [](const AdminRequest&) -> AdminResponse { throw std::runtime_error("boom"); };
  return routes;
}

std::unique_ptr<AdminServer> StartServer(AdminOptions options = {}) {
  auto s = AdminServer::Start("127.0.0.1:0", TestRoutes(), options);
  EXPECT_TRUE(s.ok()) << s.status().ToString();
  return s.ok() ? std::move(*s) : nullptr;
}

size_t CollectBody(char* data, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(data, size * n);
  return size * n;
}

struct CurlResult {
  long status = 0;
  std::string body;
  long new_connections = -1;
  CURLcode rc = CURLE_OK;
};

CurlResult CurlGet(CURL* curl, const std::string& url, const char* accept_encoding = nullptr) {
  CurlResult r;
  curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
  curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, CollectBody);
  curl_easy_setopt(curl, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 5000L);
  curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(curl, CURLOPT_ACCEPT_ENCODING, accept_encoding);
  r.rc = curl_easy_perform(curl);
  curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(curl, CURLINFO_NUM_CONNECTS, &r.new_connections);
  return r;
}

std::string Url(const AdminServer& s, const std::string& path) {
  return "http://" + s.bound_address() + path;
}

TEST(AdminServerTest, BindsAndReportsTheActualPort) {
  auto s = StartServer();
  ASSERT_NE(s, nullptr);
  EXPECT_GT(s->port(), 0);
  EXPECT_EQ(s->bound_address(), "127.0.0.1:" + std::to_string(s->port()));
  // The port is taken now: a second server on it must fail, not share it.
  auto again = AdminServer::Start(s->bound_address(), {});
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.status().code(), StatusCode::kUnavailable) << again.status().ToString();
}

TEST(AdminServerTest, ListensOnIpv6Loopback) {
  auto s = AdminServer::Start("[::1]:0", TestRoutes());
  if (!s.ok()) GTEST_SKIP() << "no IPv6 loopback: " << s.status().ToString();
  EXPECT_EQ((*s)->bound_address(), "[::1]:" + std::to_string((*s)->port()));
  CURL* curl = curl_easy_init();
  auto r = CurlGet(curl, "http://" + (*s)->bound_address() + "/echo");
  EXPECT_EQ(r.status, 200) << curl_easy_strerror(r.rc);
  curl_easy_cleanup(curl);
}

TEST(AdminServerTest, RejectsBadListenAddresses) {
  for (std::string_view address : {"9464", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:http",
                                   "[::1", "[::1]9464", "no.such.host.invalid:1"}) {
    auto s = AdminServer::Start(address, {});
    ASSERT_FALSE(s.ok()) << address;
    EXPECT_EQ(s.status().code(), StatusCode::kInvalidArgument) << s.status().ToString();
    EXPECT_NE(s.status().message().find(address), std::string_view::npos) << s.status().ToString();
  }
}

TEST(AdminServerTest, ServesGetWithKeepAlive) {
  auto s = StartServer();
  ASSERT_NE(s, nullptr);
  CURL* curl = curl_easy_init();
  auto first = CurlGet(curl, Url(*s, "/metrics"));
  ASSERT_EQ(first.rc, CURLE_OK) << curl_easy_strerror(first.rc);
  EXPECT_EQ(first.status, 200);
  EXPECT_EQ(first.body, MetricsText());
  EXPECT_EQ(first.new_connections, 1);
  auto second = CurlGet(curl, Url(*s, "/echo?a=1&b"));
  EXPECT_EQ(second.status, 200);
  EXPECT_EQ(second.body, "GET /echo ? a=1&b");
  EXPECT_EQ(second.new_connections, 0);  // reused the kept-alive connection
  curl_easy_cleanup(curl);
  EXPECT_EQ(s->stats().connections_accepted, 1u);
  EXPECT_EQ(s->stats().requests, 2u);
}

TEST(AdminServerTest, NegotiatesGzip) {
  auto s = StartServer();
  ASSERT_NE(s, nullptr);
  // libcurl decodes what it asked for: the negotiated body must round-trip.
  CURL* curl = curl_easy_init();
  auto r = CurlGet(curl, Url(*s, "/metrics"), "gzip");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, MetricsText());
  curl_easy_cleanup(curl);

  RawClient c(s->port());
  ASSERT_TRUE(c.connected());
  ASSERT_TRUE(c.Send("GET /metrics HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n"));
  auto gz = c.Read();
  ASSERT_TRUE(gz);
  EXPECT_EQ(gz->headers["content-encoding"], "gzip");
  EXPECT_EQ(gz->headers["vary"], "Accept-Encoding");
  EXPECT_EQ(gz->headers["content-type"], "text/plain; version=0.0.4");
  auto plain = compress::GzipDecompress(gz->body, 1 << 20);
  ASSERT_TRUE(plain.ok()) << plain.status().ToString();
  EXPECT_EQ(*plain, MetricsText());
  EXPECT_LT(gz->body.size(), MetricsText().size() / 3);

  ASSERT_TRUE(
      c.Send("GET /metrics HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip;q=0\r\n"
             "Accept: application/openmetrics-text\r\n\r\n"));
  auto identity = c.Read();
  ASSERT_TRUE(identity);
  EXPECT_EQ(identity->headers.count("content-encoding"), 0u);
  EXPECT_EQ(identity->headers["vary"], "Accept-Encoding");
  EXPECT_EQ(identity->headers["content-type"], "application/openmetrics-text; version=1.0.0");
  EXPECT_EQ(identity->body, MetricsText());

  // Bodies under gzip_min_bytes are sent as they are.
  ASSERT_TRUE(c.Send("GET /echo HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n"));
  auto small = c.Read();
  ASSERT_TRUE(small);
  EXPECT_EQ(small->headers.count("content-encoding"), 0u);
  EXPECT_EQ(small->body, "GET /echo ? ");
}

TEST(AdminServerTest, RoutingMethodsAndHead) {
  auto s = StartServer();
  ASSERT_NE(s, nullptr);
  RawClient c(s->port());
  ASSERT_TRUE(c.connected());

  ASSERT_TRUE(c.Send("GET /nope HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
  EXPECT_EQ(r->headers["connection"], "keep-alive");

  ASSERT_TRUE(c.Send("DELETE /metrics HTTP/1.1\r\nHost: a\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 405);
  EXPECT_EQ(r->headers["allow"], "GET, HEAD");

  ASSERT_TRUE(c.Send("HEAD /metrics HTTP/1.1\r\nHost: a\r\n\r\n"));
  r = c.Read(/*head_request=*/true);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->headers["content-length"], std::to_string(MetricsText().size()));

  ASSERT_TRUE(c.Send("GET /debug/pprof/profile?seconds=1 HTTP/1.1\r\nHost: a\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->body, "pprof:/debug/pprof/profile");

  ASSERT_TRUE(c.Send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->headers["x-test"], "1");
  EXPECT_EQ(r->headers["content-length"], "12");  // the handler cannot override framing

  ASSERT_TRUE(c.Send("GET /throw HTTP/1.1\r\nHost: a\r\n\r\n"));
  r = c.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 500);
  EXPECT_NE(r->body.find("boom"), std::string::npos);

  // Two pipelined requests in one segment get two responses, in order.
  ASSERT_TRUE(
      c.Send("GET /echo?1 HTTP/1.1\r\nHost: a\r\n\r\nGET /echo?2 HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto p1 = c.Read();
  auto p2 = c.Read();
  ASSERT_TRUE(p1 && p2);
  EXPECT_EQ(p1->body, "GET /echo ? 1");
  EXPECT_EQ(p2->body, "GET /echo ? 2");
}

TEST(AdminServerTest, MalformedHeadsTable) {
  auto s = StartServer();
  ASSERT_NE(s, nullptr);
  const std::string kClose = "Connection: close\r\n";
  struct Case {
    std::string request;
    int status;
  } cases[] = {
      {"GET /metrics HTTP/1.1\r\n\r\n", 400},
      {"GET /metrics HTTP/3.0\r\nHost: a\r\n\r\n", 505},
      {"GET /metrics HTTP/1.1\r\nHost : a\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400},
      {"GET /metrics HTTP/1.1\nHost: a\n\n", 400},
      {std::string("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11), 400},  // TLS hello
      {std::string("GET /metrics HTTP/1.1\r\nHost: a\r\nX: \0\r\n\r\n", 40), 400},
      {"GET /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414},
      {"GET /metrics HTTP/1.1\r\nHost: a\r\nX: " + std::string(9000, 'v') + "\r\n\r\n", 431},
      {"GET /metrics HTTP/1.1\r\nHost: a\r\nX: " + std::string(20000, 'v'), 431},  // never ends
      {"GET /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400},
      {"POST /metrics HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello", 405},
      {"POST /metrics HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: "
       "chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n",
       405},
      {"GET /metrics HTTP/1.0\r\n\r\n", 200},
      {"\r\n\r\nGET /metrics HTTP/1.1\r\nHost: a\r\n" + kClose + "\r\n", 200},
      {"GET http://a/echo HTTP/1.1\r\nHost: a\r\n" + kClose + "\r\n", 200},
      {"GET /none HTTP/1.1\r\nHost: a\r\n" + kClose + "\r\n", 404},
  };
  for (const Case& c : cases) {
    RawClient client(s->port());
    ASSERT_TRUE(client.connected());
    ASSERT_TRUE(client.Send(c.request));
    auto r = client.Read();
    ASSERT_TRUE(r) << "no response to: " << c.request.substr(0, 60);
    EXPECT_EQ(r->status, c.status) << c.request.substr(0, 60) << " -> " << r->body;
    EXPECT_EQ(r->headers["connection"], "close") << c.request.substr(0, 60);
    EXPECT_TRUE(client.ReadToEof()) << "connection left open after: " << c.request.substr(0, 60);
  }
  // ...and the server keeps serving.
  CURL* curl = curl_easy_init();
  auto ok = CurlGet(curl, Url(*s, "/metrics"));
  EXPECT_EQ(ok.status, 200);
  curl_easy_cleanup(curl);
  EXPECT_GE(s->stats().bad_requests, 10u);
}

TEST(AdminServerTest, SurvivesConcurrentJunk) {
  AdminOptions options;
  options.header_timeout = milliseconds(300);
  options.max_connections = 64;
  auto s = StartServer(options);
  ASSERT_NE(s, nullptr);
  std::mt19937 rng(1234);
  std::vector<std::unique_ptr<RawClient>> clients;
  for (int i = 0; i < 40; ++i) {
    std::string junk;
    size_t n = rng() % 3000;
    for (size_t k = 0; k < n; ++k) junk += static_cast<char>(rng());
    if (i % 2) junk = "GET /metrics HTTP/1.1\r\n" + junk;  // a plausible start
    if (i % 3) junk += "\r\n\r\n";
    clients.push_back(std::make_unique<RawClient>(s->port()));
    ASSERT_TRUE(clients.back()->connected());
    clients.back()->Send(junk);
  }
  for (auto& c : clients) {
    auto r = c->Read();
    ASSERT_TRUE(r) << "no response";
    EXPECT_TRUE(r->status == 400 || r->status == 408 || r->status == 431 || r->status == 505)
        << r->status;
    EXPECT_TRUE(c->ReadToEof());
  }
  RawClient good(s->port());
  ASSERT_TRUE(good.Send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = good.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 200);
}

TEST(AdminServerTest, TimesOutIdleAndSlowClients) {
  AdminOptions options;
  options.idle_timeout = milliseconds(200);
  options.header_timeout = milliseconds(200);
  auto s = StartServer(options);
  ASSERT_NE(s, nullptr);

  RawClient idle(s->port());
  ASSERT_TRUE(idle.connected());
  auto start = Clock::now();
  EXPECT_TRUE(idle.ReadToEof());
  EXPECT_GE(Clock::now() - start, milliseconds(150));
  EXPECT_LT(Clock::now() - start, milliseconds(2000));

  RawClient slow(s->port());
  ASSERT_TRUE(slow.Send("GET /metrics HTTP/1.1\r\nHost: a\r\n"));  // never finished
  auto r = slow.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 408);
  EXPECT_GE(s->stats().timeouts, 2u);
}

TEST(AdminServerTest, ClosesOnAClientThatStopsReading) {
  AdminOptions options;
  options.idle_timeout = milliseconds(200);
  AdminRoutes routes;
  routes["/big"] = [](const AdminRequest&) {
    return AdminResponse{200, "application/octet-stream", std::string(32 << 20, 'b'), {}};
  };
  auto s = AdminServer::Start("127.0.0.1:0", routes, options);
  ASSERT_TRUE(s.ok());
  RawClient lazy((*s)->port());
  ASSERT_TRUE(lazy.Send("GET /big HTTP/1.1\r\nHost: a\r\n\r\n"));  // and never read
  for (int i = 0; i < 100 && (*s)->stats().timeouts == 0; ++i) {
    std::this_thread::sleep_for(milliseconds(20));
  }
  EXPECT_EQ((*s)->stats().timeouts, 1u);
  // Other clients were served all along.
  RawClient other((*s)->port());
  ASSERT_TRUE(other.Send("GET /missing HTTP/1.1\r\nHost: a\r\n\r\n"));
  auto r = other.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 404);
}

TEST(AdminServerTest, BoundsConcurrentConnections) {
  AdminOptions options;
  options.max_connections = 4;
  auto s = StartServer(options);
  ASSERT_NE(s, nullptr);
  std::vector<std::unique_ptr<RawClient>> held;
  for (int i = 0; i < 4; ++i) {
    held.push_back(std::make_unique<RawClient>(s->port()));
    ASSERT_TRUE(held.back()->Send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n"));
    ASSERT_TRUE(held.back()->Read());  // accepted and served: it counts now
  }
  RawClient extra(s->port());
  ASSERT_TRUE(extra.connected());  // the kernel accepts; the server refuses
  auto r = extra.Read();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(s->stats().connections_rejected, 1u);
  held.pop_back();  // a slot frees up once the server sees the close
  for (int attempt = 0; attempt < 50; ++attempt) {
    RawClient again(s->port());
    again.Send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n");
    auto a = again.Read();
    if (a && a->status == 200) return;
    std::this_thread::sleep_for(milliseconds(20));
  }
  FAIL() << "slot never freed";
}

TEST(AdminServerTest, ManyConcurrentClients) {
  auto s = StartServer();
  ASSERT_NE(s, nullptr);
  constexpr int kThreads = 12, kRequests = 20;
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      CURL* curl = curl_easy_init();
      for (int i = 0; i < kRequests; ++i) {
        auto r = CurlGet(curl, Url(*s, "/echo?" + std::to_string(t)), i % 2 ? "gzip" : nullptr);
        if (r.status == 200 && r.body == "GET /echo ? " + std::to_string(t)) ++ok;
      }
      curl_easy_cleanup(curl);
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(ok.load(), kThreads * kRequests);
  EXPECT_EQ(s->stats().requests, static_cast<uint64_t>(kThreads * kRequests));
  EXPECT_LE(s->stats().connections_accepted, static_cast<uint64_t>(kThreads));
}

TEST(AdminServerTest, StopIsPromptWithConnectedClients) {
  auto s = StartServer();
  ASSERT_NE(s, nullptr);
  RawClient kept(s->port());
  ASSERT_TRUE(kept.Send("GET /echo HTTP/1.1\r\nHost: a\r\n\r\n"));
  ASSERT_TRUE(kept.Read());  // now an idle keep-alive connection
  RawClient half(s->port());
  ASSERT_TRUE(half.Send("GET /echo HTT"));  // mid-head
  std::this_thread::sleep_for(milliseconds(50));
  auto start = Clock::now();
  s->Stop();
  EXPECT_LT(Clock::now() - start, milliseconds(500));
  EXPECT_TRUE(kept.ReadToEof());
  EXPECT_TRUE(half.ReadToEof());
  s->Stop();  // idempotent
  RawClient after(s->port());
  EXPECT_FALSE(after.connected());  // the listener is closed: refused
}

}  // namespace
}  // namespace quartet::admin

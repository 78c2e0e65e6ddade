#include "server/http/http_server.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "wire/compress/gzip.h"

namespace quartet::server {
namespace {

using namespace std::chrono_literals;

// A blocking loopback client for byte-exact requests.
class RawClient {
 public:
  explicit RawClient(uint16_t port) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(port);
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(connect(fd_, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
    timeval tv{5, 0};
    setsockopt(fd_, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
  }
  ~RawClient() { close(fd_); }
  void Send(std::string_view s) {
    while (!s.empty()) {
      ssize_t n = send(fd_, s.data(), s.size(), MSG_NOSIGNAL);
      if (n <= 0) return;
      s.remove_prefix(n);
    }
  }
  // One response (head + Content-Length body); "" on close or timeout.
  std::string ReadResponse() {
    while (true) {
      size_t end = buf_.find("\r\n\r\n");
      if (end != std::string::npos) {
        size_t len = 0;
        size_t cl = buf_.find("Content-Length: ");
        if (cl != std::string::npos && cl < end) len = std::stoul(buf_.substr(cl + 16));
        if (buf_.starts_with("HTTP/1.1 100")) len = 0;
        if (buf_.size() >= end + 4 + len) {
          std::string r = buf_.substr(0, end + 4 + len);
          buf_.erase(0, end + 4 + len);
          return r;
        }
      }
      if (!Fill()) return "";
    }
  }
  // Everything until the server closes; `closed` says whether it did.
  std::string ReadToClose(bool* closed) {
    while (Fill()) {
    }
    *closed = eof_;
    std::string r;
    r.swap(buf_);
    return r;
  }

 private:
  bool Fill() {
    char tmp[65536];
    ssize_t n = recv(fd_, tmp, sizeof(tmp), 0);
    if (n > 0) {
      buf_.append(tmp, n);
      return true;
    }
    eof_ = n == 0 || errno == ECONNRESET;
    return false;
  }
  int fd_;
  std::string buf_;
  bool eof_ = false;
};

struct CurlReply {
  long status = 0;
  std::string body;
  std::string headers;
  long connects = 0;
};

size_t Append(char* p, size_t size, size_t n, void* out) {
  static_cast<std::string*>(out)->append(p, size * n);
  return size * n;
}

CurlReply Curl(CURL* c, const std::string& url, const std::string* body = nullptr,
               std::vector<std::string> headers = {}) {
  CurlReply r;
  curl_easy_setopt(c, CURLOPT_URL, url.c_str());
  curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_WRITEDATA, &r.body);
  curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, Append);
  curl_easy_setopt(c, CURLOPT_HEADERDATA, &r.headers);
  curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);
  if (body) {
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body->data());
    curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(body->size()));
  } else {
    curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
  }
  curl_slist* list = nullptr;
  for (const auto& h : headers) list = curl_slist_append(list, h.c_str());
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, list);
  CURLcode rc = curl_easy_perform(c);
  EXPECT_EQ(rc, CURLE_OK) << curl_easy_strerror(rc);
  curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r.status);
  curl_easy_getinfo(c, CURLINFO_NUM_CONNECTS, &r.connects);
  curl_easy_setopt(c, CURLOPT_HTTPHEADER, nullptr);
  curl_slist_free_all(list);
  return r;
}

class HttpServerTest : public ::testing::Test {
 protected:
  void StartServer(HttpServerOptions options = {}) {
    options.listen = "127.0.0.1:0";
    if (options.workers == 8) options.workers = 3;
    Router r;
    r.Handle("POST", "/echo", [](const HttpRequest& q) {
      return HttpResponse::Bytes(200, "application/octet-stream", q.body);
    });
    r.Handle("POST", "/size", [](const HttpRequest& q) {
      uint64_t sum = 0;
      for (unsigned char ch : q.body) sum = sum * 31 + ch;
      return HttpResponse::Text(200, std::to_string(q.body.size()) + " " + std::to_string(sum));
    });
    r.Handle("GET", "/api/v1/label/:name/values", [](const HttpRequest& q) {
      std::string s = std::string(q.PathParam("name"));
      for (const auto& m : q.Params("match[]")) s += "|" + m;
      return HttpResponse::Json(200, "\"" + s + "\"");
    });
    r.Handle("POST", "/api/v1/query", [](const HttpRequest& q) {
      return HttpResponse::Text(200, q.Param("query").value_or("none"));
    });
    r.Handle("GET", "/slow", [this](const HttpRequest&) {
      in_slow_handler_ = true;
      std::this_thread::sleep_for(400ms);
      return HttpResponse::Text(200, "slow done");
    });
    auto s = HttpServer::Start(options, std::move(r));
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    server_ = std::move(s).value();
    base_ = "http://127.0.0.1:" + std::to_string(server_->port());
  }
  void SetUp() override { curl_ = curl_easy_init(); }
  void TearDown() override {
    curl_easy_cleanup(curl_);
    if (server_) server_->Stop();
  }

  std::unique_ptr<HttpServer> server_;
  std::string base_;
  CURL* curl_ = nullptr;
  std::atomic<bool> in_slow_handler_{false};
};

TEST_F(HttpServerTest, RoutingParamsAndKeepAlive) {
  StartServer();
  CurlReply r = Curl(curl_, base_ + "/api/v1/label/job/values?match[]=up&match%5B%5D=a+b");
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "\"job|up|a b\"");
  EXPECT_EQ(r.connects, 1);
  std::string form = "query=sum(rate(x%5B5m%5D))";
  r = Curl(curl_, base_ + "/api/v1/query", &form);
  EXPECT_EQ(r.body, "sum(rate(x[5m]))");
  EXPECT_EQ(r.connects, 0);  // reused
  r = Curl(curl_, base_ + "/missing");
  EXPECT_EQ(r.status, 404);
  r = Curl(curl_, base_ + "/echo");
  EXPECT_EQ(r.status, 405);
  EXPECT_NE(r.headers.find("Allow: POST"), std::string::npos) << r.headers;
  EXPECT_EQ(r.connects, 0);
  EXPECT_NE(r.headers.find("Date: "), std::string::npos);
  HttpServerStats st = server_->stats();
  EXPECT_EQ(st.requests, 4u);
  EXPECT_EQ(st.responses_4xx, 2u);
  EXPECT_GT(st.bytes_in, 0u);
  EXPECT_GT(st.bytes_out, 0u);
}

size_t ReadOdd(char* buf, size_t size, size_t n, void* userdata) {
  auto* src = static_cast<std::pair<const std::string*, size_t>*>(userdata);
  static const size_t kSizes[] = {1, 7, 4093, 65537, 333, 100000};
  static size_t i = 0;
  size_t want = std::min({size * n, kSizes[i++ % 6], src->first->size() - src->second});
  memcpy(buf, src->first->data() + src->second, want);
  src->second += want;
  return want;
}

TEST_F(HttpServerTest, ChunkedUploadOfSeveralMegabytes) {
  StartServer();
  std::string body(5 << 20, '\0');
  uint64_t sum = 0;
  for (size_t i = 0; i < body.size(); ++i) {
    body[i] = static_cast<char>(i * 2654435761u >> 13);
    sum = sum * 31 + static_cast<unsigned char>(body[i]);
  }
  std::pair<const std::string*, size_t> src(&body, 0);
  std::string out;
  curl_slist* list = curl_slist_append(nullptr, "Transfer-Encoding: chunked");
  curl_easy_setopt(curl_, CURLOPT_URL, (base_ + "/size").c_str());
  curl_easy_setopt(curl_, CURLOPT_POST, 1L);
  curl_easy_setopt(curl_, CURLOPT_READFUNCTION, ReadOdd);
  curl_easy_setopt(curl_, CURLOPT_READDATA, &src);
  curl_easy_setopt(curl_, CURLOPT_HTTPHEADER, list);
  curl_easy_setopt(curl_, CURLOPT_WRITEFUNCTION, Append);
  curl_easy_setopt(curl_, CURLOPT_WRITEDATA, &out);
  ASSERT_EQ(curl_easy_perform(curl_), CURLE_OK);
  curl_slist_free_all(list);
  long status = 0;
  curl_easy_getinfo(curl_, CURLINFO_RESPONSE_CODE, &status);
  EXPECT_EQ(status, 200);
  EXPECT_EQ(out, std::to_string(body.size()) + " " + std::to_string(sum));
}

TEST_F(HttpServerTest, GzipBodiesAndGzipBomb) {
  HttpServerOptions o;
  o.max_body_bytes = 1 << 20;
  StartServer(o);
  std::string plain(300000, 'q');
  std::string gz = *compress::GzipCompress(plain);
  CurlReply r = Curl(curl_, base_ + "/size", &gz, {"Content-Encoding: gzip"});
  EXPECT_EQ(r.status, 200);
  EXPECT_TRUE(r.body.starts_with("300000 ")) << r.body;
  std::string bomb = *compress::GzipCompress(std::string(64 << 20, '\0'), 9);
  r = Curl(curl_, base_ + "/size", &bomb, {"Content-Encoding: gzip"});
  EXPECT_EQ(r.status, 413);
  EXPECT_NE(r.body.find("limit"), std::string::npos) << r.body;
  // Responses are gzip'd for clients that ask.
  curl_easy_setopt(curl_, CURLOPT_ACCEPT_ENCODING, "gzip");
  r = Curl(curl_, base_ + "/echo", &plain);
  EXPECT_EQ(r.body, plain);  // curl decoded it
  EXPECT_NE(r.headers.find("Content-Encoding: gzip"), std::string::npos) << r.headers;
}

TEST_F(HttpServerTest, ExpectContinueAndEarly413) {
  HttpServerOptions o;
  o.max_body_bytes = 1000;
  StartServer(o);
  RawClient c(server_->port());
  c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 3\r\n\r\n");
  EXPECT_EQ(c.ReadResponse(), "HTTP/1.1 100 Continue\r\n\r\n");
  c.Send("abc");
  std::string r = c.ReadResponse();
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200 OK")) << r;
  EXPECT_TRUE(r.ends_with("\r\n\r\nabc")) << r;
  c.Send("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
  r = c.ReadResponse();
  EXPECT_TRUE(r.starts_with("HTTP/1.1 413")) << r;
  bool closed = false;
  c.ReadToClose(&closed);
  EXPECT_TRUE(closed);
}

TEST_F(HttpServerTest, LongQueryStringsAreServed) {
  StartServer();
  std::string matcher(20000, 'a');
  CurlReply r = Curl(curl_, base_ + "/api/v1/label/job/values?match[]=" + matcher);
  EXPECT_EQ(r.status, 200);
  EXPECT_EQ(r.body, "\"job|" + matcher + "\"");
}

TEST_F(HttpServerTest, PipelinedRequestsOnOneSocket) {
  StartServer();
  RawClient c(server_->port());
  std::string batch;
  for (int i = 0; i < 20; ++i) {
    std::string b = "body" + std::to_string(i);
    batch += "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: " + std::to_string(b.size()) +
             "\r\n\r\n" + b;
  }
  c.Send(batch);
  for (int i = 0; i < 20; ++i) {
    std::string r = c.ReadResponse();
    EXPECT_TRUE(r.ends_with("\r\n\r\nbody" + std::to_string(i))) << i << ": " << r;
  }
}

TEST_F(HttpServerTest, MalformedInputGetsOneLineErrorThenClose) {
  StartServer();
  struct Case {
    std::string wire;
    std::string_view status;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", "400"},
      {"GET /" + std::string(40000, 'x') + " HTTP/1.1\r\nHost: x\r\n\r\n", "414"},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(70000, 'y') + "\r\n\r\n", "431"},
      {"GET / HTTP/3.0\r\nHost: x\r\n\r\n", "505"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999\r\n\r\n", "413"},
  };
  for (const Case& k : cases) {
    RawClient c(server_->port());
    c.Send(k.wire);
    bool closed = false;
    std::string r = c.ReadToClose(&closed);
    EXPECT_TRUE(r.starts_with("HTTP/1.1 " + std::string(k.status))) << r;
    EXPECT_TRUE(closed) << k.status;
    std::string body = r.substr(r.find("\r\n\r\n") + 4);
    EXPECT_EQ(std::count(body.begin(), body.end(), '\n'), 1) << body;
  }
}

TEST_F(HttpServerTest, TooManyConnectionsGet503) {
  HttpServerOptions o;
  o.max_connections = 2;
  StartServer(o);
  RawClient a(server_->port()), b(server_->port());
  for (RawClient* c : {&a, &b}) {
    c->Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nk");
    EXPECT_TRUE(c->ReadResponse().starts_with("HTTP/1.1 200"));
  }
  RawClient third(server_->port());
  bool closed = false;
  std::string r = third.ReadToClose(&closed);
  EXPECT_TRUE(r.starts_with("HTTP/1.1 503")) << r;
  EXPECT_NE(r.find("Retry-After: 1\r\n"), std::string::npos) << r;
  EXPECT_TRUE(closed);
  EXPECT_EQ(server_->stats().rejected_connections, 1u);
  EXPECT_EQ(server_->stats().open_connections, 2u);
}

TEST_F(HttpServerTest, IdleAndReadTimeouts) {
  HttpServerOptions o;
  o.idle_timeout = 200ms;
  o.read_timeout = 300ms;
  StartServer(o);
  auto start = std::chrono::steady_clock::now();
  RawClient idle(server_->port());
  RawClient slow(server_->port());
  slow.Send("GET / HTTP/1.1\r\nHost:");
  std::thread trickle([&] {
    for (int i = 0; i < 10; ++i) {  // a slow-loris: a byte now and then
      std::this_thread::sleep_for(50ms);
      slow.Send(" ");
    }
  });
  bool closed = false;
  EXPECT_EQ(idle.ReadToClose(&closed), "");
  EXPECT_TRUE(closed);
  std::string r = slow.ReadToClose(&closed);
  trickle.join();
  EXPECT_TRUE(r.starts_with("HTTP/1.1 408")) << r;
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST_F(HttpServerTest, StopFinishesInFlightAndDropsPartialRequests) {
  StartServer();
  RawClient partial(server_->port());
  partial.Send("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\nonly part");
  RawClient busy(server_->port());
  busy.Send("GET /slow HTTP/1.1\r\nHost: x\r\n\r\n");
  while (!in_slow_handler_) std::this_thread::sleep_for(5ms);
  auto start = std::chrono::steady_clock::now();
  server_->Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - start, 2s);
  std::string r = busy.ReadResponse();
  EXPECT_TRUE(r.starts_with("HTTP/1.1 200")) << r;
  EXPECT_NE(r.find("Connection: close"), std::string::npos) << r;
  bool closed = false;
  EXPECT_EQ(partial.ReadToClose(&closed), "");
  EXPECT_TRUE(closed);
  server_->Stop();  // idempotent
}

TEST_F(HttpServerTest, ConcurrentClients) {
  StartServer();
  std::atomic<int> ok{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t) {
    threads.emplace_back([&, t] {
      CURL* c = curl_easy_init();
      for (int i = 0; i < 40; ++i) {
        std::string body(1000 + t * 100 + i, static_cast<char>('a' + t));
        CurlReply r = Curl(c, base_ + "/echo", &body);
        if (r.status == 200 && r.body == body) ++ok;
      }
      curl_easy_cleanup(c);
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(ok.load(), 240);
  EXPECT_EQ(server_->stats().requests, 240u);
}

TEST(HttpServerStartTest, BadOptions) {
  HttpServerOptions o;
  o.listen = "nonsense";
  EXPECT_EQ(HttpServer::Start(o, Router()).status().code(), StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:99999";
  EXPECT_EQ(HttpServer::Start(o, Router()).status().code(), StatusCode::kInvalidArgument);
  o.listen = "127.0.0.1:0";
  o.workers = 0;
  EXPECT_EQ(HttpServer::Start(o, Router()).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace quartet::server

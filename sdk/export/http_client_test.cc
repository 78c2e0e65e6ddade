#include "sdk/export/http_client.h"

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <mutex>

#include "tests/support/http_server.h"
#include "wire/compress/gzip.h"

namespace quartet::exporter {
namespace {

using std::chrono::milliseconds;
using testing::FreeLoopbackPort;
using testing::TestHttpServer;

TEST(HttpClientTest, PostsBodyHeadersAndReadsResponse) {
  TestHttpServer server;
  std::mutex mu;
  httplib::Request seen;
  server.server().Post("/v1/traces", [&](const httplib::Request& req, httplib::Response& res) {
    {
      std::lock_guard<std::mutex> lock(mu);
      seen = req;
    }
    res.status = 200;
    res.set_header("Retry-After", "7");
    res.set_content("{\"partialSuccess\":{}}", "application/json");
  });
  ASSERT_TRUE(server.Start());

  HttpClient client;
  Headers headers = {{"Authorization", "Bearer t0k"}, {"X-Scope-OrgID", "team-a"}};
  auto r = client.Post(server.Url("/v1/traces"), std::string("\x0a\x00\x01", 3),
                       "application/x-protobuf", headers, false, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  EXPECT_EQ(r->body, "{\"partialSuccess\":{}}");
  EXPECT_EQ(r->content_type, "application/json");
  EXPECT_EQ(r->retry_after, "7");
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(seen.method, "POST");
  EXPECT_EQ(seen.body, std::string("\x0a\x00\x01", 3));
  EXPECT_EQ(seen.get_header_value("Content-Type"), "application/x-protobuf");
  EXPECT_EQ(seen.get_header_value("Authorization"), "Bearer t0k");
  EXPECT_EQ(seen.get_header_value("X-Scope-OrgID"), "team-a");
  EXPECT_FALSE(seen.has_header("Expect"));
  EXPECT_FALSE(seen.has_header("Content-Encoding"));
}

TEST(HttpClientTest, GzipBodyArrivesDecompressible) {
  TestHttpServer server;
  std::mutex mu;
  std::string body, encoding, wire_length;
  server.server().Post("/v1/logs", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    body = req.body;  // cpp-httplib inflates Content-Encoding: gzip itself
    encoding = req.get_header_value("Content-Encoding");
    wire_length = req.get_header_value("Content-Length");
    res.status = 200;
  });
  ASSERT_TRUE(server.Start());
  std::string payload;
  for (int i = 0; i < 5000; ++i) payload += "log line " + std::to_string(i % 10) + "\n";
  HttpClient client;
  auto r = client.Post(server.Url("/v1/logs"), payload, "application/json", {}, true,
                       milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 200);
  std::lock_guard<std::mutex> lock(mu);
  EXPECT_EQ(encoding, "gzip");
  EXPECT_EQ(body, payload);
  EXPECT_LT(std::stoul(wire_length), payload.size() / 10);
}

TEST(HttpClientTest, ReusesTheConnection) {
  TestHttpServer server;
  std::mutex mu;
  std::vector<int> ports;
  server.server().Post("/x", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    ports.push_back(req.remote_port);
    res.status = 200;
  });
  ASSERT_TRUE(server.Start());
  HttpClient client;
  for (int i = 0; i < 3; ++i) {
    auto r = client.Post(server.Url("/x"), "b", "text/plain", {}, false, milliseconds(5000));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
  }
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(ports.size(), 3u);
  EXPECT_EQ(ports[0], ports[1]);
  EXPECT_EQ(ports[1], ports[2]);
}

TEST(HttpClientTest, NonSuccessStatusIsAResponseNotAnError) {
  TestHttpServer server;
  server.server().Post("/x", [](const httplib::Request&, httplib::Response& res) {
    res.status = 503;
    res.set_content(std::string(100000, 'e'), "text/plain");
  });
  ASSERT_TRUE(server.Start());
  HttpClient::Options options;
  options.max_response_body = 1000;
  HttpClient client(options);
  auto r = client.Post(server.Url("/x"), "", "text/plain", {}, false, milliseconds(5000));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->status, 503);
  EXPECT_EQ(r->body.size(), 1000u);  // bounded, and the exchange still completes
  EXPECT_TRUE(r->body_truncated);
}

TEST(HttpClientTest, TransportErrorsCarryRetryableCodes) {
  HttpClient client;
  auto refused =
      client.Post("http://127.0.0.1:" + std::to_string(FreeLoopbackPort()) + "/v1/traces", "x",
                  "text/plain", {}, false, milliseconds(2000));
  ASSERT_FALSE(refused.ok());
  EXPECT_EQ(refused.status().code(), StatusCode::kUnavailable) << refused.status().ToString();

  struct Case {
    std::string url;
    StatusCode code;
  } cases[] = {
      {"ftp://127.0.0.1/x", StatusCode::kInvalidArgument},
      {"file:///etc/passwd", StatusCode::kInvalidArgument},
      {"http://[::1/x", StatusCode::kInvalidArgument},
  };
  for (const Case& c : cases) {
    auto r = client.Post(c.url, "x", "text/plain", {}, false, milliseconds(2000));
    ASSERT_FALSE(r.ok()) << c.url;
    EXPECT_EQ(r.status().code(), c.code) << c.url << ": " << r.status().ToString();
  }
  auto no_time = client.Post("http://127.0.0.1:1/", "x", "text/plain", {}, false, milliseconds(0));
  EXPECT_EQ(no_time.status().code(), StatusCode::kDeadlineExceeded);
}

// A peer that accepts and hangs up without a reply (a crashing collector, a
// load balancer with no healthy backend) is a retryable transport error.
TEST(HttpClientTest, EmptyReplyIsUnavailable) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(addr);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 4), 0);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  std::thread peer([fd] {
    int c = accept(fd, nullptr, nullptr);
    char buf[1024];
    [[maybe_unused]] ssize_t n = recv(c, buf, sizeof(buf), 0);  // take the request...
    close(c);                                                   // ...and hang up
  });
  HttpClient client;
  auto r = client.Post("http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)) + "/v1/logs", "x",
                       "text/plain", {}, false, milliseconds(3000));
  peer.join();
  close(fd);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kUnavailable) << r.status().ToString();
}

TEST(HttpClientTest, RejectsHeaderInjection) {
  HttpClient client;
  for (const Headers& bad : {Headers{{"X-A", "v\r\nHost: evil"}}, Headers{{"X-A\nB", "v"}},
                             Headers{{"", "v"}}, Headers{{"A:B", "v"}}}) {
    auto r = client.Post("http://127.0.0.1:1/", "x", "text/plain", bad, false, milliseconds(500));
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << r.status().ToString();
  }
}

TEST(HttpClientTest, TimeoutIsHonoured) {
  TestHttpServer server;
  std::atomic<bool> release{false};
  server.server().Post("/hang", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(milliseconds(10));
    res.status = 200;
  });
  ASSERT_TRUE(server.Start());
  HttpClient client;
  auto start = std::chrono::steady_clock::now();
  auto r = client.Post(server.Url("/hang"), "x", "text/plain", {}, false, milliseconds(300));
  auto took = std::chrono::steady_clock::now() - start;
  release = true;
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDeadlineExceeded) << r.status().ToString();
  EXPECT_GE(took, milliseconds(290));
  EXPECT_LT(took, milliseconds(1500));
}

// https with a throwaway self-signed certificate for 127.0.0.1: trusted via
// Options::ca_file it works; with the system store it must be refused.
TEST(HttpClientTest, HttpsVerifiesThePeer) {
  namespace fs = std::filesystem;
  fs::path dir = fs::temp_directory_path() / ("quartet_tls_" + std::to_string(getpid()));
  fs::create_directories(dir);
  std::string cert = (dir / "cert.pem").string(), key = (dir / "key.pem").string();
  std::string cmd =
      "openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 "
      "-addext subjectAltName=IP:127.0.0.1 -keyout " +
      key + " -out " + cert + " >/dev/null 2>&1";
  if (std::system(cmd.c_str()) != 0) GTEST_SKIP() << "openssl CLI unavailable";

  httplib::SSLServer server(cert.c_str(), key.c_str());
  ASSERT_TRUE(server.is_valid());
  server.Post("/v1/traces", [](const httplib::Request& req, httplib::Response& res) {
    res.status = 200;
    res.set_content("tls:" + req.body, "text/plain");
  });
  int port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(port, 0);
  std::thread thread([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(milliseconds(1));
  std::string url = "https://127.0.0.1:" + std::to_string(port) + "/v1/traces";

  {
    HttpClient::Options trusting;
    trusting.ca_file = cert;
    HttpClient client(trusting);
    auto ok = client.Post(url, "x", "text/plain", {}, false, milliseconds(5000));
    ASSERT_TRUE(ok.ok()) << ok.status().ToString();
    EXPECT_EQ(ok->status, 200);
    EXPECT_EQ(ok->body, "tls:x");

    HttpClient strict;
    auto refused = strict.Post(url, "x", "text/plain", {}, false, milliseconds(5000));
    ASSERT_FALSE(refused.ok());
    EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition)
        << refused.status().ToString();
  }  // clients close their kept-alive connections before the server stops

  server.stop();
  thread.join();
  fs::remove_all(dir);
}

}  // namespace
}  // namespace quartet::exporter

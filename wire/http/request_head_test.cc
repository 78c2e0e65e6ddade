#include "wire/http/request_head.h"

#include <gtest/gtest.h>

#include <random>

namespace quartet::http {
namespace {

TEST(RequestHeadTest, ParsesAWellFormedHead) {
  auto r = ParseRequestHead(
      "GET /metrics?name[]=up&x=%20 HTTP/1.1\r\nHost: 127.0.0.1:9464\r\n"
      "Accept-Encoding:gzip\r\nUser-Agent: Prometheus/2.45\t \r\n\r\n",
      {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->method, "GET");
  EXPECT_EQ(r->target, "/metrics?name[]=up&x=%20");
  EXPECT_EQ(r->path, "/metrics");
  EXPECT_EQ(r->query, "name[]=up&x=%20");
  EXPECT_EQ(r->version_minor, 1);
  EXPECT_EQ(r->Header("host"), "127.0.0.1:9464");
  EXPECT_EQ(r->Header("accept-encoding"), "gzip");
  EXPECT_EQ(r->Header("user-agent"), "Prometheus/2.45");
  EXPECT_EQ(r->Header("missing"), "");
  EXPECT_TRUE(r->keep_alive);
  EXPECT_FALSE(r->has_body);
}

TEST(RequestHeadTest, ConnectionSemantics) {
  struct Case {
    std::string head;
    bool keep_alive;
    bool has_body;
  } cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", true, false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n", false, false},
      {"GET / HTTP/1.1\r\nHost: a\r\nConnection: TE, Close\r\n\r\n", false, false},
      {"GET / HTTP/1.0\r\n\r\n", false, false},
      {"GET / HTTP/1.0\r\nConnection: keep-alive\r\n\r\n", true, false},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 0\r\n\r\n", true, false},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 12\r\n\r\n", true, true},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\n\r\n", true, true},
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n", true, true},
      {"GET http://a:1/x?y HTTP/1.1\r\nHost: a\r\n\r\n", true, false},
  };
  for (const Case& c : cases) {
    auto r = ParseRequestHead(c.head, {});
    ASSERT_TRUE(r.ok()) << c.head << r.status().ToString();
    EXPECT_EQ(r->keep_alive, c.keep_alive) << c.head;
    EXPECT_EQ(r->has_body, c.has_body) << c.head;
  }
  EXPECT_EQ(ParseRequestHead("GET http://a:1/x?y HTTP/1.1\r\nHost: a\r\n\r\n", {})->path, "/x");
  EXPECT_EQ(ParseRequestHead("GET http://a:1 HTTP/1.1\r\nHost: a\r\n\r\n", {})->path, "/");
}

TEST(RequestHeadTest, BodyFraming) {
  struct Case {
    std::string head;
    bool chunked;
    uint64_t content_length;
    bool expect_continue;
  } cases[] = {
      {"GET / HTTP/1.1\r\nHost: a\r\n\r\n", false, 0, false},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 65536\r\n\r\n", false, 65536, false},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: Chunked\r\n\r\n", true, 0, false},
      {"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 9\r\nExpect: 100-Continue\r\n\r\n", false, 9,
       true},
      // HTTP/1.0 clients cannot take a 100 (RFC 9110 10.1.1).
      {"POST / HTTP/1.0\r\nContent-Length: 9\r\nExpect: 100-continue\r\n\r\n", false, 9, false},
  };
  for (const Case& c : cases) {
    auto r = ParseRequestHead(c.head, {});
    ASSERT_TRUE(r.ok()) << c.head << r.status().ToString();
    EXPECT_EQ(r->chunked, c.chunked) << c.head;
    EXPECT_EQ(r->content_length, c.content_length) << c.head;
    EXPECT_EQ(r->expect_continue, c.expect_continue) << c.head;
  }
}

TEST(RequestHeadTest, MalformedHeadsGetPreciseStatuses) {
  HeadLimits limits;
  limits.max_target_bytes = 64;
  limits.max_headers = 4;
  limits.max_head_bytes = 512;
  std::string many_headers = "GET / HTTP/1.1\r\nHost: a\r\n";
  for (int i = 0; i < 4; ++i) many_headers += "X-" + std::to_string(i) + ": v\r\n";
  struct Case {
    std::string head;
    int status;
    std::string_view message_part;
  } cases[] = {
      {"GET / HTTP/1.1\r\n\r\n", 400, "without Host"},
      {"GET / HTTP/1.1\r\nHost: a\r\nhost: b\r\n\r\n", 400, "more than one Host"},
      {"GET / HTTP/2.0\r\nHost: a\r\n\r\n", 505, "HTTP/2.0"},
      {"GET / HTTP/0.9\r\nHost: a\r\n\r\n", 505, "unsupported"},
      {"GET / HTTP/1.10\r\nHost: a\r\n\r\n", 400, "version"},
      {"GET / http/1.1\r\nHost: a\r\n\r\n", 400, "version"},
      {"GET /\r\nHost: a\r\n\r\n", 400, "request line"},
      {"GET  / HTTP/1.1\r\nHost: a\r\n\r\n", 400, ""},
      {"GET / HTTP/1.1 \r\nHost: a\r\n\r\n", 400, "request line"},
      {"G(T / HTTP/1.1\r\nHost: a\r\n\r\n", 400, "method"},
      {"GET metrics HTTP/1.1\r\nHost: a\r\n\r\n", 400, "path"},
      {"GET /\x01 HTTP/1.1\r\nHost: a\r\n\r\n", 400, "control"},
      {"GET /" + std::string(64, 'a') + " HTTP/1.1\r\nHost: a\r\n\r\n", 414, "limit of 64"},
      {"GET / HTTP/1.1\r\nHost : a\r\n\r\n", 400, "header name"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX Y: b\r\n\r\n", 400, "header name"},
      {"GET / HTTP/1.1\r\nHost: a\r\nNoColon\r\n\r\n", 400, "without ':'"},
      {"GET / HTTP/1.1\r\nHost: a\r\n folded\r\n\r\n", 400, "folding"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\x7f\r\n\r\n", 400, "control"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: a\rb\r\n\r\n", 400, "control"},
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400,
       "conflicting"},
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: -1\r\n\r\n", 400, "Content-Length"},
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 1x\r\n\r\n", 400, "Content-Length"},
      {"GET / HTTP/1.1\r\nHost: a\r\nContent-Length: 99999999999999999999999\r\n\r\n", 400,
       "Content-Length"},
      {"GET / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n", 400,
       "both"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 400,
       "Transfer-Encoding"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nTransfer-Encoding: "
       "chunked\r\n\r\n",
       400, "Transfer-Encoding"},
      {"POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: identity\r\n\r\n", 400,
       "Transfer-Encoding"},
      {many_headers + "\r\n", 431, "more than 4"},
      {"GET / HTTP/1.1\r\nHost: a\r\nX: " + std::string(600, 'v') + "\r\n\r\n", 431, "limit"},
      {"GET / HTTP/1.1\r\nHost: a\r\n", 400, "not terminated"},
      {"", 400, "not terminated"},
  };
  for (const Case& c : cases) {
    auto r = ParseRequestHead(c.head, limits);
    ASSERT_FALSE(r.ok()) << c.head;
    EXPECT_EQ(HttpStatusForHeadError(r.status()), c.status)
        << c.head << " -> " << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.message_part), std::string_view::npos)
        << r.status().ToString();
    for (char ch : r.status().message()) {
      EXPECT_TRUE(ch >= 0x20 && ch < 0x7f) << "unprintable byte in error for " << c.head;
    }
  }
}

// Random byte mutations of valid heads: never a crash, only the documented
// statuses, and error messages stay printable (they may reach logs).
TEST(RequestHeadTest, MutatedHeadsFailCleanly) {
  const std::string seeds[] = {
      "GET /metrics?x=1 HTTP/1.1\r\nHost: a\r\nAccept-Encoding: gzip\r\n\r\n",
      "POST /x HTTP/1.0\r\nContent-Length: 10\r\nConnection: keep-alive\r\n\r\n",
      "HEAD http://h:1/p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n",
  };
  const char alphabet[] = {' ', ':', '\r', '\n', '\t', '\0', '/', '?', 'H', '1', '\x7f', '\xff'};
  std::mt19937 rng(7);
  HeadLimits limits;
  limits.max_headers = 3;
  limits.max_target_bytes = 32;
  int ok = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string s = seeds[rng() % 3];
    int edits = 1 + rng() % 3;
    for (int e = 0; e < edits; ++e) {
      size_t pos = rng() % (s.size() - 4);  // keep the terminator mostly intact
      char c = rng() % 2 ? alphabet[rng() % sizeof(alphabet)] : static_cast<char>(rng());
      if (rng() % 3 == 0) {
        s.insert(pos, 1, c);
      } else {
        s[pos] = c;
      }
    }
    auto r = ParseRequestHead(s, limits);
    if (r.ok()) {
      ++ok;
      EXPECT_FALSE(r->method.empty());
      EXPECT_EQ(r->path.find_first_of(" \r\n"), std::string::npos);
      for (const auto& [name, value] : r->headers) {
        EXPECT_EQ(value.find_first_of("\r\n"), std::string::npos);
        EXPECT_EQ(name.find_first_of(" :\r\n"), std::string::npos);
      }
      continue;
    }
    int status = HttpStatusForHeadError(r.status());
    EXPECT_TRUE(status == 400 || status == 414 || status == 431 || status == 505) << status;
    for (char ch : r.status().message()) ASSERT_TRUE(ch >= 0x20 && ch < 0x7f) << s;
  }
  EXPECT_GT(ok, 0);  // some mutations (e.g. in a header value) are still valid
}

}  // namespace
}  // namespace quartet::http

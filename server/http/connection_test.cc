#include "server/http/connection.h"

#include <gtest/gtest.h>

#include <stdexcept>

#include "wire/compress/gzip.h"

namespace quartet::server {
namespace {

using Clock = std::chrono::steady_clock;

class ConnectionTest : public ::testing::Test {
 protected:
  ConnectionTest() {
    router_.Handle("POST", "/echo", [](const HttpRequest& r) {
      HttpResponse resp = HttpResponse::Bytes(200, "application/octet-stream", r.body);
      resp.headers.emplace_back("X-Params", [&] {
        std::string s;
        for (const auto& [k, v] : r.params) s += k + "=" + v + ";";
        return s;
      }());
      return resp;
    });
    router_.Handle("GET", "/items/:id", [](const HttpRequest& r) {
      return HttpResponse::Text(
          200, "item " + std::string(r.PathParam("id")) + " q=" + r.Param("q").value_or("-"));
    });
    router_.Handle("GET", "/big", [](const HttpRequest&) {
      return HttpResponse::Json(200, "[" + std::string(5000, '1') + "]");
    });
    router_.Handle("GET", "/throw",
                   [](const HttpRequest&) -> HttpResponse { throw std::runtime_error("boom"); });
    router_.Handle("GET", "/evil", [](const HttpRequest&) {
      HttpResponse r = HttpResponse::Text(204, "");
      r.headers.emplace_back("X-Split", "a\r\nSet-Cookie: x");
      r.headers.emplace_back("Content-Length", "99");
      r.headers.emplace_back("Retry-After", "3");
      return r;
    });
    config_.router = &router_;
    config_.counters = &counters_;
    config_.max_body_bytes = 1000;
  }

  // Feeds `wire` in pieces of `piece` bytes and returns all output.
  std::string Run(std::string_view wire, size_t piece = 1 << 20) {
    conn_ = std::make_unique<Connection>(config_, "127.0.0.1:1");
    std::string out;
    for (size_t pos = 0; pos < wire.size(); pos += piece) {
      conn_->in().append(wire.substr(pos, piece));
      conn_->Process(Clock::now());
      out += conn_->pending_output();
      conn_->Wrote(conn_->pending_output().size());
    }
    return out;
  }

  static int Count(std::string_view hay, std::string_view needle) {
    int n = 0;
    for (size_t p = hay.find(needle); p != std::string_view::npos; p = hay.find(needle, p + 1)) ++n;
    return n;
  }

  Router router_;
  ConnectionCounters counters_;
  ConnectionConfig config_;
  std::unique_ptr<Connection> conn_;
};

TEST_F(ConnectionTest, PipelinedRequestsAnsweredInOrderAtAnyPieceSize) {
  const std::string wire =
      "GET /items/7?q=a+b HTTP/1.1\r\nHost: x\r\n\r\n"
      "POST /echo?z=1 HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"
      "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n0\r\n\r\n"
      "POST /echo?q=2 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 11\r\n\r\nq=1&m%5B%5D"
      "GET /items/8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  for (size_t piece : {1, 3, 17, 1 << 20}) {
    std::string out = Run(wire, piece);
    size_t a = out.find("item 7 q=a b");
    size_t b = out.find("\r\n\r\nhello");
    size_t c = out.find("\r\n\r\nabc");
    size_t d = out.find("X-Params: q=1;m[]=;q=2;");
    size_t e = out.find("item 8 q=-");
    ASSERT_NE(a, std::string::npos) << out;
    EXPECT_LT(a, b) << out;
    EXPECT_LT(b, c) << out;
    EXPECT_LT(c, d) << out;
    EXPECT_LT(d, e) << out;
    EXPECT_NE(e, std::string::npos) << out;
    EXPECT_EQ(Count(out, "HTTP/1.1 200 OK\r\n"), 5);
    EXPECT_EQ(Count(out, "Date: "), 5);
    EXPECT_EQ(Count(out, "Connection: close"), 1);
    EXPECT_TRUE(conn_->close_after_write());
  }
}

TEST_F(ConnectionTest, ErrorsGetPreciseStatusAndClose) {
  struct Case {
    std::string wire;
    std::string_view status_line;
    std::string_view message;
  } cases[] = {
      {"\x16\x03\x01junk", "400 Bad Request", "does not start with a method"},
      {"GET / HTTP/1.1\nHost: x\n\n", "400 Bad Request", "CRLF"},
      {"GET / HTTP/2.0\r\nHost: x\r\n\r\n", "505 HTTP Version Not Supported", "HTTP/2.0"},
      {"GET /" + std::string(3000, 'a') + " HTTP/1.1\r\nHost: x\r\n\r\n", "414 URI Too Long", ""},
      {"GET / HTTP/1.1\r\nHost: x\r\nX: " + std::string(9000, 'v'), "431", "exceeds"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 1001\r\n\r\n", "413", "limit of 1000"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n3e9\r\n", "413",
       "limit of 1000"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "400",
       "hexadecimal"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: br\r\nContent-Length: 1\r\n\r\nx",
       "415", "'br'"},
      {"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: 1\r\n\r\nx",
       "400", "gzip"},
      {"GET /items/1?q=%zz HTTP/1.1\r\nHost: x\r\n\r\n", "400", "invalid query string"},
      {"GET /a%zz HTTP/1.1\r\nHost: x\r\n\r\n", "400", "invalid path"},
  };
  for (const Case& c : cases) {
    std::string out = Run(c.wire);
    EXPECT_TRUE(out.starts_with("HTTP/1.1 " + std::string(c.status_line))) << c.wire << out;
    EXPECT_NE(out.find(c.message), std::string::npos) << out;
    EXPECT_NE(out.find("Connection: close"), std::string::npos) << out;
    EXPECT_TRUE(conn_->close_after_write()) << c.wire;
  }
}

TEST_F(ConnectionTest, GzipBodyDecodedAndBombRefused) {
  std::string gz = *compress::GzipCompress("compressed!");
  std::string out =
      Run("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\n"
          "Content-Length: " +
          std::to_string(gz.size()) + "\r\n\r\n" + gz);
  EXPECT_NE(out.find("\r\n\r\ncompressed!"), std::string::npos) << out;
  std::string bomb = *compress::GzipCompress(std::string(100000, 'a'));
  ASSERT_LT(bomb.size(), 1000u);
  out = Run("POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: gzip\r\nContent-Length: " +
            std::to_string(bomb.size()) + "\r\n\r\n" + bomb);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 413")) << out;
}

// snappy is remote_write's body framing: the handler gets the bytes as sent.
TEST_F(ConnectionTest, SnappyBodyIsLeftToTheHandler) {
  const std::string framed = std::string("\x03\x08") + "ab";  // not decodable as HTTP codings
  std::string out = Run(
      "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Encoding: snappy\r\nContent-Length: 4\r\n\r\n" +
      framed);
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200")) << out;
  EXPECT_NE(out.find("\r\n\r\n" + framed), std::string::npos) << out;
}

TEST_F(ConnectionTest, RoutingHeadAndHandlerFailures) {
  std::string out = Run("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 404 Not Found\r\n")) << out;
  EXPECT_FALSE(conn_->close_after_write());  // routing misses keep the connection
  out = Run("DELETE /echo HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 405")) << out;
  EXPECT_NE(out.find("Allow: POST\r\n"), std::string::npos) << out;
  out = Run("HEAD /items/3 HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_NE(out.find("Content-Length: 10\r\n"), std::string::npos) << out;
  EXPECT_TRUE(out.ends_with("\r\n\r\n")) << out;
  out = Run("GET /throw HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 500")) << out;
  EXPECT_NE(out.find("boom"), std::string::npos) << out;
  out = Run("GET /evil HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 204")) << out;
  EXPECT_EQ(out.find("Set-Cookie"), std::string::npos) << out;
  EXPECT_EQ(out.find("Content-Length"), std::string::npos) << out;
  EXPECT_NE(out.find("Retry-After: 3\r\n"), std::string::npos) << out;
  out = Run(
      "POST /echo?a=1 HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
      "Content-Length: 3\r\n\r\n%zz");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 200")) << out;
  EXPECT_NE(out.find("X-Params: a=1;\r\n"), std::string::npos) << out;
  EXPECT_GE(counters_.responses_5xx.load(), 1u);
  EXPECT_GE(counters_.responses_4xx.load(), 2u);
}

TEST_F(ConnectionTest, ResponsesGzippedOnlyWhenAcceptedAndLarge) {
  std::string out = Run("GET /big HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
  size_t body = out.find("\r\n\r\n") + 4;
  EXPECT_NE(out.find("Content-Encoding: gzip\r\n"), std::string::npos) << out;
  EXPECT_EQ(*compress::GzipDecompress(out.substr(body), 1 << 20),
            "[" + std::string(5000, '1') + "]");
  out = Run("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
  EXPECT_EQ(out.find("Content-Encoding"), std::string::npos);
  out = Run("GET /items/1 HTTP/1.1\r\nHost: x\r\nAccept-Encoding: gzip\r\n\r\n");
  EXPECT_EQ(out.find("Content-Encoding"), std::string::npos);  // small
}

TEST_F(ConnectionTest, ExpectContinue) {
  std::string out =
      Run("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n")) << out;
  out =
      Run("POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 5000\r\n\r\n");
  EXPECT_TRUE(out.starts_with("HTTP/1.1 413")) << out;  // no 100 first
}

TEST_F(ConnectionTest, PipeliningPausesWhileOutputIsPending) {
  router_.Handle("GET", "/huge", [](const HttpRequest&) {
    return HttpResponse::Text(200, std::string(Connection::kMaxPendingOutput, 'x'));
  });
  Connection conn(config_, "peer");
  for (int i = 0; i < 100; ++i) conn.in() += "GET /huge HTTP/1.1\r\nHost: x\r\n\r\n";
  conn.Process(Clock::now());
  EXPECT_TRUE(conn.output_blocked());
  EXPECT_LT(conn.pending_output().size(), 2 * Connection::kMaxPendingOutput);
  int responses = 0;
  while (!conn.pending_output().empty()) {
    responses += Count(conn.pending_output(), "HTTP/1.1 200");
    conn.Wrote(conn.pending_output().size());
    conn.Process(Clock::now());
  }
  EXPECT_EQ(responses, 100);
}

TEST_F(ConnectionTest, TimeOutReplies408) {
  Connection conn(config_, "peer");
  conn.in() = "GET / HTTP/1.1\r\nHost:";
  conn.Process(Clock::now());
  EXPECT_TRUE(conn.mid_request());
  conn.TimeOut();
  EXPECT_TRUE(conn.pending_output().starts_with("HTTP/1.1 408")) << conn.pending_output();
  EXPECT_TRUE(conn.close_after_write());
}

}  // namespace
}  // namespace quartet::server

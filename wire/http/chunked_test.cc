#include "wire/http/chunked.h"

#include <gtest/gtest.h>

#include <random>

namespace quartet::http {
namespace {

// Feeds `wire` in pieces of `piece` bytes; returns the body, the bytes left
// after the message, or the error.
struct Outcome {
  Status status;
  std::string body;
  std::string rest;
  bool done = false;
};

Outcome Decode(std::string_view wire, size_t piece, ChunkedLimits limits = {}) {
  ChunkedDecoder d(limits);
  Outcome o;
  size_t pos = 0;
  while (pos < wire.size() && !d.done()) {
    std::string_view in = wire.substr(pos, piece);
    auto n = d.Feed(in, &o.body);
    if (!n.ok()) {
      o.status = n.status();
      return o;
    }
    pos += *n;
    if (*n < in.size()) break;
  }
  o.done = d.done();
  o.rest = std::string(wire.substr(pos));
  return o;
}

TEST(ChunkedDecoderTest, DecodesInAnyPieceSize) {
  const std::string wire =
      "5\r\nhello\r\n1;name=v\r\n \r\nA \r\n0123456789\r\n0\r\nX-Trailer: 1\r\n\r\nGET /next";
  for (size_t piece : {1, 2, 3, 7, 64, 1000}) {
    Outcome o = Decode(wire, piece);
    ASSERT_TRUE(o.status.ok()) << piece << ": " << o.status.ToString();
    EXPECT_TRUE(o.done) << piece;
    EXPECT_EQ(o.body, "hello 0123456789") << piece;
    EXPECT_EQ(o.rest, "GET /next") << piece;
  }
}

TEST(ChunkedDecoderTest, IncompleteMessageIsNotDone) {
  Outcome o = Decode("5\r\nhel", 100);
  EXPECT_TRUE(o.status.ok());
  EXPECT_FALSE(o.done);
  EXPECT_EQ(o.body, "hel");
  o = Decode("0\r\n", 100);
  EXPECT_TRUE(o.status.ok());
  EXPECT_FALSE(o.done);  // the empty line ending the trailer section is due
}

TEST(ChunkedDecoderTest, ErrorsMapToStatuses) {
  ChunkedLimits limits;
  limits.max_body_bytes = 16;
  limits.max_line_bytes = 20;
  limits.max_trailer_bytes = 30;
  struct Case {
    std::string wire;
    int status;
    std::string_view message_part;
  } cases[] = {
      {"x\r\n", 400, "not hexadecimal"},
      {"\r\n", 400, "not hexadecimal"},
      {"-1\r\n", 400, "not hexadecimal"},
      {"5x\r\nhello\r\n", 400, "garbage"},
      {"5\nhello\r\n", 400, "CRLF"},
      {"5\r\nhelloXY", 400, "CRLF"},
      {"5\r\nhello\rX", 400, "CRLF"},
      {"1000000000000000\r\n", 400, "too long"},
      {"5;" + std::string(30, 'e') + "\r\n", 400, "line too long"},
      {"11\r\n", 413, "limit of 16"},
      {"10\r\n0123456789abcdef\r\n1\r\n", 413, "limit of 16"},
      {"ffffffffffffff\r\n", 413, "limit"},
      {"0\r\nX: " + std::string(40, 'v') + "\r\n\r\n", 400, "trailer"},
      {"0\r\nnocolon\r\n\r\n", 400, "trailer"},
  };
  for (const Case& c : cases) {
    for (size_t piece : {1, 1000}) {
      Outcome o = Decode(c.wire, piece, limits);
      ASSERT_FALSE(o.status.ok()) << c.wire;
      EXPECT_EQ(HttpStatusForBodyError(o.status), c.status) << c.wire << o.status.ToString();
      EXPECT_NE(o.status.message().find(c.message_part), std::string_view::npos)
          << o.status.ToString();
      EXPECT_LE(o.body.size(), limits.max_body_bytes);
    }
  }
}

TEST(ChunkedDecoderTest, FailedDecoderStaysFailedAndResetRecovers) {
  ChunkedDecoder d;
  std::string body;
  EXPECT_FALSE(d.Feed("zz\r\n", &body).ok());
  EXPECT_FALSE(d.Feed("0\r\n\r\n", &body).ok());
  d.Reset();
  auto n = d.Feed("0\r\n\r\n", &body);
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(*n, 5u);
  EXPECT_TRUE(d.done());
}

// Random bodies in random chunk sizes, fed in random pieces, round-trip.
TEST(ChunkedDecoderTest, RandomRoundTrip) {
  std::mt19937 rng(11);
  for (int iter = 0; iter < 200; ++iter) {
    std::string body(rng() % 5000, '\0');
    for (char& c : body) c = static_cast<char>(rng());
    std::string wire;
    for (size_t pos = 0; pos < body.size();) {
      size_t n = std::min<size_t>(body.size() - pos, 1 + rng() % 700);
      char size[32];
      snprintf(size, sizeof(size), "%zx\r\n", n);
      wire += size;
      wire.append(body, pos, n);
      wire += "\r\n";
      pos += n;
    }
    wire += "0\r\n\r\n";
    Outcome o = Decode(wire, 1 + rng() % 300);
    ASSERT_TRUE(o.status.ok()) << o.status.ToString();
    ASSERT_TRUE(o.done);
    ASSERT_EQ(o.body, body);
    EXPECT_TRUE(o.rest.empty());
  }
}

}  // namespace
}  // namespace quartet::http

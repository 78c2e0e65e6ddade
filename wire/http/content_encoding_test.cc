#include "wire/http/content_encoding.h"

#include <gtest/gtest.h>

#include "wire/compress/gzip.h"
#include "wire/http/chunked.h"

namespace quartet::http {
namespace {

TEST(ContentEncodingTest, DecodesSupportedCodings) {
  const std::string plain(5000, 'x');
  const std::string gz = *compress::GzipCompress(plain);
  const std::string zl = *compress::ZlibCompress(plain);
  struct Case {
    std::string_view encoding;
    std::string body;
  } cases[] = {
      {"", plain},
      {"identity", plain},
      {"gzip", gz},
      {"GZip", gz},
      {"x-gzip", gz},
      {"deflate", zl},
      {" gzip , identity", gz},
      {"deflate, gzip", *compress::GzipCompress(zl)},
  };
  for (const Case& c : cases) {
    auto r = DecodeContentEncoding(c.encoding, c.body, 1 << 20);
    ASSERT_TRUE(r.ok()) << c.encoding << ": " << r.status().ToString();
    EXPECT_EQ(*r, plain) << c.encoding;
  }
}

TEST(ContentEncodingTest, ErrorsMapToStatuses) {
  const std::string plain(5000, 'x');
  const std::string gz = *compress::GzipCompress(plain);
  struct Case {
    std::string_view encoding;
    std::string body;
    size_t limit;
    int status;
    std::string_view message_part;
  } cases[] = {
      {"br", plain, 1 << 20, 415, "'br'"},
      {"gzip, zstd", gz, 1 << 20, 415, "zstd"},
      {"gzip", gz, 4999, 413, "4999"},
      {"", plain, 4999, 413, "4999"},
      {"gzip", gz.substr(0, gz.size() - 3), 1 << 20, 400, "gzip"},
      {"gzip", "not gzip", 1 << 20, 400, "gzip"},
      {"deflate", gz, 1 << 20, 400, "deflate"},
  };
  for (const Case& c : cases) {
    auto r = DecodeContentEncoding(c.encoding, c.body, c.limit);
    ASSERT_FALSE(r.ok()) << c.encoding;
    EXPECT_EQ(HttpStatusForBodyError(r.status()), c.status) << c.encoding << r.status().ToString();
    EXPECT_NE(r.status().message().find(c.message_part), std::string_view::npos)
        << r.status().ToString();
  }
}

TEST(ContentEncodingTest, GzipBombIsRefusedAtTheLimit) {
  const std::string bomb = *compress::GzipCompress(std::string(64 << 20, '\0'), 9);
  ASSERT_LT(bomb.size(), 200u << 10);
  auto r = DecodeContentEncoding("gzip", bomb, 20 << 20);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(HttpStatusForBodyError(r.status()), 413);
}

TEST(RequestHeadTest, AcceptsGzip) {
  struct Case {
    std::string_view value;
    bool want;
  } cases[] = {
      {"", false},
      {"gzip", true},
      {"GZIP", true},
      {"x-gzip", true},
      {"deflate, gzip;q=1.0, *;q=0.5", true},
      {"br, deflate", false},
      {"gzip;q=0", false},
      {"gzip; q=0.000", false},
      {"gzip;q=0.001", true},
      {"*", true},
      {"*;q=0", false},
      {"gzip;q=0, *", false},  // explicitly refused beats the wildcard
      {"identity", false},
  };
  for (const Case& c : cases) EXPECT_EQ(AcceptsGzip(c.value), c.want) << c.value;
}

}  // namespace
}  // namespace quartet::http

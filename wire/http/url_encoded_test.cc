#include "wire/http/url_encoded.h"

#include <gtest/gtest.h>

namespace quartet::http {
namespace {

TEST(UrlEncodedTest, ParsesInOrderWithRepeatedKeys) {
  struct Case {
    std::string_view in;
    Params want;
  } cases[] = {
      {"", {}},
      {"a=1", {{"a", "1"}}},
      {"match[]=up&match[]=%7Bjob%3D%22x%22%7D", {{"match[]", "up"}, {"match[]", "{job=\"x\"}"}}},
      {"query=sum+by+(x)%20y", {{"query", "sum by (x) y"}}},
      {"a=1&&b=&flag&=v", {{"a", "1"}, {"b", ""}, {"flag", ""}, {"", "v"}}},
      {"k=a=b", {{"k", "a=b"}}},
      {"%2B=%2b+", {{"+", "+ "}}},
      {"u=%C3%A9", {{"u", "\xC3\xA9"}}},
  };
  for (const Case& c : cases) {
    Params got;
    ASSERT_TRUE(ParseUrlEncoded(c.in, &got).ok()) << c.in;
    EXPECT_EQ(got, c.want) << c.in;
  }
}

TEST(UrlEncodedTest, MalformedEscapesAreErrors) {
  for (std::string_view in : {"a=%", "a=%2", "a=%zz", "%g1=1", "a=1&b=%%"}) {
    Params got;
    Status s = ParseUrlEncoded(in, &got);
    ASSERT_FALSE(s.ok()) << in;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_NE(s.message().find("percent-escape"), std::string_view::npos) << s.ToString();
  }
  Params got;
  Status s = ParseUrlEncoded("query=%zz", &got);
  EXPECT_NE(s.message().find("'query'"), std::string_view::npos) << s.ToString();
}

TEST(UrlEncodedTest, DecodePath) {
  EXPECT_EQ(*DecodePath("/api/traces/a%2Fb+c"), "/api/traces/a/b+c");
  EXPECT_EQ(*DecodePath("/loki/api/v1/label/service_name/values"),
            "/loki/api/v1/label/service_name/values");
  EXPECT_FALSE(DecodePath("/x%00").ok());
  EXPECT_FALSE(DecodePath("/x%4").ok());
}

}  // namespace
}  // namespace quartet::http

#include "server/http/router.h"

#include <gtest/gtest.h>

namespace quartet::server {
namespace {

HttpHandler Named(std::string name) {
  return [name](const HttpRequest&) { return HttpResponse::Text(200, name); };
}

std::string Call(const Router::Match& m) {
  return m.handler ? (*m.handler)(HttpRequest{}).body : "status " + std::to_string(m.status);
}

TEST(RouterTest, MatchesLiteralsCapturesAndMethods) {
  Router r;
  r.Handle("GET", "/api/traces/:id", Named("trace"));
  r.Handle("GET", "/api/search", Named("search"));
  r.Handle("GET", "/api/search/tags", Named("tags"));
  r.Handle("GET", "/api/search/:x", Named("search-x"));
  r.Handle("GET", "/api/search/tag/:tag/values", Named("tag-values"));
  r.Handle("POST", "/v1/traces", Named("otlp"));
  r.Handle("GET", "/loki/api/v1/label/:name/values", Named("label-values"));
  r.Handle("POST", "/loki/api/v1/query_range", Named("lqr-post"));
  r.Handle("GET", "/loki/api/v1/query_range", Named("lqr-get"));
  r.Handle("GET", "/:any", Named("catch-one"));
  r.Handle("POST", "/ready", Named("ready-post"));
  struct Case {
    std::string_view method, path, want;
  } cases[] = {
      {"GET", "/api/traces/abc", "trace"},
      {"GET", "/api/search", "search"},
      {"GET", "/api/search/tags", "tags"},  // literal beats capture
      {"GET", "/api/search/other", "search-x"},
      {"GET", "/api/search/tag/service.name/values", "tag-values"},
      {"POST", "/v1/traces", "otlp"},
      {"GET", "/v1/traces", "status 405"},
      {"HEAD", "/api/search", "search"},  // HEAD served by GET
      {"GET", "/loki/api/v1/label/job/values", "label-values"},
      {"POST", "/loki/api/v1/query_range", "lqr-post"},
      {"GET", "/loki/api/v1/query_range", "lqr-get"},
      {"GET", "/nope/nope", "status 404"},
      {"GET", "/api/traces", "status 404"},
      {"GET", "/api/traces/", "status 404"},  // empty capture
      {"GET", "/ready", "catch-one"},         // less specific, but has GET
      {"POST", "/ready", "ready-post"},
      {"DELETE", "/ready", "status 405"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(Call(r.Find(c.method, c.path)), c.want) << c.method << " " << c.path;
  }
}

TEST(RouterTest, CapturesAreDecodedAndAllowIsListed) {
  Router r;
  r.Handle("GET", "/api/traces/:id/:part", Named("t"));
  r.Handle("POST", "/api/traces/:id/:part", Named("t"));
  auto m = r.Find("GET", "/api/traces/a%2Fb/x%20y");
  ASSERT_NE(m.handler, nullptr);
  ASSERT_EQ(m.path_params.size(), 2u);
  EXPECT_EQ(m.path_params[0], (std::pair<std::string, std::string>("id", "a/b")));
  EXPECT_EQ(m.path_params[1], (std::pair<std::string, std::string>("part", "x y")));
  m = r.Find("PUT", "/api/traces/1/2");
  EXPECT_EQ(m.handler, nullptr);
  EXPECT_EQ(m.status, 405);
  EXPECT_EQ(m.allow, "GET, HEAD, POST");
}

TEST(RouterTest, LaterRegistrationReplaces) {
  Router r;
  r.Handle("GET", "/x", Named("old"));
  r.Handle("GET", "/x", Named("new"));
  EXPECT_EQ(Call(r.Find("GET", "/x")), "new");
}

}  // namespace
}  // namespace quartet::server

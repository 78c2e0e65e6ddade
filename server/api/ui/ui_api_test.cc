#include "server/api/ui/ui_api.h"

#include <gtest/gtest.h>

#include <string>
#include <vector>

namespace quartet::api {
namespace {

using server::HttpRequest;
using server::HttpResponse;
using server::Router;

const UiAsset kAssets[] = {
    {"index.html", "<!doctype html><title>q</title>", "GZ-INDEX", "\"idx1\""},
    {"assets/app-ABC.js", "console.log(1)", "", "\"js1\""},
    {"assets/app-ABC.css", "body{}", "GZ-CSS", "\"css1\""},
};

std::string HeaderOf(const HttpResponse& r, std::string_view name) {
  for (const auto& [n, v] : r.headers) {
    if (n == name) return v;
  }
  return "<absent>";
}

// Routes `path` through a router holding the UI and a few API routes, as
// quartetd's does, and calls the handler found.
struct Served {
  int status;
  std::string body;
  HttpResponse response;
};
Served Serve(const Router& router, std::string_view path,
             std::vector<std::pair<std::string, std::string>> headers = {}) {
  Router::Match m = router.Find("GET", path);
  if (m.handler == nullptr) return {m.status, "", {}};
  HttpRequest request;
  request.method = "GET";
  request.path = std::string(path);
  request.headers = std::move(headers);
  request.path_params = m.path_params;
  HttpResponse r = (*m.handler)(request);
  return {r.status, r.body, r};
}

Router UiRouter(std::span<const UiAsset> assets, UiApi* ui) {
  Router router;
  auto api = [](const HttpRequest&) { return HttpResponse::Text(200, "api"); };
  for (const char* p : {"/api/search", "/api/traces/:id", "/api/v1/traces/:id/logs",
                        "/loki/api/v1/query_range", "/metrics", "/ready", "/healthz"}) {
    router.Handle("GET", p, api);
  }
  router.Handle("POST", "/v1/traces", api);
  ui->Register(&router);
  return router;
}

TEST(UiApiTest, AppPathsServeIndexAndApiPathsStayTheApis) {
  UiApi ui(kAssets);
  Router router = UiRouter(kAssets, &ui);
  struct Case {
    std::string_view path;
    int status;
    std::string_view body;
  } cases[] = {
      {"/", 200, kAssets[0].body},
      {"/ui", 200, kAssets[0].body},
      {"/ui/", 200, kAssets[0].body},
      {"/ui/explore/logs", 200, kAssets[0].body},
      {"/ui/explore/traces", 200, kAssets[0].body},
      {"/ui/trace/4bf92f3577b34da6a3ce929d0e0e4736", 200, kAssets[0].body},
      {"/ui/a/b/c/d", 200, kAssets[0].body},
      {"/ui/assets/app-ABC.js", 200, "console.log(1)"},
      {"/ui/assets/missing.js", 404, "no such UI asset\n"},
      {"/ui/assets/..%2Findex.html", 404, "no such UI asset\n"},
      // Not shadowed: the APIs answer, unknown top-level paths stay 404.
      {"/api/search", 200, "api"},
      {"/api/traces/abc", 200, "api"},
      {"/api/v1/traces/abc/logs", 200, "api"},
      {"/loki/api/v1/query_range", 200, "api"},
      {"/metrics", 200, "api"},
      {"/ready", 200, "api"},
      {"/healthz", 200, "api"},
      {"/v1/traces", 405, ""},
      {"/index.html", 404, ""},
      {"/api/unknown", 404, ""},
  };
  for (const Case& c : cases) {
    Served s = Serve(router, c.path);
    EXPECT_EQ(s.status, c.status) << c.path;
    EXPECT_EQ(s.body, c.body) << c.path;
  }
}

TEST(UiApiTest, HeadersCachingAndConditionalRequests) {
  UiApi ui(kAssets);
  Router router = UiRouter(kAssets, &ui);

  Served index = Serve(router, "/ui/explore/logs");
  EXPECT_EQ(index.response.content_type, "text/html; charset=utf-8");
  EXPECT_EQ(HeaderOf(index.response, "Cache-Control"), "no-cache");
  EXPECT_EQ(HeaderOf(index.response, "ETag"), "\"idx1\"");
  EXPECT_EQ(HeaderOf(index.response, "X-Content-Type-Options"), "nosniff");
  const std::string csp = HeaderOf(index.response, "Content-Security-Policy");
  EXPECT_NE(csp.find("script-src 'self'"), std::string::npos) << csp;
  EXPECT_NE(csp.find("default-src 'none'"), std::string::npos) << csp;
  EXPECT_EQ(csp.find("unsafe-inline"), std::string::npos) << csp;

  Served js = Serve(router, "/ui/assets/app-ABC.js");
  EXPECT_EQ(js.response.content_type, "text/javascript; charset=utf-8");
  EXPECT_EQ(HeaderOf(js.response, "Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_EQ(HeaderOf(js.response, "ETag"), "\"js1\"");
  EXPECT_EQ(HeaderOf(js.response, "Content-Security-Policy"), "<absent>");

  struct Conditional {
    std::string_view if_none_match;
    int status;
  } conditionals[] = {
      {"\"idx1\"", 304}, {"W/\"idx1\"", 304}, {"\"x\", \"idx1\"", 304},
      {"*", 304},        {"\"idx2\"", 200},   {"idx1", 200},
  };
  for (const Conditional& c : conditionals) {
    Served s = Serve(router, "/", {{"if-none-match", std::string(c.if_none_match)}});
    EXPECT_EQ(s.status, c.status) << c.if_none_match;
    if (c.status == 304) {
      EXPECT_TRUE(s.body.empty());
      EXPECT_EQ(HeaderOf(s.response, "ETag"), "\"idx1\"");
    }
  }
}

TEST(UiApiTest, GzipTwinSentOnlyToClientsThatAcceptIt) {
  UiApi ui(kAssets);
  Router router = UiRouter(kAssets, &ui);
  struct Case {
    std::string_view path, accept_encoding, body, content_encoding;
  } cases[] = {
      {"/", "gzip, deflate, br", "GZ-INDEX", "gzip"},
      {"/", "", kAssets[0].body, "<absent>"},
      {"/", "gzip;q=0", kAssets[0].body, "<absent>"},
      {"/ui/assets/app-ABC.css", "gzip", "GZ-CSS", "gzip"},
      {"/ui/assets/app-ABC.js", "gzip", "console.log(1)", "<absent>"},  // no twin
  };
  for (const Case& c : cases) {
    Served s = Serve(router, c.path, {{"accept-encoding", std::string(c.accept_encoding)}});
    EXPECT_EQ(s.body, c.body) << c.path << " " << c.accept_encoding;
    EXPECT_EQ(HeaderOf(s.response, "Content-Encoding"), c.content_encoding)
        << c.path << " " << c.accept_encoding;
  }
}

TEST(UiApiTest, NotBuiltAnswers503SayingHowToBuild) {
  UiApi ui(std::span<const UiAsset>{});
  Router router = UiRouter({}, &ui);
  for (std::string_view path : {"/", "/ui/explore/logs", "/ui/assets/app.js"}) {
    Served s = Serve(router, path);
    EXPECT_EQ(s.status, 503) << path;
    EXPECT_NE(s.body.find("./setup"), std::string::npos) << s.body;
  }
  EXPECT_EQ(Serve(router, "/api/search").status, 200);
}

TEST(UiApiTest, ContentTypes) {
  struct Case {
    std::string_view path, type;
  } cases[] = {
      {"index.html", "text/html; charset=utf-8"},
      {"assets/a.js", "text/javascript; charset=utf-8"},
      {"assets/a.css", "text/css; charset=utf-8"},
      {"assets/a.js.map", "application/json"},
      {"assets/i.svg", "image/svg+xml"},
      {"assets/f.woff2", "font/woff2"},
      {"assets/noext", "application/octet-stream"},
  };
  for (const Case& c : cases) EXPECT_EQ(UiContentType(c.path), c.type) << c.path;
}

TEST(UiApiTest, EmbeddedAssetsHaveAnIndexOrNothing) {
  // Either the UI was built before quartetd (then index.html and its hashed
  // assets are there) or the list is empty and the app answers 503.
  std::span<const UiAsset> embedded = EmbeddedUiAssets();
  if (embedded.empty()) return;
  bool index = false;
  for (const UiAsset& a : embedded) {
    EXPECT_FALSE(a.body.empty()) << a.path;
    EXPECT_EQ(a.etag.front(), '"') << a.path;
    if (a.path == "index.html") index = true;
    if (a.path != "index.html") {
      EXPECT_TRUE(a.path.starts_with("assets/")) << a.path;
    }
  }
  EXPECT_TRUE(index);
}

}  // namespace
}  // namespace quartet::api

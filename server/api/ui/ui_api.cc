#include "server/api/ui/ui_api.h"

#include <utility>

#include "wire/http/content_encoding.h"

namespace quartet::api {
namespace {

using server::HttpRequest;
using server::HttpResponse;

// The app needs nothing from elsewhere; everything it shows is data from
// untrusted senders, so nothing in it may become a script, a style from
// outside, or a request (img-src also allows data: for the inline icon).
constexpr std::string_view kContentSecurityPolicy =
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; "
    "frame-ancestors 'none'";

constexpr std::string_view kNotBuilt =
    "quartetd was built without its web UI. Run ./setup (or: cd ui && npm ci && npm run build),\n"
    "then rebuild quartetd. The query APIs (/api/search, /loki/api/v1/query_range, ...) work "
    "without it.\n";

// Whether an If-None-Match header names `etag` (a list, or "*").
bool EtagMatches(std::string_view if_none_match, std::string_view etag) {
  while (!if_none_match.empty()) {
    size_t comma = if_none_match.find(',');
    std::string_view tag = if_none_match.substr(0, comma);
    while (!tag.empty() && (tag.front() == ' ' || tag.front() == '\t')) tag.remove_prefix(1);
    while (!tag.empty() && (tag.back() == ' ' || tag.back() == '\t')) tag.remove_suffix(1);
    if (tag.starts_with("W/")) tag.remove_prefix(2);  // weak comparison, as RFC 9110 asks
    if (tag == "*" || tag == etag) return true;
    if (comma == std::string_view::npos) break;
    if_none_match.remove_prefix(comma + 1);
  }
  return false;
}

}  // namespace

std::string_view UiContentType(std::string_view path) {
  static constexpr std::pair<std::string_view, std::string_view> kTypes[] = {
      {".html", "text/html; charset=utf-8"},
      {".js", "text/javascript; charset=utf-8"},
      {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},
      {".map", "application/json"},
      {".svg", "image/svg+xml"},
      {".png", "image/png"},
      {".ico", "image/x-icon"},
      {".woff2", "font/woff2"},
      {".txt", "text/plain; charset=utf-8"},
  };
  for (const auto& [ext, type] : kTypes) {
    if (path.ends_with(ext)) return type;
  }
  return "application/octet-stream";
}

UiApi::UiApi(std::span<const UiAsset> assets) {
  for (const UiAsset& a : assets) by_path_.emplace(std::string(a.path), &a);
  auto index = by_path_.find(std::string_view("index.html"));
  if (index != by_path_.end()) index_ = index->second;
}

void UiApi::Register(server::Router* router) {
  auto app = [this](const HttpRequest& r) { return App(r); };
  for (std::string_view pattern :
       {"/", "/ui", "/ui/", "/ui/:a", "/ui/:a/:b", "/ui/:a/:b/:c", "/ui/:a/:b/:c/:d"}) {
    router->Handle("GET", pattern, app);
  }
  router->Handle("GET", "/ui/assets/:file", [this](const HttpRequest& r) { return Asset(r); });
}

HttpResponse UiApi::App(const HttpRequest& request) const {
  if (index_ == nullptr) return HttpResponse::Text(503, std::string(kNotBuilt));
  HttpResponse r = Send(request, *index_, "no-cache");
  r.headers.emplace_back("Content-Security-Policy", std::string(kContentSecurityPolicy));
  r.headers.emplace_back("X-Frame-Options", "DENY");
  r.headers.emplace_back("Referrer-Policy", "no-referrer");
  return r;
}

HttpResponse UiApi::Asset(const HttpRequest& request) const {
  if (index_ == nullptr) return HttpResponse::Text(503, std::string(kNotBuilt));
  const std::string path = "assets/" + std::string(request.PathParam("file"));
  auto it = by_path_.find(std::string_view(path));
  if (it == by_path_.end()) return HttpResponse::Text(404, "no such UI asset\n");
  // Asset names carry their content hash, so a name never changes meaning.
  return Send(request, *it->second, "public, max-age=31536000, immutable");
}

HttpResponse UiApi::Send(const HttpRequest& request, const UiAsset& asset,
                         std::string_view cache_control) const {
  HttpResponse r;
  r.headers.emplace_back("ETag", std::string(asset.etag));
  r.headers.emplace_back("Cache-Control", std::string(cache_control));
  r.headers.emplace_back("X-Content-Type-Options", "nosniff");
  if (!asset.etag.empty() && EtagMatches(request.Header("if-none-match"), asset.etag)) {
    r.status = 304;
    return r;
  }
  r.status = 200;
  r.content_type = std::string(UiContentType(asset.path));
  if (!asset.gzip_body.empty() && http::AcceptsGzip(request.Header("accept-encoding"))) {
    r.body = std::string(asset.gzip_body);
    r.headers.emplace_back("Content-Encoding", "gzip");
    // Without gzip the server adds Vary itself to bodies it could compress.
    r.headers.emplace_back("Vary", "Accept-Encoding");
  } else {
    r.body = std::string(asset.body);
  }
  return r;
}

}  // namespace quartet::api

// UiApi: serves quartet's web UI (ui/, an app of plain TypeScript) from files
// embedded in the quartetd binary at build time (embed_ui.cmake turns ui/dist
// into a generated .cc), so the one binary carries its UI and works offline:
//   GET /                      the app (index.html)
//   GET /ui, /ui/<view>...     the app too (up to 4 segments below /ui): the
//                              app routes on the URL, so a link to any view
//                              (/ui/trace/<id>, /ui/explore/logs?q=...) loads it
//   GET /ui/assets/<file>      the content-hashed bundle files: immutable for
//                              a year, 404 for an unknown name
// Only those paths are registered, so no API path (/api, /loki, /v1, /metrics,
// /ready, /healthz) is shadowed. index.html is revalidated on each load
// (no-cache + ETag; If-None-Match -> 304) and carries a strict
// Content-Security-Policy: scripts, styles, images and requests from this
// origin only, so data shown by the app can neither run nor make the browser
// fetch anything. Files built with a gzip twin are sent gzip'd to clients
// that accept it. When quartetd was built before the UI, the app paths answer
// 503 with how to build it.
//
// Thread-safety: immutable after construction; handlers may run concurrently.
#pragma once

#include <map>
#include <span>
#include <string>
#include <string_view>

#include "server/http/http_message.h"
#include "server/http/router.h"

namespace quartet::api {

// One file of the built UI; views of static storage.
struct UiAsset {
  std::string_view path;       // relative to ui/dist: "index.html", "assets/app-3F2A.js"
  std::string_view body;       // the file
  std::string_view gzip_body;  // the same, gzip'd; empty when not built with one
  std::string_view etag;       // quoted entity tag, e.g. "\"9a1f...\""
};

// The files of ui/dist embedded at build time; empty when the UI was not
// built. Defined in the generated ui_embedded.cc.
std::span<const UiAsset> EmbeddedUiAssets();

// The Content-Type for a file name by its extension ("application/octet-stream"
// for unknown ones).
std::string_view UiContentType(std::string_view path);

class UiApi {
 public:
  // `assets` must outlive this object (the embedded ones are static).
  explicit UiApi(std::span<const UiAsset> assets = EmbeddedUiAssets());

  void Register(server::Router* router);
  // The app's index.html for any app path, or 503 when the UI was not built.
  server::HttpResponse App(const server::HttpRequest& request) const;
  // A file under assets/ by the request's ":file" path parameter.
  server::HttpResponse Asset(const server::HttpRequest& request) const;

 private:
  server::HttpResponse Send(const server::HttpRequest& request, const UiAsset& asset,
                            std::string_view cache_control) const;

  std::map<std::string, const UiAsset*, std::less<>> by_path_;
  const UiAsset* index_ = nullptr;
};

}  // namespace quartet::api

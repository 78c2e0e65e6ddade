// Router: maps (method, path) to an HttpHandler. Patterns are paths whose
// segments are literals or ":name" captures ("/api/traces/:id",
// "/loki/api/v1/label/:name/values"); a path matches a pattern with the same
// number of segments. When several patterns match, the one with a literal at
// the first segment where they differ wins ("/api/search/tags" beats
// "/api/search/:x"), and among patterns that have a handler for the method the
// most specific is used. A path no pattern matches is a 404; a path matched
// only for other methods is a 405 whose Allow header lists them. HEAD is
// served by the GET handler unless HEAD is registered.
//
// Thread-safety: Handle() only before the router is given to the server;
// Find() is const and safe to call concurrently.
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "server/http/http_message.h"

namespace quartet::server {

class Router {
 public:
  // Registers `h` for `method` (upper-case, e.g. "GET") and `pattern` (starts
  // with '/'). A later registration of the same method and pattern replaces
  // the earlier one.
  void Handle(std::string_view method, std::string_view pattern, HttpHandler h);

  struct Match {
    const HttpHandler* handler = nullptr;  // null: reply `status`
    int status = 404;                      // 404 or 405 when handler is null
    std::string allow;                     // for 405: "GET, HEAD, POST"
    std::vector<std::pair<std::string, std::string>> path_params;
  };
  // Looks up `raw_path` (still percent-encoded, so that "%2F" inside a
  // capture does not split a segment); captures are percent-decoded.
  Match Find(std::string_view method, std::string_view raw_path) const;

 private:
  struct Segment {
    bool capture;
    std::string text;  // literal text, or the capture's name
  };
  struct Route {
    std::vector<Segment> segments;
    std::vector<std::pair<std::string, HttpHandler>> methods;
  };
  std::vector<Route> routes_;
};

}  // namespace quartet::server

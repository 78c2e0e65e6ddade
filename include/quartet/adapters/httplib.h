// Binds quartet's HTTP middleware chain (quartet/http.h) to cpp-httplib
// (Debian libcpp-httplib-dev). Header-only so libquartet itself never depends
// on cpp-httplib: include this only in a service that already uses it.
//
//   httplib::Server server;
//   quartet::httplib_adapter::Route(server, "GET", "/orders/:id",
//       [](const httplib::Request& req, httplib::Response& res,
//          const quartet::httplib_adapter::Params& params) {
//         res.set_content(params.at("id"), "text/plain");
//       });
//
// Route templates use ":name" segments; the span name and the http.route label
// are the template, never the raw path. Thread-safety: as cpp-httplib's: each
// request runs on one of the server's worker threads.
#pragma once

#include <httplib.h>

#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quartet/http.h"

namespace quartet::httplib_adapter {

using Params = std::map<std::string, std::string>;
using RouteHandler =
    std::function<void(const httplib::Request&, httplib::Response&, const Params&)>;

class Exchange final : public http::Exchange {
 public:
  Exchange(const httplib::Request& req, httplib::Response& res, std::string_view route,
           const Params& params)
      : req_(req), res_(res), route_(route), params_(params) {}

  const httplib::Request& request() const { return req_; }
  httplib::Response& response() { return res_; }
  const Params& params() const { return params_; }

  std::string_view method() const override { return req_.method; }
  std::string_view path() const override { return req_.path; }
  std::string_view route() const override { return route_; }
  std::optional<std::string> request_header(std::string_view name) const override {
    std::string key(name);
    if (!req_.has_header(key.c_str())) return std::nullopt;
    return req_.get_header_value(key.c_str());
  }
  void set_response_header(std::string_view name, std::string_view value) override {
    res_.set_header(std::string(name).c_str(), std::string(value));
  }
  int status() const override { return res_.status > 0 ? res_.status : 0; }
  void Reply(int status, std::string body, std::string_view content_type) override {
    res_.status = status;
    res_.set_content(std::move(body), std::string(content_type).c_str());
  }

 private:
  const httplib::Request& req_;
  httplib::Response& res_;
  std::string_view route_;
  const Params& params_;
};

namespace internal {

// "/orders/:id" -> regex "/orders/([^/]+)" and the names {"id"}.
inline std::pair<std::string, std::vector<std::string>> CompileTemplate(std::string_view route) {
  std::string regex;
  std::vector<std::string> names;
  size_t i = 0;
  while (i < route.size()) {
    if (route[i] == ':' && (i == 0 || route[i - 1] == '/')) {
      size_t end = route.find('/', i);
      if (end == std::string_view::npos) end = route.size();
      names.emplace_back(route.substr(i + 1, end - i - 1));
      regex += "([^/]+)";
      i = end;
      continue;
    }
    char c = route[i++];
    if (std::string_view(".^$|()[]{}*+?\\").find(c) != std::string_view::npos) regex += '\\';
    regex += c;
  }
  return {regex, names};
}

}  // namespace internal

// Registers `handler` for `method` and `route_template`, wrapped in the
// standard chain (tracing -> correlation -> metrics -> recovery).
inline void Route(httplib::Server& server, std::string_view method, std::string route_template,
                  RouteHandler handler) {
  auto [regex, names] = internal::CompileTemplate(route_template);
  auto route = std::make_shared<const std::string>(std::move(route_template));
  // The chain is built once per route; each request only makes an Exchange.
  http::Handler chain = http::Instrument([handler = std::move(handler)](http::Exchange& ex) {
    auto& exchange = static_cast<Exchange&>(ex);
    handler(exchange.request(), exchange.response(), exchange.params());
    if (exchange.response().status <= 0) exchange.response().status = 200;
  });
  auto wrapped = [route, names = std::move(names), chain = std::move(chain)](
                     const httplib::Request& req, httplib::Response& res) {
    Params params;
    for (size_t i = 0; i < names.size() && i + 1 < req.matches.size(); ++i) {
      params[names[i]] = req.matches[i + 1].str();
    }
    Exchange exchange(req, res, *route, params);
    chain(exchange);
  };
  if (method == "GET") {
    server.Get(regex, wrapped);
  } else if (method == "POST") {
    server.Post(regex, wrapped);
  } else if (method == "PUT") {
    server.Put(regex, wrapped);
  } else if (method == "DELETE") {
    server.Delete(regex, wrapped);
  } else if (method == "PATCH") {
    server.Patch(regex, wrapped);
  } else if (method == "OPTIONS") {
    server.Options(regex, wrapped);
  }
}

}  // namespace quartet::httplib_adapter

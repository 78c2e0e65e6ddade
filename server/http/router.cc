#include "server/http/router.h"

#include <algorithm>

#include "wire/http/url_encoded.h"

namespace quartet::server {
namespace {

std::vector<std::string_view> SplitPath(std::string_view path) {
  std::vector<std::string_view> out;
  if (path.starts_with('/')) path.remove_prefix(1);
  while (true) {
    size_t slash = path.find('/');
    out.push_back(path.substr(0, slash));
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

}  // namespace

void Router::Handle(std::string_view method, std::string_view pattern, HttpHandler h) {
  std::vector<Segment> segments;
  for (std::string_view s : SplitPath(pattern)) {
    bool capture = s.starts_with(':') && s.size() > 1;
    segments.push_back({capture, std::string(capture ? s.substr(1) : s)});
  }
  auto same = [&](const Route& r) {
    if (r.segments.size() != segments.size()) return false;
    for (size_t i = 0; i < segments.size(); ++i) {
      if (r.segments[i].capture != segments[i].capture) return false;
      if (!segments[i].capture && r.segments[i].text != segments[i].text) return false;
    }
    return true;
  };
  auto route = std::find_if(routes_.begin(), routes_.end(), same);
  if (route == routes_.end()) {
    routes_.push_back({std::move(segments), {}});
    route = routes_.end() - 1;
  }
  for (auto& [m, handler] : route->methods) {
    if (m == method) {
      handler = std::move(h);
      return;
    }
  }
  route->methods.emplace_back(std::string(method), std::move(h));
}

Router::Match Router::Find(std::string_view method, std::string_view raw_path) const {
  Match match;
  std::vector<std::string_view> parts = SplitPath(raw_path);
  std::vector<std::string> decoded;
  decoded.reserve(parts.size());
  for (std::string_view p : parts) {
    auto d = http::PercentDecodeStrict(p, /*plus_as_space=*/false);
    decoded.push_back(d.ok() ? std::move(d).value() : std::string(p));
  }

  // Candidates in order of specificity: literal before capture at the first
  // difference, i.e. the lexicographically greatest "is literal" vector.
  const Route* best = nullptr;
  const HttpHandler* best_handler = nullptr;
  std::vector<bool> best_shape;
  std::vector<std::string> allowed;
  for (const Route& r : routes_) {
    if (r.segments.size() != decoded.size()) continue;
    std::vector<bool> shape(decoded.size());
    bool ok = true;
    for (size_t i = 0; i < decoded.size() && ok; ++i) {
      shape[i] = !r.segments[i].capture;
      ok = r.segments[i].capture ? !decoded[i].empty() : r.segments[i].text == decoded[i];
    }
    if (!ok) continue;
    const HttpHandler* handler = nullptr;
    for (const auto& [m, h] : r.methods) {
      allowed.push_back(m);
      if (m == "GET") allowed.push_back("HEAD");
      if (m == method) handler = &h;
    }
    if (!handler && method == "HEAD") {
      for (const auto& [m, h] : r.methods) {
        if (m == "GET") handler = &h;
      }
    }
    if (handler && (!best || shape > best_shape)) {
      best = &r;
      best_handler = handler;
      best_shape = std::move(shape);
    }
  }
  if (best) {
    match.handler = best_handler;
    match.status = 200;
    for (size_t i = 0; i < decoded.size(); ++i) {
      if (best->segments[i].capture) {
        match.path_params.emplace_back(best->segments[i].text, std::move(decoded[i]));
      }
    }
    return match;
  }
  if (allowed.empty()) return match;  // 404
  std::sort(allowed.begin(), allowed.end());
  allowed.erase(std::unique(allowed.begin(), allowed.end()), allowed.end());
  match.status = 405;
  for (const std::string& m : allowed) {
    if (!match.allow.empty()) match.allow += ", ";
    match.allow += m;
  }
  return match;
}

}  // namespace quartet::server

// Deploy annotations: tell the observability server that a new version (or a
// migration) went out, so every chart can mark the moment. Posts a Grafana
// annotation (POST <server>/api/annotations, epoch milliseconds) that quartetd
// and Grafana both accept. Tags carry the identity: "deploy",
// "service=<name>", "version=<v>", "env=<e>" plus any given.
//
//   quartet::DeployEvent event{.service = "checkout", .version = "1.4.2",
//                              .text = "drop idx_orders_user_id"};
//   auto id = quartet::AnnounceDeploy("http://127.0.0.1:4318", event);
//
// Thread-safe; blocks the caller for at most `timeout` (it is a one-off call,
// not a hot path).
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quartet/status.h"

namespace quartet {

struct DeployEvent {
  std::string service;
  std::string version;
  std::string environment;
  std::string text;                                          // what changed, shown on the marker
  std::vector<std::string> tags;                             // extra tags
  int64_t time_ms = 0;                                       // 0 = now
  int64_t time_end_ms = 0;                                   // 0 = a point in time, not a region
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. Authorization
};

// The annotation request body (Grafana's JSON shape).
std::string DeployAnnotationJson(const DeployEvent& event);

// Posts the event to `server_url` + "/api/annotations"; returns the id the
// server assigned. Errors name the cause (unreachable, HTTP status and body).
[[nodiscard]] Result<int64_t> AnnounceDeploy(
    std::string_view server_url, const DeployEvent& event,
    std::chrono::milliseconds timeout = std::chrono::seconds(5)) noexcept;

}  // namespace quartet

// Test support: the real quartetd binary (build/bin/quartetd) on loopback
// with OS-chosen HTTP and OTLP/gRPC ports and its own data directory, which survives
// Restart() and Kill9() so that recovery can be tested. Not thread-safe;
// the HTTP helpers may be called from several threads (each makes its own
// client).
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"

namespace quartet::testing {

class Quartetd {
 public:
  // Starts quartetd on a fresh data dir; `extra_args` are added to the flags.
  explicit Quartetd(std::vector<std::string> extra_args = {});

  bool ready() const { return port_ != 0; }
  int port() const { return port_; }
  int grpc_port() const { return grpc_port_; }
  std::string url(const std::string& path = "") const {
    return "http://127.0.0.1:" + std::to_string(port_) + path;
  }
  const std::string& data_dir() const { return data_dir_; }
  Process& process() { return *process_; }

  // Stops (SIGTERM, or SIGKILL with kill9) and starts again on the same data
  // dir and a new port; returns whether it came up.
  bool Restart(bool kill9);

  // HTTP helpers; a failed connection gives status 0.
  struct Response {
    int status = 0;
    std::string body;
    std::multimap<std::string, std::string> headers;
  };
  Response Get(const std::string& path_and_query) const;
  // GET with parameters, URL-encoded here.
  Response Query(const std::string& path,
                 const std::vector<std::pair<std::string, std::string>>& params) const;
  Response Post(const std::string& path, const std::string& body, const std::string& content_type,
                const httplib::Headers& headers = {}) const;

 private:
  bool Start();

  std::vector<std::string> extra_args_;
  std::string data_dir_;
  std::unique_ptr<Process> process_;
  int port_ = 0;
  int grpc_port_ = 0;
};

}  // namespace quartet::testing

// Test support: the example service (build/bin/checkout) started on loopback
// with port 0 for both listeners, exporting to a test OTLP receiver; its
// JSON log lines (stdout) parsed for the tests. Not thread-safe.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "tests/support/process.h"
#include "wire/json/json_value.h"

namespace quartet::testing {

class CheckoutService {
 public:
  // `env` adds to/overrides the defaults (service name, endpoint, fast batches).
  CheckoutService(const std::string& otlp_endpoint, std::map<std::string, std::string> env = {},
                  std::vector<std::string> extra_args = {});

  bool ready() const { return !address_.empty(); }
  const std::string& address() const { return address_; }  // "127.0.0.1:PORT"
  const std::string& admin() const { return admin_; }
  std::string url(const std::string& path) const { return "http://" + address_ + path; }
  Process& process() { return *process_; }

  // Every JSON line written so far (non-JSON lines fail the test).
  std::vector<json::Value> LogLines() const;
  int Stop() { return process_->Stop(); }

 private:
  std::string dir_;
  std::unique_ptr<Process> process_;
  std::string address_, admin_;
};

// The string member `key` of a JSON object, or "<absent>".
std::string JsonString(const json::Value& object, std::string_view key);

}  // namespace quartet::testing

#include "tests/support/checkout.h"

#include <gtest/gtest.h>

#include <algorithm>

#include "wire/json/json_parser.h"

namespace quartet::testing {

CheckoutService::CheckoutService(const std::string& otlp_endpoint,
                                 std::map<std::string, std::string> env,
                                 std::vector<std::string> extra_args) {
  dir_ = TempDir("checkout");
  std::map<std::string, std::string> all = {
      {"OTEL_EXPORTER_OTLP_ENDPOINT", otlp_endpoint},
      {"OTEL_BSP_SCHEDULE_DELAY", "50"},
      {"OTEL_RESOURCE_ATTRIBUTES", "deployment.environment=test"},
  };
  for (auto& [k, v] : env) all[k] = v;
  // Each service gets its own database, small unless the test asks for more
  // (--orders): 200k rows seed in a fraction of a second.
  std::vector<std::string> argv = {
      BinaryPath("checkout"), "--listen", "127.0.0.1:0",      "--admin",
      "127.0.0.1:0",          "--db",     dir_ + "/orders.db"};
  if (std::find(extra_args.begin(), extra_args.end(), "--orders") == extra_args.end()) {
    extra_args.insert(extra_args.end(), {"--orders", "200000"});
  }
  for (auto& a : extra_args) argv.push_back(a);
  process_ = std::make_unique<Process>(Process::Options{.argv = argv, .env = all});
  Process::WaitFor(
      [&] {
        for (const json::Value& line : LogLines()) {
          if (JsonString(line, "message") == "listening") {
            address_ = JsonString(line, "address");
            admin_ = JsonString(line, "admin");
            return true;
          }
        }
        return !process_->running();
      },
      std::chrono::seconds(60));
}

std::vector<json::Value> CheckoutService::LogLines() const {
  std::vector<json::Value> out;
  std::string text = process_->ReadStdout();
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) break;  // a line still being written
    auto doc = json::Parse(std::string_view(text).substr(start, end - start));
    EXPECT_TRUE(doc.ok()) << "not a JSON line: " << text.substr(start, end - start);
    if (doc.ok()) out.push_back(std::move(*doc));
    start = end + 1;
  }
  return out;
}

std::string JsonString(const json::Value& object, std::string_view key) {
  const json::Value* v = object.Find(key);
  return v != nullptr && v->is_string() ? v->string_value() : "<absent>";
}

}  // namespace quartet::testing

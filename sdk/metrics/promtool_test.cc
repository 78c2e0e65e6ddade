// Integration: Debian's `promtool check metrics` lints the 0.0.4 exposition
// of a realistic registry (RED metrics, labels needing escapes, resource,
// process metrics, callbacks) and must report no problem at all.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <string>

#include "quartet/metrics.h"

namespace quartet {
namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";

// Runs promtool with `input` on stdin; returns its exit status and output.
int RunPromtool(const std::string& input, std::string* output) {
  std::string path = ::testing::TempDir() + "/metrics_promtool_input.txt";
  FILE* f = std::fopen(path.c_str(), "w");
  if (f == nullptr) return -1;
  std::fwrite(input.data(), 1, input.size(), f);
  std::fclose(f);
  std::string cmd = std::string(kPromtool) + " check metrics < " + path + " 2>&1";
  FILE* p = popen(cmd.c_str(), "r");
  if (p == nullptr) return -1;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof(buf), p)) > 0) output->append(buf, n);
  int status = pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

TEST(PromtoolTest, Text004PassesLint) {
  ASSERT_EQ(access(kPromtool, X_OK), 0) << kPromtool << " is missing: install Debian's prometheus";
  MetricRegistry r(MetricRegistryOptions{.runtime_metrics = true});
  auto requests =
      r.Counter("http_server_requests_total", "Requests served.", {"method", "route", "status"});
  requests.WithLabels({"GET", "/orders/:id", "200"}).Add(41);
  requests.WithLabels({"POST", "/checkout", "500"}).Inc();
  requests.WithLabels({"GET", "/weird \"route\"\\n\nline", "404"}).Inc();
  auto latency = r.Histogram("http_server_request_duration_seconds", "Request latency.", {"route"});
  for (int i = 0; i < 100; ++i) latency.WithLabels({"/orders/:id"}).Observe(i * 0.013);
  r.Gauge("http_server_active_requests", "Requests in flight.").Set(3);
  r.Gauge("db_pool_connections", "Connections by state.", {"state"}).WithLabels({"idle"}).Set(4);
  (void)r.CallbackCounter("quartet_sdk_spans_dropped_total", "Spans dropped.", [] { return 2.0; });
  r.SetResource({{"service.name", "checkout"}, {"service.version", "1.2.3"}});
  std::string text = r.Render(MetricsFormat::kText004);
  std::string output;
  int code = RunPromtool(text, &output);
  EXPECT_EQ(code, 0) << output << "\n--- input ---\n" << text;
  EXPECT_EQ(output, "") << "--- input ---\n" << text;
}

}  // namespace
}  // namespace quartet

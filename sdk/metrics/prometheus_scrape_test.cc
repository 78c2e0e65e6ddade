// Integration: the real Prometheus 2.42 (Debian's /usr/bin/prometheus, with
// exemplar storage on) scrapes a registry served over loopback. It checks
// that Prometheus negotiates OpenMetrics with us, parses every sample
// (up == 1, our series present) and stores the histogram exemplar with the
// trace id of the sampled span current at Observe time.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <string>
#include <thread>

#include "quartet/metrics.h"
#include "sdk/context/current.h"
#include "tests/support/http_server.h"

namespace quartet {
namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";

std::string Get(int port, const std::string& path) {
  httplib::Client client("127.0.0.1", port);
  client.set_connection_timeout(1);
  auto res = client.Get(path);
  return res && res->status == 200 ? res->body : std::string();
}

TEST(PrometheusScrapeTest, ScrapesOpenMetricsWithExemplars) {
  ASSERT_EQ(access(kPrometheus, X_OK), 0) << kPrometheus << " is missing";
  MetricRegistry registry;
  registry.Counter("checkout_requests_total", "Requests.", {"route"})
      .WithLabels({"/checkout"})
      .Add(5);
  // Every escape of the label-value syntax, and UTF-8, must survive the parse.
  registry.Counter("weird_total", "Odd \"help\" \\ text\nhere.", {"v"})
      .WithLabels({"q\"b\\s\nn \xc3\xa9"})
      .Inc();
  Histogram latency = registry.Histogram("checkout_duration_seconds", "Latency.", {"route"})
                          .WithLabels({"/checkout"});
  SpanContext span;
  for (int i = 0; i < 16; ++i) span.trace_id.bytes[i] = static_cast<uint8_t>(0x40 + i);
  for (int i = 0; i < 8; ++i) span.span_id.bytes[i] = static_cast<uint8_t>(0x70 + i);
  span.trace_flags = kTraceFlagSampled;
  context_internal::Frame frame;
  frame.span = &span;
  context_internal::Push(&frame);
  latency.Observe(0.3);
  context_internal::Pop(&frame);
  registry.SetResource({{"service.name", "checkout"}});

  std::mutex mu;
  std::string seen_accept;
  httplib::Server server;
  server.Get("/metrics", [&](const httplib::Request& req, httplib::Response& res) {
    std::string accept = req.get_header_value("Accept");
    {
      std::lock_guard<std::mutex> lock(mu);
      seen_accept = accept;
    }
    MetricsFormat format = ChooseMetricsFormat(accept);
    res.set_content(registry.Render(format), std::string(MetricsContentType(format)));
  });
  int target_port = server.bind_to_any_port("127.0.0.1");
  ASSERT_GT(target_port, 0);
  std::thread serving([&] { server.listen_after_bind(); });

  auto dir =
      std::filesystem::path(::testing::TempDir()) / ("quartet_prom_" + std::to_string(getpid()));
  std::filesystem::create_directories(dir);
  {
    std::ofstream config(dir / "prometheus.yml");
    config << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
           << "scrape_configs:\n  - job_name: quartet\n    static_configs:\n"
           << "      - targets: ['127.0.0.1:" << target_port << "']\n";
  }
  int web_port = testing::FreeLoopbackPort();
  pid_t pid = fork();
  if (pid == 0) {
    std::string config = "--config.file=" + (dir / "prometheus.yml").string();
    std::string storage = "--storage.tsdb.path=" + (dir / "data").string();
    std::string listen = "--web.listen-address=127.0.0.1:" + std::to_string(web_port);
    std::string log = (dir / "prometheus.log").string();
    freopen(log.c_str(), "w", stderr);
    execl(kPrometheus, kPrometheus, config.c_str(), storage.c_str(), listen.c_str(),
          "--enable-feature=exemplar-storage", static_cast<char*>(nullptr));
    _exit(127);
  }
  ASSERT_GT(pid, 0);

  // Wait (at most 30 s) until Prometheus has stored a scrape with an exemplar.
  std::string up, exemplars;
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  bool exited = false;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, nullptr, WNOHANG) == pid) {
      exited = true;  // e.g. its port was taken meanwhile: see prometheus.log
      break;
    }
    up = Get(web_port, "/api/v1/query?query=up");
    exemplars = Get(web_port,
                    "/api/v1/query_exemplars?query=checkout_duration_seconds_bucket&start=0&end=" +
                        std::to_string(time(nullptr) + 60));
    if (up.find("\"1\"]") != std::string::npos && exemplars.find("trace_id") != std::string::npos) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::string counter = Get(web_port, "/api/v1/query?query=checkout_requests_total");
  std::string info = Get(web_port, "/api/v1/query?query=target_info");
  std::string weird = Get(web_port, "/api/v1/query?query=weird_total");
  if (!exited) {
    kill(pid, SIGTERM);
    waitpid(pid, nullptr, 0);
  }
  EXPECT_FALSE(exited) << "prometheus exited early; log in " << (dir / "prometheus.log");
  server.stop();
  serving.join();

  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_EQ(ChooseMetricsFormat(seen_accept), MetricsFormat::kOpenMetrics1) << seen_accept;
  }
  EXPECT_NE(up.find("\"1\"]"), std::string::npos) << up;
  EXPECT_NE(exemplars.find("\"trace_id\":\"404142434445464748494a4b4c4d4e4f\""), std::string::npos)
      << exemplars;
  EXPECT_NE(exemplars.find("\"span_id\":\"7071727374757677\""), std::string::npos) << exemplars;
  EXPECT_NE(exemplars.find("\"value\":\"0.3\""), std::string::npos) << exemplars;
  EXPECT_NE(counter.find("\"5\"]"), std::string::npos) << counter;
  EXPECT_NE(info.find("\"service_name\":\"checkout\""), std::string::npos) << info;
  // JSON of the stored value q"b\s<newline>n é.
  EXPECT_NE(weird.find("\"v\":\"q\\\"b\\\\s\\nn \xc3\xa9\""), std::string::npos) << weird;
  if (!HasFailure()) std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet

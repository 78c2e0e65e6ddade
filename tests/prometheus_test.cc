// Our exposition against the real Prometheus tools (Debian's prometheus 2.42):
// promtool lints the text format, and a Prometheus server with exemplar
// storage scrapes the example service; its exemplars must name real traces.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <fstream>
#include <set>

#include "tests/support/checkout.h"
#include "tests/support/http_server.h"
#include "tests/support/otlp_receiver.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

void SendTraffic(const CheckoutService& service, int n) {
  httplib::Client client("http://" + service.address());
  for (int i = 0; i < n; ++i) {
    auto res = client.Get(("/checkout?user_id=" + std::to_string(1 + i % 50)).c_str());
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
  }
  ASSERT_TRUE(client.Get("/orders/999999999"));  // a 404 series too
}

TEST(PrometheusTest, PromtoolLintsTheTextExpositionClean) {
  ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0) << "promtool missing: run ./setup";
  OtlpReceiver receiver;
  CheckoutService service(receiver.endpoint());
  ASSERT_TRUE(service.ready());
  SendTraffic(service, 20);
  httplib::Client admin("http://" + service.admin());
  auto scrape = admin.Get("/metrics", {{"Accept", "text/plain"}});
  ASSERT_TRUE(scrape);
  EXPECT_NE(scrape->get_header_value("Content-Type").find("version=0.0.4"), std::string::npos);
  std::string dir = TempDir("promtool");
  std::ofstream(dir + "/metrics.txt") << scrape->body;
  std::string cmd =
      "/usr/bin/promtool check metrics < " + dir + "/metrics.txt > " + dir + "/out.txt 2>&1";
  int rc = std::system(cmd.c_str());
  std::string out = ReadFile(dir + "/out.txt");
  EXPECT_EQ(rc, 0) << out;
  EXPECT_EQ(out, "") << "promtool found problems:\n" << out;
}

TEST(PrometheusTest, RealPrometheusScrapesExemplarsThatNameExportedTraces) {
  ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0) << "prometheus missing: run ./setup";
  OtlpReceiver receiver;
  CheckoutService service(receiver.endpoint());
  ASSERT_TRUE(service.ready());

  std::string dir = TempDir("prometheus");
  int port = FreeLoopbackPort();
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
      << "scrape_configs:\n  - job_name: checkout\n    static_configs:\n"
      << "      - targets: ['" << service.admin() << "']\n";
  Process prometheus({.argv = {"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                               "--storage.tsdb.path=" + dir + "/data",
                               "--web.listen-address=127.0.0.1:" + std::to_string(port),
                               "--enable-feature=exemplar-storage"}});
  httplib::Client api("http://127.0.0.1:" + std::to_string(port));
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        auto r = api.Get("/-/ready");
        return r && r->status == 200;
      },
      60s))
      << prometheus.ReadStderr();

  SendTraffic(service, 30);
  json::Value exemplars;
  bool found = Process::WaitFor(
      [&] {
        std::string now = std::to_string(time(nullptr));
        auto r = api.Get(
            "/api/v1/query_exemplars?query=http_server_request_duration_seconds_bucket&start=" +
            std::to_string(time(nullptr) - 600) + "&end=" + now);
        if (!r || r->status != 200) return false;
        auto doc = json::Parse(r->body);
        if (!doc.ok() || doc->Find("data") == nullptr || doc->Find("data")->items().empty())
          return false;
        exemplars = *doc->Find("data");
        return true;
      },
      30s);
  ASSERT_TRUE(found) << prometheus.ReadStderr();
  auto up = api.Get("/api/v1/query?query=up");
  ASSERT_TRUE(up);
  EXPECT_NE(up->body.find("\"1\"]"), std::string::npos) << up->body;

  EXPECT_EQ(service.Stop(), 0);  // flush the spans
  std::set<std::string> exported;
  for (const otlp::Span& span : receiver.Spans()) exported.insert(span.trace_id.ToHex());
  int checked = 0;
  for (const auto& series : exemplars.items()) {
    for (const auto& exemplar : series.Find("exemplars")->items()) {
      std::string trace_id = JsonString(*exemplar.Find("labels"), "trace_id");
      EXPECT_TRUE(exported.contains(trace_id))
          << "exemplar trace " << trace_id << " was never exported";
      ++checked;
    }
  }
  EXPECT_GT(checked, 0);
}

}  // namespace
}  // namespace quartet::testing

// Integration: the real Prometheus 2.42 (Debian's /usr/bin/prometheus, with
// exemplar storage) scrapes an OpenMetrics page served here and
// remote_writes to a receiver served here; every request it sends must pass
// DecodeRemoteWriteBody, and the series, samples, exemplar and metadata must
// read back as the page stated them. A missing prometheus binary fails.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/http_server.h"
#include "tests/support/process.h"
#include "wire/prometheus/exposition_parser.h"
#include "wire/prometheus/remote_write_body.h"

namespace quartet::prometheus::rw {
namespace {

using namespace std::chrono_literals;
using testing::Process;

constexpr const char* kPrometheus = "/usr/bin/prometheus";

constexpr std::string_view kPage =
    "# TYPE lab_requests counter\n"
    "# HELP lab_requests Requests served.\n"
    "lab_requests_total{route=\"/a\"} 17 # {trace_id=\"4bf92f3577b34da6a3ce929d0e0e4736\"} 1 "
    "1700000000.123\n"
    "# TYPE lab_temp_celsius gauge\n"
    "# UNIT lab_temp_celsius celsius\n"
    "# HELP lab_temp_celsius Temperature \\\"inside\\\".\n"
    "lab_temp_celsius{room=\"caf\xc3\xa9\"} 21.5\n"
    "# EOF\n";

std::string LabelValue(const TimeSeries& ts, std::string_view name) {
  for (const Label& l : ts.labels) {
    if (l.name == name) return l.value;
  }
  return "";
}

TEST(RemoteWritePrometheusTest, DecodesWhatPrometheusSends) {
  ASSERT_EQ(access(kPrometheus, X_OK), 0) << kPrometheus << " is missing: run ./setup";
  {  // The page itself is valid OpenMetrics by our parser.
    ExpositionParser parser(kPage, Format::kOpenMetrics1);
    ExpositionEntry e;
    while (parser.Next(&e)) {
    }
    ASSERT_TRUE(parser.status().ok()) << parser.status().ToString();
  }

  std::mutex mu;
  std::vector<WriteRequest> received;
  std::vector<std::string> errors;
  testing::TestHttpServer server;
  server.server().Get("/metrics", [](const httplib::Request&, httplib::Response& res) {
    res.set_content(std::string(kPage),
                    "application/openmetrics-text; version=1.0.0; charset=utf-8");
  });
  server.server().Post("/api/v1/write", [&](const httplib::Request& req, httplib::Response& res) {
    Result<WriteRequest> decoded = DecodeRemoteWriteBody(
        req.get_header_value("Content-Type"), req.get_header_value("Content-Encoding"), req.body);
    std::lock_guard<std::mutex> lock(mu);
    if (!decoded.ok()) {
      errors.push_back(decoded.status().ToString());
      res.status = 400;
      return;
    }
    if (req.get_header_value("X-Prometheus-Remote-Write-Version") != "0.1.0") {
      errors.push_back("version header: " +
                       req.get_header_value("X-Prometheus-Remote-Write-Version"));
    }
    received.push_back(std::move(decoded).value());
    res.status = 204;
  });
  ASSERT_TRUE(server.Start());

  std::string dir = testing::TempDir("remote_write_prometheus");
  std::ofstream(dir + "/prometheus.yml")
      << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
      << "scrape_configs:\n  - job_name: om\n    static_configs:\n"
      << "      - targets: ['127.0.0.1:" << server.port() << "']\n"
      << "remote_write:\n  - url: " << server.Url("/api/v1/write") << "\n"
      << "    send_exemplars: true\n"
      << "    metadata_config: {send_interval: 1s}\n"
      << "    queue_config: {batch_send_deadline: 1s}\n";
  int web_port = testing::FreeLoopbackPort();
  Process prometheus({.argv = {kPrometheus, "--config.file=" + dir + "/prometheus.yml",
                               "--storage.tsdb.path=" + dir + "/data",
                               "--web.listen-address=127.0.0.1:" + std::to_string(web_port),
                               "--enable-feature=exemplar-storage"}});

  auto have_everything = [&] {
    std::lock_guard<std::mutex> lock(mu);
    bool sample = false, exemplar = false, metadata = false, up = false;
    for (const WriteRequest& r : received) {
      for (const TimeSeries& ts : r.timeseries) {
        std::string name = LabelValue(ts, "__name__");
        if (name == "lab_requests_total" && !ts.samples.empty()) sample = true;
        if (name == "lab_requests_total" && !ts.exemplars.empty()) exemplar = true;
        if (name == "up" && !ts.samples.empty()) up = true;
      }
      for (const Metadata& md : r.metadata) {
        if (md.metric_family_name == "lab_temp_celsius") metadata = true;
      }
    }
    return sample && exemplar && metadata && up;
  };
  bool done = Process::WaitFor(have_everything, 45s);
  bool running = prometheus.running();
  prometheus.Stop();
  server.Stop();
  ASSERT_TRUE(done) << "running=" << running << "\n" << prometheus.ReadStderr();

  std::lock_guard<std::mutex> lock(mu);
  EXPECT_TRUE(errors.empty()) << errors.front();
  for (const WriteRequest& r : received) {
    EXPECT_EQ(r.native_histograms, 0u);
    EXPECT_EQ(r.dropped_exemplars, 0u) << r.first_exemplar_error;
    for (const TimeSeries& ts : r.timeseries) {
      std::string name = LabelValue(ts, "__name__");
      EXPECT_EQ(LabelValue(ts, "job"), "om") << FormatLabels(ts.labels);
      EXPECT_EQ(LabelValue(ts, "instance"), "127.0.0.1:" + std::to_string(server.port()));
      if (name == "lab_requests_total") {
        EXPECT_EQ(LabelValue(ts, "route"), "/a");
        for (const Sample& s : ts.samples) EXPECT_EQ(s.value, 17);
        for (const Exemplar& e : ts.exemplars) {
          ASSERT_EQ(e.labels.size(), 1u);
          EXPECT_EQ(e.labels[0].name, "trace_id");
          EXPECT_EQ(e.labels[0].value, "4bf92f3577b34da6a3ce929d0e0e4736");
          EXPECT_EQ(e.value, 1);
          EXPECT_EQ(e.timestamp_ms, 1700000000123);
        }
      } else if (name == "lab_temp_celsius") {
        EXPECT_EQ(LabelValue(ts, "room"), "caf\xc3\xa9");
        for (const Sample& s : ts.samples) {
          if (!IsStaleMarker(s.value)) {
            EXPECT_EQ(s.value, 21.5);
          }
        }
      }
    }
    for (const Metadata& md : r.metadata) {
      if (md.metric_family_name == "lab_temp_celsius") {
        EXPECT_EQ(md.type, MetadataType::kGauge);
        EXPECT_EQ(md.help, "Temperature \"inside\".");
        EXPECT_EQ(md.unit, "celsius");
      }
      if (md.metric_family_name == "lab_requests_total") {
        EXPECT_EQ(md.type, MetadataType::kCounter);
        EXPECT_EQ(md.help, "Requests served.");
      }
    }
  }
}

}  // namespace
}  // namespace quartet::prometheus::rw

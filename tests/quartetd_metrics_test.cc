// quartetd as a Prometheus: the real Prometheus 2.42 scrapes itself and
// remote_writes every sample and its metadata to quartetd; then promtool asks
// both servers the same questions (instant and range queries, series, label
// values) at a time both have complete data for, and must print the same.
#include <gtest/gtest.h>
#include <unistd.h>

#include <chrono>
#include <fstream>

#include "tests/support/http_server.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

// Runs promtool with `args`, returning what it printed (stdout and stderr);
// a failed run or an empty answer fails the test (two equal errors must not
// pass for agreement).
std::string Promtool(const std::string& dir, const std::string& args) {
  const std::string out = dir + "/promtool.out";
  const std::string cmd = "/usr/bin/promtool " + args + " > " + out + " 2>&1";
  const int rc = std::system(cmd.c_str());
  std::string text = ReadFile(out);
  EXPECT_EQ(rc, 0) << args << "\n" << text;
  EXPECT_FALSE(text.empty()) << args;
  return text;
}

class QuartetdMetricsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0) << "prometheus missing: run ./setup";
    ASSERT_EQ(access("/usr/bin/promtool", X_OK), 0) << "promtool missing: run ./setup";
    ASSERT_TRUE(q_.ready());
    dir_ = TempDir("quartetd_metrics");
    prom_port_ = FreeLoopbackPort();
    std::ofstream(dir_ + "/prometheus.yml")
        << "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        << "scrape_configs:\n  - job_name: self\n    static_configs:\n"
        << "      - targets: ['127.0.0.1:" << prom_port_ << "']\n"
        << "remote_write:\n  - url: " << q_.url("/api/v1/write") << "\n"
        << "    queue_config: {batch_send_deadline: 1s}\n"
        << "    metadata_config: {send_interval: 1s}\n";
    prometheus_ = std::make_unique<Process>(Process::Options{
        .argv = {"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                 "--storage.tsdb.path=" + dir_ + "/data",
                 "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_)}});
  }
  std::string prom_url() const { return "http://127.0.0.1:" + std::to_string(prom_port_); }

  Quartetd q_;
  std::string dir_;
  int prom_port_ = 0;
  std::unique_ptr<Process> prometheus_;
};

TEST_F(QuartetdMetricsTest, PromtoolGetsTheSameAnswersFromQuartetdAsFromPrometheus) {
  // Wait until quartetd holds ~12 s of remote-written scrapes, then ask
  // about a moment 4 s back, which both servers have whole.
  int64_t first = 0;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        Quartetd::Response r = q_.Query("/api/v1/query", {{"query", "timestamp(up)"}});
        auto doc = json::Parse(r.body);
        if (r.status != 200 || !doc.ok()) return false;
        const json::Value* result = doc->Find("data")->Find("result");
        if (result == nullptr || result->items().empty()) return false;
        const int64_t t = static_cast<int64_t>(
            std::stod(result->items()[0].Find("value")->items()[1].string_value()));
        if (first == 0) first = t;
        return t - first >= 12;
      },
      60s))
      << prometheus_->ReadStderr();
  const int64_t at = first + 8;
  const std::string t = std::to_string(at);
  const char* instant[] = {
      "up",
      "count({job=\"self\"})",
      "prometheus_build_info",
      "sum by (code) (rate(prometheus_http_requests_total[5s]))",
      "histogram_quantile(0.9, sum by (le) "
      "(rate(prometheus_tsdb_compaction_chunk_size_bytes_bucket[5s])))",
      "topk(3, go_memstats_alloc_bytes)",
      "count by (__name__) ({__name__=~\"scrape_.*\"})",
      "increase(prometheus_tsdb_head_samples_appended_total[6s])",
      "sum without (instance) (go_goroutines) > 0",
  };
  for (const char* query : instant) {
    const std::string args = "query instant --time=" + t + " ";
    const std::string quoted = "'" + std::string(query) + "'";
    EXPECT_EQ(Promtool(dir_, args + q_.url() + " " + quoted),
              Promtool(dir_, args + prom_url() + " " + quoted))
        << query;
  }
  const std::string range =
      "query range --start=" + std::to_string(at - 6) + " --end=" + t + " --step=1s ";
  for (const char* query :
       {"up", "rate(prometheus_http_requests_total[3s])", "sum(scrape_samples_scraped)"}) {
    const std::string quoted = "'" + std::string(query) + "'";
    EXPECT_EQ(Promtool(dir_, range + q_.url() + " " + quoted),
              Promtool(dir_, range + prom_url() + " " + quoted))
        << query;
  }
  const std::string window = " --start=" + std::to_string(first) + " --end=" + t;
  EXPECT_EQ(Promtool(dir_, "query series" + window + " --match=up " + q_.url()),
            Promtool(dir_, "query series" + window + " --match=up " + prom_url()));
  EXPECT_EQ(Promtool(dir_, "query labels" + window + " " + q_.url() + " job"),
            Promtool(dir_, "query labels" + window + " " + prom_url() + " job"));

  // The metadata Prometheus sent is served as Prometheus serves it.
  Quartetd::Response meta =
      q_.Query("/api/v1/metadata", {{"metric", "prometheus_http_requests_total"}});
  EXPECT_EQ(meta.status, 200);
  EXPECT_NE(meta.body.find(R"("type":"counter","help":"Counter of HTTP requests.")"),
            std::string::npos)
      << meta.body;
}

TEST_F(QuartetdMetricsTest, BadQueriesAndBadWritesAreRefusedWithPrometheusErrors) {
  Quartetd::Response bad = q_.Query("/api/v1/query", {{"query", "sum(rate(x[5m]"}});
  EXPECT_EQ(bad.status, 400);
  EXPECT_NE(bad.body.find(R"("errorType":"bad_data")"), std::string::npos) << bad.body;
  Quartetd::Response step = q_.Query(
      "/api/v1/query_range", {{"query", "up"}, {"start", "0"}, {"end", "100"}, {"step", "0"}});
  EXPECT_EQ(step.status, 400);
  EXPECT_NE(step.body.find("zero or negative query resolution step"), std::string::npos);
  Quartetd::Response series = q_.Query("/api/v1/series", {});
  EXPECT_EQ(series.status, 400);
  EXPECT_NE(series.body.find("no match[] parameter provided"), std::string::npos);
  // Not snappy, not protobuf: 400 naming the problem; nothing stored before is lost.
  Quartetd::Response junk = q_.Post("/api/v1/write", "definitely not snappy",
                                    "application/x-protobuf", {{"Content-Encoding", "snappy"}});
  EXPECT_EQ(junk.status, 400) << junk.body;
  Quartetd::Response json = q_.Post("/api/v1/write", "{}", "application/json");
  EXPECT_EQ(json.status, 415) << json.body;
}

}  // namespace
}  // namespace quartet::testing

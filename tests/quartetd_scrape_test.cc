// quartetd as a Prometheus that scrapes: its --config holds a Prometheus
// scrape_configs section pointing at the checkout example's admin /metrics
// (the SDK's OpenMetrics with exemplars), and the checkout sends its traces
// to the same quartetd. The test drives traffic, then checks (a) PromQL sees
// the checkout's histogram and up == 1, (b) an exemplar's trace id opens its
// trace through the traces API, (c) the real Prometheus 2.42 scraping the same
// target agrees on up, the series of one metric and scrape_samples_scraped,
// (d) a stopped target goes to up == 0 and its series go stale.
#include <gtest/gtest.h>
#include <httplib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <fstream>
#include <set>

#include "tests/support/checkout.h"
#include "tests/support/http_server.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;

constexpr char kBuckets[] = "http_server_request_duration_seconds_bucket";

// GET base + path with params, parsed as a Prometheus API answer's "data".
std::optional<json::Value> ApiData(const std::string& base, const std::string& path,
                                   const httplib::Params& params) {
  httplib::Client client(base);
  client.set_read_timeout(10, 0);
  auto res = client.Get(path, params, httplib::Headers{});
  if (!res || res->status != 200) return std::nullopt;
  auto doc = json::Parse(res->body);
  if (!doc.ok() || doc->Find("data") == nullptr) return std::nullopt;
  return *doc->Find("data");
}

// The instant vector of `query` as {labels -> value}; labels as "k=v,k=v,";
// nullopt when the API call failed (so "no result" never passes by error).
std::optional<std::map<std::string, std::string>> InstantResult(const std::string& base,
                                                                const std::string& query) {
  auto data = ApiData(base, "/api/v1/query", {{"query", query}});
  if (!data || data->Find("result") == nullptr) return std::nullopt;
  std::map<std::string, std::string> out;
  for (const json::Value& r : data->Find("result")->items()) {
    std::string key;
    for (const json::Member& m : r.Find("metric")->members()) {
      key += m.key + "=" + m.value.string_value() + ",";
    }
    out[key] = r.Find("value")->items()[1].string_value();
  }
  return out;
}
std::map<std::string, std::string> Instant(const std::string& base, const std::string& query) {
  return InstantResult(base, query).value_or(std::map<std::string, std::string>{{"<error>", ""}});
}
// Whether the call succeeded and returned nothing / something.
bool InstantEmpty(const std::string& base, const std::string& query) {
  auto r = InstantResult(base, query);
  return r && r->empty();
}
bool InstantNonEmpty(const std::string& base, const std::string& query) {
  auto r = InstantResult(base, query);
  return r && !r->empty();
}

// Label sets of /api/v1/series for `match` over the last minute.
std::set<std::string> SeriesSet(const std::string& base, const std::string& match) {
  std::set<std::string> out;
  const int64_t now = time(nullptr);
  auto data = ApiData(
      base, "/api/v1/series",
      {{"match[]", match}, {"start", std::to_string(now - 60)}, {"end", std::to_string(now)}});
  if (!data) return {"<error>"};
  for (const json::Value& s : data->items()) {
    std::vector<std::string> labels;
    for (const json::Member& m : s.members())
      labels.push_back(m.key + "=" + m.value.string_value());
    std::sort(labels.begin(), labels.end());
    std::string key;
    for (const auto& l : labels) key += l + ",";
    out.insert(key);
  }
  return out;
}

class QuartetdScrapeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_EQ(access("/usr/bin/prometheus", X_OK), 0) << "prometheus missing: run ./setup";
    dir_ = TempDir("quartetd_scrape");
    admin_port_ = FreeLoopbackPort();
    const std::string scrape =
        "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n"
        "scrape_configs:\n  - job_name: checkout\n    static_configs:\n"
        "      - targets: ['127.0.0.1:" +
        std::to_string(admin_port_) +
        "']\n"
        "        labels: {env: test}\n";
    std::ofstream(dir_ + "/quartetd.yaml") << scrape;
    std::ofstream(dir_ + "/prometheus.yml") << scrape;
    q_ = std::make_unique<Quartetd>(std::vector<std::string>{"--config", dir_ + "/quartetd.yaml"});
    ASSERT_TRUE(q_->ready()) << q_->process().ReadStderr();
    prom_port_ = FreeLoopbackPort();
    prometheus_ = std::make_unique<Process>(Process::Options{
        .argv = {"/usr/bin/prometheus", "--config.file=" + dir_ + "/prometheus.yml",
                 "--storage.tsdb.path=" + dir_ + "/prom", "--enable-feature=exemplar-storage",
                 "--web.listen-address=127.0.0.1:" + std::to_string(prom_port_)}});
    checkout_ = std::make_unique<CheckoutService>(
        q_->url(), std::map<std::string, std::string>{},
        std::vector<std::string>{"--admin", "127.0.0.1:" + std::to_string(admin_port_), "--orders",
                                 "60000"});
    ASSERT_TRUE(checkout_->ready()) << checkout_->process().ReadStderr();
  }
  std::string prom_url() const { return "http://127.0.0.1:" + std::to_string(prom_port_); }

  std::string dir_;
  int admin_port_ = 0, prom_port_ = 0;
  std::unique_ptr<Quartetd> q_;
  std::unique_ptr<Process> prometheus_;
  std::unique_ptr<CheckoutService> checkout_;
};

TEST_F(QuartetdScrapeTest, ScrapesTheCheckoutLikePrometheusWithExemplarsThatOpenTraces) {
  httplib::Client client("http://" + checkout_->address());
  for (int i = 0; i < 20; ++i) {
    auto res = client.Get("/checkout?user_id=" + std::to_string(i % 5 + 1));
    ASSERT_TRUE(res);
    EXPECT_EQ(res->status, 200);
  }
  const std::string up = "up{job=\"checkout\"}";
  const std::string want_up =
      "__name__=up,env=test,instance=127.0.0.1:" + std::to_string(admin_port_) + ",job=checkout,";
  // (a) up == 1 and the histogram's buckets.
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        return Instant(q_->url(), up) == std::map<std::string, std::string>{{want_up, "1"}} &&
               InstantNonEmpty(q_->url(), std::string(kBuckets) + "{job=\"checkout\"}");
      },
      30s))
      << q_->process().ReadStderr();
  EXPECT_EQ(Instant(q_->url(), up + " == 1").size(), 1u);

  // (b) exemplars with trace ids, and the trace behind one of them.
  std::string trace_id;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        const int64_t now = time(nullptr);
        auto data = ApiData(q_->url(), "/api/v1/query_exemplars",
                            {{"query", kBuckets},
                             {"start", std::to_string(now - 120)},
                             {"end", std::to_string(now + 5)}});
        if (!data) return false;
        for (const json::Value& series : data->items()) {
          for (const json::Value& e : series.Find("exemplars")->items()) {
            if (const json::Value* id = e.Find("labels")->Find("trace_id")) {
              trace_id = id->string_value();
            }
          }
        }
        return !trace_id.empty();
      },
      30s));
  ASSERT_EQ(trace_id.size(), 32u) << trace_id;
  ASSERT_TRUE(
      Process::WaitFor([&] { return q_->Get("/api/traces/" + trace_id).status == 200; }, 20s))
      << "the exemplar's trace " << trace_id << " is not in quartetd";
  EXPECT_NE(q_->Get("/api/traces/" + trace_id).body.find("GET /checkout"), std::string::npos);

  // (c) the real Prometheus, scraping the same target, agrees once the
  // target's output is steady (no traffic now): same up, same bucket series,
  // same number of samples per scrape.
  ASSERT_TRUE(Process::WaitFor([&] { return InstantNonEmpty(prom_url(), up); }, 30s))
      << prometheus_->ReadStderr();
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(Instant(q_->url(), up), Instant(prom_url(), up));
  const std::string buckets = std::string(kBuckets) + "{job=\"checkout\"}";
  EXPECT_EQ(SeriesSet(q_->url(), buckets), SeriesSet(prom_url(), buckets));
  const std::string scraped = "scrape_samples_scraped{job=\"checkout\"}";
  EXPECT_EQ(Instant(q_->url(), scraped), Instant(prom_url(), scraped));
  const std::string added = "scrape_samples_post_metric_relabeling{job=\"checkout\"}";
  EXPECT_EQ(Instant(q_->url(), added), Instant(prom_url(), added));
  EXPECT_EQ(Instant(q_->url(), "count(" + buckets + ")"),
            Instant(prom_url(), "count(" + buckets + ")"));

  // (d) the target stops: up 0 at the next scrape, and its series are stale
  // (absent from an instant query), in both servers.
  EXPECT_EQ(checkout_->Stop(), 0);
  for (const std::string& base : {q_->url(), prom_url()}) {
    ASSERT_TRUE(Process::WaitFor(
        [&] {
          return Instant(base, up) == std::map<std::string, std::string>{{want_up, "0"}} &&
                 InstantEmpty(base, buckets);
        },
        20s))
        << base;
  }
  // quartetd's own /metrics counts the scrapes.
  const std::string self = q_->Get("/metrics").body;
  EXPECT_NE(self.find("quartetd_scrapes_total"), std::string::npos);
  EXPECT_NE(self.find("quartetd_scrape_failures_total"), std::string::npos);
}

}  // namespace
}  // namespace quartet::testing

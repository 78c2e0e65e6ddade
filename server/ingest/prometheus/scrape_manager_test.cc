#include "server/ingest/prometheus/scrape_manager.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <mutex>
#include <thread>

#include "server/ingest/prometheus/scrape_http.h"
#include "server/ingest/prometheus/scrape_loop.h"
#include "server/store/append_only_metric_store.h"

namespace quartet::ingest {
namespace {

using namespace std::chrono_literals;

// Records every batch; answers nothing else.
class RecordingStore : public store::AppendOnlyMetricStore {
 public:
  Result<store::MetricAppendResult> Append(const store::MetricBatch& batch) override {
    std::lock_guard lock(mu_);
    batches_.push_back(batch);
    store::MetricAppendResult r;
    for (const auto& s : batch.series) r.accepted_samples += static_cast<int64_t>(s.samples.size());
    return r;
  }

  // Values of series named `name` in order of append.
  std::vector<double> Values(std::string_view name) {
    std::lock_guard lock(mu_);
    std::vector<double> out;
    for (const auto& b : batches_) {
      for (const auto& s : b.series) {
        for (const auto& l : s.labels) {
          if (l.first == "__name__" && l.second == name) {
            for (const auto& x : s.samples) out.push_back(x.v);
          }
        }
      }
    }
    return out;
  }

  std::vector<store::MetricBatch> Batches() {
    std::lock_guard lock(mu_);
    return batches_;
  }

 private:
  std::mutex mu_;
  std::vector<store::MetricBatch> batches_;
};

class Target {
 public:
  Target() {
    server_.Get("/metrics", [this](const httplib::Request& req, httplib::Response& res) {
      {
        std::lock_guard lock(mu_);
        accept_ = req.get_header_value("Accept");
        timeout_header_ = req.get_header_value("X-Prometheus-Scrape-Timeout-Seconds");
        accept_encoding_ = req.get_header_value("Accept-Encoding");
      }
      if (hang_) std::this_thread::sleep_for(1s);
      res.set_content(std::string(2000, '#') + "\nreq_total{code=\"200\"} 7\n", "text/plain");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
  }
  ~Target() { Stop(); }
  void Stop() {
    server_.stop();
    if (thread_.joinable()) thread_.join();
  }
  std::string address() const { return "127.0.0.1:" + std::to_string(port_); }

  httplib::Server server_;
  std::thread thread_;
  int port_ = 0;
  std::atomic<bool> hang_{false};
  std::mutex mu_;
  std::string accept_, timeout_header_, accept_encoding_;
};

server::PrometheusConfig Config(const std::string& address, const std::string& extra = "") {
  Result<server::PrometheusConfig> c = server::ParsePrometheusYaml(
      "scrape_configs:\n- job_name: t\n  scrape_interval: 200ms\n  scrape_timeout: 150ms\n"
      "  static_configs: [{targets: ['" +
      address + "']}]\n" + extra);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return *c;
}

bool WaitFor(const std::function<bool()>& cond, std::chrono::milliseconds limit = 5s) {
  const auto end = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < end) {
    if (cond()) return true;
    std::this_thread::sleep_for(20ms);
  }
  return cond();
}

TEST(ScrapeManager, ScrapesWithPrometheusHeadersThenMarksADownTargetStale) {
  Target target;
  RecordingStore store;
  std::atomic<int> health_changes{0};
  ScrapeManager manager(&store,
                        {.on_health_change = [&](const TargetHealth&) { ++health_changes; }});
  EXPECT_TRUE(manager.Start(Config(target.address())).empty());
  ASSERT_TRUE(WaitFor([&] { return store.Values("req_total").size() >= 2; }));
  {
    std::lock_guard lock(target.mu_);
    EXPECT_EQ(target.accept_, kScrapeAcceptHeader);
    EXPECT_EQ(target.timeout_header_, "0.15");
    EXPECT_NE(target.accept_encoding_.find("gzip"), std::string::npos);
  }
  EXPECT_EQ(store.Values("up").at(0), 1);
  EXPECT_EQ(store.Values("req_total").at(0), 7);
  std::vector<TargetHealth> health = manager.Targets();
  ASSERT_EQ(health.size(), 1u);
  EXPECT_TRUE(health[0].up);
  EXPECT_EQ(health[0].url, "http://" + target.address() + "/metrics");

  target.Stop();
  ASSERT_TRUE(WaitFor([&] {
    std::vector<double> up = store.Values("up");
    return !up.empty() && up.back() == 0;
  }));
  std::vector<double> req = store.Values("req_total");
  EXPECT_TRUE(IsStaleNaN(req.back()));
  EXPECT_FALSE(manager.Targets()[0].up);
  EXPECT_FALSE(manager.Targets()[0].last_error.empty());
  EXPECT_EQ(health_changes.load(), 2);  // first scrape (up), then down
  manager.Stop();
  ScrapeStats stats = manager.stats();
  EXPECT_EQ(stats.targets, 1);
  EXPECT_GE(stats.failures, 1);
  EXPECT_GT(stats.scrapes, stats.failures);
  EXPECT_GT(stats.samples_appended, 0);
}

TEST(ScrapeManager, TimeoutsBodyLimitsAndStopDuringAScrape) {
  Target target;
  target.hang_ = true;
  RecordingStore store;
  ScrapeManager manager(&store);
  manager.Start(Config(target.address()));
  ASSERT_TRUE(WaitFor([&] { return !store.Values("up").empty(); }));
  EXPECT_EQ(store.Values("up").at(0), 0);
  EXPECT_EQ(manager.Targets()[0].last_error, "context deadline exceeded");
  const auto t0 = std::chrono::steady_clock::now();
  manager.Stop();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 1s);

  target.hang_ = false;
  RecordingStore small;
  ScrapeManager limited(&small);
  limited.Start(Config(target.address(), "  body_size_limit: 1KB\n"));
  ASSERT_TRUE(WaitFor([&] { return !small.Values("up").empty(); }));
  EXPECT_EQ(small.Values("up").at(0), 0);
  EXPECT_EQ(limited.Targets()[0].last_error, "body size limit exceeded");
}

// A store without its own AppendRefs (every store but the metric table)
// gets the borrowed series copied into one ordinary batch.
TEST(MetricStoreDefaults, AppendRefsCopiesTheBorrowedSeriesIntoABatch) {
  RecordingStore store;
  std::string name = "up", job = "api";
  const std::vector<store::LabelRef> labels = {{"__name__", name}, {"job", job}};
  const std::vector<store::Sample> samples = {{.t_ms = 1000, .v = 1}, {.t_ms = 2000, .v = 0}};
  const std::vector<store::SeriesSamplesRef> series = {{.labels = labels, .samples = samples}};
  Result<store::MetricAppendResult> r =
      store.AppendRefs(series, {{.family = "up", .type = store::MetricType::kGauge}});
  ASSERT_TRUE(r.ok()) << r.status().message();
  EXPECT_EQ(r->accepted_samples, 2);
  name = "changed";  // the batch owns copies
  job = "changed";
  EXPECT_EQ(store.Values("up"), (std::vector<double>{1, 0}));
  ASSERT_EQ(store.Batches().size(), 1u);
  EXPECT_EQ(store.Batches()[0].series[0].labels,
            (store::Labels{{"__name__", "up"}, {"job", "api"}}));
  ASSERT_EQ(store.Batches()[0].metadata.size(), 1u);
  EXPECT_EQ(store.Batches()[0].metadata[0].family, "up");
}

TEST(ScrapeHttp, TimeoutHeaderFormatsLikeGo) {
  EXPECT_EQ(FormatTimeoutSeconds(10'000), "10");
  EXPECT_EQ(FormatTimeoutSeconds(500), "0.5");
  EXPECT_EQ(FormatTimeoutSeconds(1'250), "1.25");
  EXPECT_EQ(FormatTimeoutSeconds(1'005), "1.005");
}

}  // namespace
}  // namespace quartet::ingest

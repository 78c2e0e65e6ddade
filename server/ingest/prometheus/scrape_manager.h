// ScrapeManager: quartetd's Prometheus scraping. From the parsed
// scrape_configs (server/config/prometheus_config.h) it builds each job's
// targets (scrape_target.h) and runs one loop per target on its own thread:
// every interval, at an offset derived from the target's hash (so scrapes
// spread over the interval as Prometheus spreads them), it fetches the
// target (scrape_http.h), turns the body into one batch (scrape_loop.h:
// samples, exemplars, metadata, staleness markers, up and scrape_* series)
// and appends it to the MetricStore.
//
// Stop() ends every loop without staleness markers, as Prometheus does at
// shutdown (a restart resumes the series); a running scrape is cancelled.
// Targets are fixed at Start (no reload yet).
//
// Thread-safety: Start and Stop from one thread; stats() and Targets() from
// any thread at any time.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "server/config/prometheus_config.h"
#include "server/ingest/prometheus/scrape_target.h"
#include "server/store/interface.h"

namespace quartet::ingest {

// A target's state as Prometheus's /api/v1/targets shows it.
struct TargetHealth {
  std::string job;
  std::string url;
  store::Labels labels;
  bool up = false;
  bool scraped = false;    // false until the first scrape ended
  std::string last_error;  // "" when the last scrape succeeded
  int64_t last_scrape_ms = 0;
  double last_duration_seconds = 0;
  int64_t last_samples = 0;
};

struct ScrapeStats {
  int64_t targets = 0;
  int64_t scrapes = 0;
  int64_t failures = 0;          // up == 0
  int64_t samples_appended = 0;  // accepted by the store, report series and stale markers included
  int64_t exemplars_appended = 0;
  int64_t samples_rejected = 0;  // refused by the store (out of order, limits)
  int64_t append_errors = 0;     // batches the store refused whole (memory limit, closed)
  int64_t invalid_targets = 0;   // from the config, not scraped
};

struct ScrapeManagerOptions {
  // Body limit for jobs without body_size_limit (Prometheus has none; an
  // unbounded body would be unbounded memory here).
  uint64_t default_body_limit = 100u << 20;
  // Spreads targets (Prometheus hashes its host name and external labels);
  // 0 picks one from the host name.
  uint64_t offset_seed = 0;
  // Called on a loop's thread when a target's health changes (and after its
  // first scrape), e.g. to log it. Must not block.
  std::function<void(const TargetHealth&)> on_health_change;
};

class ScrapeManager {
 public:
  // `store` must outlive the manager (or its Stop()).
  explicit ScrapeManager(store::MetricStore* store, ScrapeManagerOptions options = {});
  ~ScrapeManager();  // Stop()
  ScrapeManager(const ScrapeManager&) = delete;
  ScrapeManager& operator=(const ScrapeManager&) = delete;

  // Starts a loop per valid target of `config` (copied). Returns the
  // problems found: invalid targets ("job checkout: 10.0.0.1: no address"),
  // which are not scraped; the other targets run regardless.
  std::vector<std::string> Start(const server::PrometheusConfig& config);
  void Stop();

  ScrapeStats stats() const;
  std::vector<TargetHealth> Targets() const;

 private:
  struct Loop;
  void Run(Loop* loop);
  void Append(Loop* loop, const store::MetricBatch& batch);

  store::MetricStore* store_;
  ScrapeManagerOptions options_;
  std::vector<std::unique_ptr<server::ScrapeConfig>> configs_;
  std::vector<std::unique_ptr<Loop>> loops_;
  std::vector<std::thread> threads_;

  std::mutex mu_;
  std::condition_variable wake_;
  std::atomic<bool> stopping_{false};

  std::atomic<int64_t> scrapes_{0}, failures_{0}, samples_appended_{0}, exemplars_appended_{0},
      samples_rejected_{0}, append_errors_{0}, invalid_targets_{0};
};

}  // namespace quartet::ingest

#include "server/ingest/prometheus/scrape_manager.h"

#include <unistd.h>

#include <chrono>

#include "base/clock.h"
#include "server/ingest/prometheus/scrape_http.h"
#include "server/ingest/prometheus/scrape_loop.h"

namespace quartet::ingest {

struct ScrapeManager::Loop {
  Loop(const server::ScrapeConfig* config, ScrapeTarget target)
      : config(config), scrape(config, std::move(target)) {}
  const server::ScrapeConfig* config;
  ScrapeLoop scrape;
  mutable std::mutex health_mu;
  TargetHealth health;  // guarded by health_mu
};

ScrapeManager::ScrapeManager(store::MetricStore* store, ScrapeManagerOptions options)
    : store_(store), options_(std::move(options)) {
  if (options_.offset_seed == 0) {
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    uint64_t h = 14695981039346656037ull;
    for (const char* p = host; *p != '\0'; ++p)
      h = (h ^ static_cast<unsigned char>(*p)) * 1099511628211ull;
    options_.offset_seed = h;
  }
}

ScrapeManager::~ScrapeManager() { Stop(); }

std::vector<std::string> ScrapeManager::Start(const server::PrometheusConfig& config) {
  std::vector<std::string> problems;
  for (const server::ScrapeConfig& job : config.scrape_configs) {
    configs_.push_back(std::make_unique<server::ScrapeConfig>(job));
    const server::ScrapeConfig* c = configs_.back().get();
    JobTargets targets = BuildTargets(*c);
    for (const std::string& e : targets.errors) problems.push_back("job " + c->job_name + ": " + e);
    invalid_targets_.fetch_add(static_cast<int64_t>(targets.errors.size()));
    for (ScrapeTarget& t : targets.targets) {
      auto loop = std::make_unique<Loop>(c, t);
      loop->health.job = c->job_name;
      loop->health.url = t.url;
      loop->health.labels = t.labels;
      loops_.push_back(std::move(loop));
    }
  }
  for (const auto& loop : loops_) threads_.emplace_back([this, l = loop.get()] { Run(l); });
  return problems;
}

void ScrapeManager::Stop() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_.notify_all();
  for (std::thread& t : threads_) t.join();
  threads_.clear();
}

void ScrapeManager::Append(Loop* loop, const store::MetricBatch& batch) {
  Result<store::MetricAppendResult> r = store_->Append(batch);
  if (!r.ok()) {
    append_errors_.fetch_add(1, std::memory_order_relaxed);
    std::lock_guard lock(loop->health_mu);
    loop->health.last_error = "append: " + std::string(r.status().message());
    return;
  }
  samples_appended_.fetch_add(r->accepted_samples, std::memory_order_relaxed);
  exemplars_appended_.fetch_add(r->accepted_exemplars, std::memory_order_relaxed);
  samples_rejected_.fetch_add(r->rejected_samples(), std::memory_order_relaxed);
}

void ScrapeManager::Run(Loop* loop) {
  const ScrapeTarget& target = loop->scrape.target();
  ScrapeHttpClient client(loop->config, options_.default_body_limit);
  const int64_t interval_ns = target.interval_ms * 1'000'000;
  // Prometheus's first wait: to the target's offset within the interval.
  const int64_t now = UnixNanos();
  int64_t wait_ns =
      interval_ns - now % interval_ns + target.OffsetMs(options_.offset_seed) * 1'000'000;
  if (wait_ns > interval_ns) wait_ns -= interval_ns;
  auto next = std::chrono::steady_clock::now() + std::chrono::nanoseconds(wait_ns);
  while (true) {
    {
      std::unique_lock lock(mu_);
      if (wake_.wait_until(lock, next, [this] { return stopping_.load(); })) return;
    }
    const int64_t start_ms = UnixNanos() / 1'000'000;
    const int64_t t0 = MonotonicNanos();
    Result<ScrapeResponse> fetched = client.Fetch(target.url, target.timeout_ms, &stopping_);
    if (stopping_) return;  // a cancelled scrape writes nothing
    const double seconds = static_cast<double>(MonotonicNanos() - t0) / 1e9;
    ScrapeReport report;
    store::MetricBatch batch =
        fetched.ok() ? loop->scrape.Scrape(start_ms, seconds, fetched->body, fetched->content_type,
                                           Status::Ok(), &report)
                     : loop->scrape.Scrape(start_ms, seconds, {}, {}, fetched.status(), &report);
    scrapes_.fetch_add(1, std::memory_order_relaxed);
    if (!report.up) failures_.fetch_add(1, std::memory_order_relaxed);
    bool changed;
    TargetHealth health;
    {
      std::lock_guard lock(loop->health_mu);
      changed = !loop->health.scraped || loop->health.up != report.up;
      loop->health.scraped = true;
      loop->health.up = report.up;
      loop->health.last_error = report.up ? "" : std::string(report.error.message());
      loop->health.last_scrape_ms = start_ms;
      loop->health.last_duration_seconds = seconds;
      loop->health.last_samples = report.samples_scraped;
      health = loop->health;
    }
    Append(loop, batch);
    if (changed && options_.on_health_change) options_.on_health_change(health);
    // Next slot on the grid; slots missed by a slow scrape are skipped.
    const auto period = std::chrono::milliseconds(target.interval_ms);
    next += period;
    const auto now_steady = std::chrono::steady_clock::now();
    while (next <= now_steady) next += period;
  }
}

ScrapeStats ScrapeManager::stats() const {
  return ScrapeStats{.targets = static_cast<int64_t>(loops_.size()),
                     .scrapes = scrapes_.load(),
                     .failures = failures_.load(),
                     .samples_appended = samples_appended_.load(),
                     .exemplars_appended = exemplars_appended_.load(),
                     .samples_rejected = samples_rejected_.load(),
                     .append_errors = append_errors_.load(),
                     .invalid_targets = invalid_targets_.load()};
}

std::vector<TargetHealth> ScrapeManager::Targets() const {
  std::vector<TargetHealth> out;
  for (const auto& loop : loops_) {
    std::lock_guard lock(loop->health_mu);
    out.push_back(loop->health);
  }
  return out;
}

}  // namespace quartet::ingest

// ScrapeLoop: what one target's scrapes write, without the I/O — Prometheus
// 2.42's scrapeLoop.append and report, fed a fetched body (or a failed
// fetch) and turning it into one store::MetricBatch per scrape:
//   - every sample (after honor_labels / exported_ conflict handling and
//     metric_relabel_configs) at the scrape's start time, or at its own
//     timestamp when honor_timestamps is set and it has one;
//   - every exemplar of the body (OpenMetrics), at its own timestamp or the
//     sample's; the store keeps them up to its per-series budget;
//   - TYPE/HELP/UNIT metadata of families whose metadata changed;
//   - StaleNaN (0x7ff0000000000002) for each series of the previous scrape
//     that this one lacks (series with explicit timestamps are not tracked,
//     as in Prometheus), and for all of them when the scrape fails;
//   - the report series up, scrape_duration_seconds, scrape_samples_scraped,
//     scrape_samples_post_metric_relabeling and scrape_series_added with the
//     target's labels.
// A parse error, a sample_limit / label_limit breach, a duplicate label name
// or a sample without a metric name fails the whole scrape (up = 0 and none
// of its samples are written), as in Prometheus.
//
// Thread-safety: none; one loop belongs to one target's thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <unordered_map>

#include "base/status.h"
#include "server/config/prometheus_config.h"
#include "server/ingest/prometheus/scrape_target.h"
#include "server/store/interface.h"

namespace quartet::ingest {

// What one scrape did (also what the report series say).
struct ScrapeReport {
  bool up = false;
  Status error;                      // why up is 0
  int64_t samples_scraped = 0;       // parsed samples
  int64_t samples_post_relabel = 0;  // after metric_relabel_configs
  int64_t series_added = 0;          // series absent from the previous scrape
  int64_t exemplars = 0;             // exemplars in the batch
  int64_t stale_markers = 0;
  double duration_seconds = 0;
};

// The bits of the StaleNaN marker, and the double itself.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
double StaleNaN();
bool IsStaleNaN(double v);

class ScrapeLoop {
 public:
  // `config` must outlive the loop.
  ScrapeLoop(const server::ScrapeConfig* config, ScrapeTarget target);

  const ScrapeTarget& target() const { return target_; }

  // The batch for one scrape that started at `start_ms` (unix ms) and took
  // `duration_seconds`: from `body` and its Content-Type when `fetch_error`
  // is OK, else a failed scrape. Fills *report.
  store::MetricBatch Scrape(int64_t start_ms, double duration_seconds, std::string_view body,
                            std::string_view content_type, const Status& fetch_error,
                            ScrapeReport* report);

  // StaleNaN at `t_ms` for every series of the last scrape and for the
  // report series: the target is gone (Prometheus's end-of-run staleness).
  store::MetricBatch StaleBatch(int64_t t_ms);

 private:
  struct SeriesState {
    store::Labels labels;
    bool track_staleness = true;  // false for samples with their own timestamp
    size_t index = 0;             // in this scrape's batch
  };
  using SeriesMap = std::unordered_map<std::string, SeriesState>;

  // Samples of the body, appended to *batch; not OK fails the scrape.
  Status AppendBody(int64_t start_ms, std::string_view body, std::string_view content_type,
                    store::MetricBatch* batch, ScrapeReport* report, SeriesMap* seen,
                    std::map<std::string, store::MetricMetadata>* metadata);
  // Target labels onto exposed labels (honor_labels / exported_ prefix).
  void MergeTargetLabels(store::Labels* labels) const;
  void AppendReport(int64_t t_ms, const ScrapeReport& report, store::MetricBatch* batch) const;
  void AppendStale(int64_t t_ms, const SeriesMap& current, store::MetricBatch* batch,
                   ScrapeReport* report) const;

  const server::ScrapeConfig* config_;
  ScrapeTarget target_;
  // Series of the last scrape (by label-set key), for staleness and
  // scrape_series_added; the metadata last written per family.
  SeriesMap last_series_;
  std::map<std::string, store::MetricMetadata> last_metadata_;
};

// A label set's map key ("name\xffvalue\xff...").
std::string SeriesKey(const store::Labels& labels);

}  // namespace quartet::ingest

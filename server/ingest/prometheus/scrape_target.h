// Scrape targets of a job, as Prometheus 2.42's PopulateLabels makes them
// from static_configs: each address starts with __address__ and its group's
// labels, gets job, __scheme__, __metrics_path__, __scrape_interval__,
// __scrape_timeout__ and __param_<name> unless already set, goes through
// relabel_configs (a target may be dropped), then gets a default port for
// its scheme (80/443), `instance` defaulting to the address, and loses its
// __meta_* labels. The labels starting with "__" decide the URL, interval
// and timeout and are not attached to samples; the rest are the target's
// labels on every sample it yields.
//
// Pure functions and plain values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/config/prometheus_config.h"
#include "server/store/interface.h"

namespace quartet::ingest {

struct ScrapeTarget {
  store::Labels labels;      // attached to samples: job, instance, static and relabeled labels
  store::Labels all_labels;  // after relabeling, "__" labels included (sorted)
  store::Labels discovered;  // before relabeling (what Prometheus's targets API shows)
  std::string url;           // scheme://address/path?params (params sorted, query-escaped)
  int64_t interval_ms = 0;
  int64_t timeout_ms = 0;
  uint64_t hash = 0;  // of labels and URL: spreads scrapes over the interval

  // The offset in [0, interval) at which this target is scraped within each
  // interval (Prometheus's `offset`), given a per-process seed.
  int64_t OffsetMs(uint64_t seed) const;
};

struct JobTargets {
  std::vector<ScrapeTarget> targets;
  size_t dropped = 0;               // by relabel_configs
  std::vector<std::string> errors;  // invalid targets, each named ("10.0.0.1: no address")
};

// The targets of one job, in file order, duplicates (same labels and URL)
// kept once. target_limit, when exceeded, makes every target an error, as
// Prometheus's pool does.
JobTargets BuildTargets(const server::ScrapeConfig& config);

// One target from a discovered label set (`__address__` plus group labels);
// NotFound when relabeling dropped it, InvalidArgument in Prometheus's words
// otherwise ("no address", "scrape timeout cannot be greater than ...").
Result<ScrapeTarget> PopulateTarget(const store::Labels& discovered,
                                    const server::ScrapeConfig& config);

// Prometheus's model.Duration.String(): 90000 -> "1m30s", 0 -> "0s".
std::string FormatPrometheusDuration(int64_t ms);

}  // namespace quartet::ingest

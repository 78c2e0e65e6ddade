// The registry read out as plain metric families (wire/prometheus structs):
// what Render() formats as text and what the OTLP metric exporter encodes.
// Thread-safe: takes the registry's locks briefly, like a scrape.
#pragma once

#include <vector>

#include "quartet/metrics.h"
#include "wire/prometheus/text_format.h"

namespace quartet::metrics_internal {

struct RegistryAccess {
  // Every family, sorted by name: series values, exemplars, callbacks,
  // process metrics (when on) and target_info. May throw std::bad_alloc.
  static std::vector<prometheus::Family> Collect(const MetricRegistry& registry);
};

}  // namespace quartet::metrics_internal

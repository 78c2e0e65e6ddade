// The registry's internal records: one FamilyImpl per metric name, owning its
// series (CounterSeries, GaugeSeries, HistogramSeries) for the registry's
// lifetime, so handles can point at them without reference counting.
//
// Thread-safety: a family's immutable description (kind, names, bounds) is
// set before the family is published; its series map is guarded by `mu`.
// Series fields the hot path reads (slot, bounds) never change after creation.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "quartet/metrics.h"
#include "sdk/metrics/exemplar.h"

namespace quartet::metrics_internal {

enum class Kind { kCounter, kGauge, kHistogram };

struct CounterSeries {
  std::vector<std::string> label_values;
  uint32_t slot = kNoSlot;  // slot: integer increments; slot + 1: float increments
  ExemplarSlot exemplar;
};

struct GaugeSeries {
  std::vector<std::string> label_values;
  std::atomic<uint64_t> bits{0};  // the double value
};

struct HistogramSeries {
  std::vector<std::string> label_values;
  uint32_t slot = kNoSlot;  // slot + i: bucket i (num_bounds = +Inf), then the sum
  uint32_t num_bounds = 0;
  const double* bounds = nullptr;             // the family's; lives as long as it
  std::unique_ptr<ExemplarSlot[]> exemplars;  // one per bucket
};

struct FamilyImpl {
  MetricRegistry::Impl* registry = nullptr;  // for error reports
  Kind kind = Kind::kCounter;
  std::string name;  // base name: counters without "_total"
  std::string help;
  std::vector<std::string> label_names;
  std::vector<double> bounds;  // histograms: finite, strictly increasing
  size_t max_series = 0;

  mutable std::mutex mu;
  // Key: the label values, each prefixed by its length (unambiguous).
  std::unordered_map<std::string, void*> index;  // -> the series below
  std::vector<std::unique_ptr<CounterSeries>> counters;
  std::vector<std::unique_ptr<GaugeSeries>> gauges;
  std::vector<std::unique_ptr<HistogramSeries>> histograms;
  bool reported_limit = false;
};

// Reports a registration problem once (stderr, RegistrationErrors()).
void ReportError(MetricRegistry::Impl* registry, std::string message) noexcept;

}  // namespace quartet::metrics_internal

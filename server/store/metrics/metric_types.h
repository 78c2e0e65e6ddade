// The value types of the metric table (metric_table.h): samples, exemplars,
// metadata, what one append carries and how it went. Times are unix
// milliseconds, as Prometheus and remote_write carry them. Plain values:
// thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/store/interface.h"

namespace quartet::store {

struct Sample {
  int64_t t_ms = 0;
  double v = 0;
};

// An exemplar: a sample of the series with its own labels (trace_id,
// span_id, ...), linking a histogram bucket or counter to a trace.
struct Exemplar {
  Labels labels;  // sorted by name
  double value = 0;
  int64_t t_ms = 0;
};

enum class MetricType : uint8_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateSet = 7,
};
inline constexpr uint8_t kMaxMetricType = 7;

// What Prometheus's /api/v1/metadata returns, per metric family.
struct MetricMetadata {
  std::string family;  // e.g. "http_server_request_duration_seconds"
  MetricType type = MetricType::kUnknown;
  std::string help;
  std::string unit;
};

// One series' new data. `labels` identify it: sorted by name, names unique
// and non-empty, values non-empty (a label with an empty value is the same as
// no label, as in Prometheus: drop it before appending). Samples in time
// order; exemplars any order.
struct SeriesSamples {
  Labels labels;
  std::vector<Sample> samples;
  std::vector<Exemplar> exemplars;
};

// One append: what a remote_write request, a scrape or an OTLP export
// carries.
struct MetricBatch {
  std::vector<SeriesSamples> series;
  std::vector<MetricMetadata> metadata;
};

// How an append went, per reason. Rejections do not fail the call: every
// other sample was stored. `error` is the first rejection as a status
// (InvalidArgument: the request should be answered 400 with its message,
// as Prometheus answers remote_write with rejected samples).
struct MetricAppendResult {
  int64_t accepted_samples = 0;
  int64_t accepted_exemplars = 0;
  int64_t duplicate_samples = 0;     // same timestamp and value as stored: ignored, not an error
  int64_t out_of_order_samples = 0;  // older than the series' last sample
  int64_t conflicting_samples = 0;   // same timestamp, different value
  int64_t series_limit_samples = 0;  // of new series over the per-metric limit
  int64_t invalid_samples = 0;       // of series with malformed labels
  int64_t dropped_exemplars = 0;     // duplicate, out of order or invalid
  Status error;
  int64_t rejected_samples() const {
    return out_of_order_samples + conflicting_samples + series_limit_samples + invalid_samples;
  }
};

}  // namespace quartet::store

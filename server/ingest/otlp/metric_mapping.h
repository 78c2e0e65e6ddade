// How an OTLP metrics export becomes Prometheus series (store::MetricBatch),
// the way Prometheus's OTLP receiver maps it (the prometheusremotewrite
// translator with metric suffixes; names per prometheus_names.h):
//   - labels: the data point's attributes (names sanitised; keys that
//     sanitise alike have their values joined with ';' in key order), then
//     `job` = service.namespace + "/" + service.name (or service.name) and
//     `instance` = service.instance.id from the resource, overriding
//     attributes of those names; labels with empty values are dropped;
//   - the resource's other attributes go to one `target_info` series per
//     resource (value 1, with job and instance, at the resource's latest
//     data point time), not to every series;
//   - gauge -> gauge; monotonic sum -> counter `<name>_total`; non-monotonic
//     sum -> gauge; histogram -> `<name>_bucket{le=...}` (cumulative, up to
//     le="+Inf" = count), `<name>_sum` (when set), `<name>_count`; summary ->
//     `<name>{quantile=...}`, `<name>_sum`, `<name>_count`;
//   - exponential histograms (cumulative) become classic buckets: the
//     point's scale is lowered to at most `max_exponential_scale` (3: eight
//     buckets per power of two, <= 9% relative error) so that bucket bounds
//     stay the same when the sender rescales; each bucket's upper bound is an
//     `le` series, the zero bucket's is le=<zero_threshold>. Delta
//     exponential histograms are refused (counted, partial success): their
//     buckets move with the scale, so no running total is exact;
//   - delta sums and histograms become cumulative through DeltaToCumulative;
//   - the "no recorded value" flag writes Prometheus's staleness marker
//     (StaleNaN) on every series of the point;
//   - exemplars keep their value and time, with their filtered attributes
//     and trace_id / span_id (hex) as labels; a histogram's exemplar goes to
//     the bucket that holds its value;
//   - metadata per family: type, help = description, unit = the unit word.
// Refused data points (no timestamp, no value, unspecified temporality, a
// metric with no data type, delta exponential histograms, deltas out of
// order or over the stream limit) are counted with the first reason, and the
// rest is mapped: the OTLP partial-success response reports them. Bad data
// (a metric name with no letter or digit, inconsistent histogram buckets)
// fails the whole export with InvalidArgument naming the field path.
// Pure apart from `deltas`; thread-safe.
#pragma once

#include <cstdint>
#include <string>

#include "base/status.h"
#include "server/ingest/otlp/delta_to_cumulative.h"
#include "server/store/interface.h"
#include "wire/otlp/model.h"

namespace quartet::ingest {

struct MetricMappingOptions {
  int max_exponential_scale = 3;
};

struct MappedMetrics {
  store::MetricBatch batch;
  int64_t data_points = 0;      // mapped, target_info excluded
  int64_t rejected_points = 0;  // refused, see above
  std::string rejection_message;
};

// `now_ns` is a monotonic time for the delta streams' idle eviction.
Result<MappedMetrics> MapOtlpMetrics(const otlp::ExportMetricsServiceRequest& request,
                                     DeltaToCumulative* deltas, int64_t now_ns,
                                     const MetricMappingOptions& options = {});

// Prometheus's staleness marker, a NaN with the bits 0x7ff0000000000002.
double StaleMarker();
bool IsStaleMarker(double v);

}  // namespace quartet::ingest

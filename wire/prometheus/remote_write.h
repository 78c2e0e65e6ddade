// Prometheus remote_write 1.0: the prometheus.WriteRequest message as plain
// structs, a decoder that validates it the way a Prometheus receiver does
// (into owned structs, or into a WriteRequestView of flat arrays of views
// into the request bytes, which is what quartetd's receiver uses: no
// per-series allocation), and an encoder (for tests and for peers that
// forward). The HTTP body
// (snappy block + content negotiation) is remote_write_body.h. Spec:
// https://prometheus.io/docs/concepts/remote_write_spec/ (PROTOCOLS.md
// "remote_write 1.0"); field numbers from prometheus/prompb/{remote,types}.proto.
//
// Validation (DecodeWriteRequest), per series, in this order:
//   - labels with an empty value are dropped (Prometheus treats a label with
//     an empty value as absent);
//   - labels are sorted by name when the sender did not sort them (the spec
//     says senders MUST sort; Prometheus' receiver does not rely on it);
//   - every label name matches [a-zA-Z_][a-zA-Z0-9_]*, every value is UTF-8;
//   - a label name twice is refused;
//   - __name__ must be present and a valid *legacy* metric name
//     ([a-zA-Z_:][a-zA-Z0-9_:]*): Prometheus 2.x's receiver checks
//     labels.IsValid(), i.e. model.IsValidMetricName; UTF-8 metric names
//     arrived only with Prometheus 3.0.
// The first invalid series fails the whole request (InvalidArgument, HTTP
// 400, which senders do not retry); the message names the series by its
// labels and the problem. Exemplars whose labels are invalid are dropped and
// counted instead, as Prometheus' receiver logs and skips exemplar errors.
// Native histograms (TimeSeries field 4) are counted, not decoded: they are
// reported as unsupported without failing the request.
//
// Thread-safety: pure functions over caller-owned data.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "wire/prometheus/names.h"
#include "wire/prometheus/text_format.h"  // Label

namespace quartet::prometheus::rw {

// Bits of the staleness marker, a NaN Prometheus writes when a series ends.
inline constexpr uint64_t kStaleNaNBits = 0x7ff0000000000002ull;
bool IsStaleMarker(double value);
double StaleMarker();

struct Sample {
  double value = 0;
  int64_t timestamp_ms = 0;
};

struct Exemplar {
  std::vector<Label> labels;  // as sent (typically trace_id, span_id)
  double value = 0;
  int64_t timestamp_ms = 0;
};

struct TimeSeries {
  std::vector<Label> labels;  // validated, sorted by name, __name__ included
  std::vector<Sample> samples;
  std::vector<Exemplar> exemplars;
  size_t histograms = 0;  // native histograms received but not decoded
};

// prometheus.MetricMetadata.MetricType, with the proto's numbers.
enum class MetadataType : int32_t {
  kUnknown = 0,
  kCounter = 1,
  kGauge = 2,
  kHistogram = 3,
  kGaugeHistogram = 4,
  kSummary = 5,
  kInfo = 6,
  kStateset = 7,
};
// "unknown", "counter", ... "stateset" (as Prometheus' /api/v1/metadata).
std::string_view MetadataTypeName(MetadataType type);

struct Metadata {
  MetadataType type = MetadataType::kUnknown;  // out-of-range values read as kUnknown
  std::string metric_family_name;
  std::string help;
  std::string unit;
};

struct WriteRequest {
  std::vector<TimeSeries> timeseries;
  std::vector<Metadata> metadata;
  // Totals a receiver reports (and counts) without failing the request.
  size_t native_histograms = 0;      // sum of TimeSeries::histograms
  size_t dropped_exemplars = 0;      // exemplars with invalid labels
  std::string first_exemplar_error;  // why the first one was dropped
};

struct DecodeLimits {
  // Memory the decoded request may take, as a multiple of the input size,
  // plus a constant; beyond it decoding fails with ResourceExhausted. Real
  // requests need about 8x (a 64-byte Label for an ~8-byte label field).
  size_t budget_factor = 16;
  size_t budget_base = 64 * 1024;
};

// The same request with every string a view into the protobuf bytes it was
// decoded from (which must outlive it), and every repeated field of every
// series in one flat array: decoding allocates a handful of arrays per
// request instead of several strings and vectors per series, which is what
// a receiver that only looks series up needs. The arrays keep their
// capacity when a view is decoded into again.
struct LabelView {
  std::string_view name;
  std::string_view value;
};

struct ExemplarView {
  uint32_t labels_begin = 0;  // [labels_begin, labels_end) of exemplar_labels
  uint32_t labels_end = 0;
  double value = 0;
  int64_t timestamp_ms = 0;
};

struct SeriesView {
  uint32_t labels_begin = 0;  // of WriteRequestView::labels
  uint32_t labels_end = 0;
  uint32_t samples_begin = 0;  // of WriteRequestView::samples
  uint32_t samples_end = 0;
  uint32_t exemplars_begin = 0;  // of WriteRequestView::exemplars
  uint32_t exemplars_end = 0;
  uint32_t histograms = 0;  // native histograms received but not decoded
};

struct MetadataView {
  MetadataType type = MetadataType::kUnknown;
  std::string_view metric_family_name;
  std::string_view help;
  std::string_view unit;
};

// LabelT is LabelView here; remote_write_view_decode.h decodes into any
// struct of two string_views `name` and `value` (a store's own), so that a
// receiver does not copy the labels into it.
template <typename LabelT>
struct BasicWriteRequestView {
  std::vector<SeriesView> series;
  std::vector<LabelT> labels;  // per series: validated, sorted by name, __name__ included
  std::vector<Sample> samples;
  std::vector<ExemplarView> exemplars;  // only those with valid labels
  std::vector<LabelView> exemplar_labels;
  std::vector<MetadataView> metadata;
  size_t native_histograms = 0;
  size_t dropped_exemplars = 0;
  std::string first_exemplar_error;

  std::span<const LabelT> LabelsOf(const SeriesView& s) const {
    return std::span(labels).subspan(s.labels_begin, s.labels_end - s.labels_begin);
  }
  std::span<const Sample> SamplesOf(const SeriesView& s) const {
    return std::span(samples).subspan(s.samples_begin, s.samples_end - s.samples_begin);
  }
  std::span<const ExemplarView> ExemplarsOf(const SeriesView& s) const {
    return std::span(exemplars).subspan(s.exemplars_begin, s.exemplars_end - s.exemplars_begin);
  }
  std::span<const LabelView> LabelsOf(const ExemplarView& e) const {
    return std::span(exemplar_labels).subspan(e.labels_begin, e.labels_end - e.labels_begin);
  }
};
using WriteRequestView = BasicWriteRequestView<LabelView>;

// Decodes and validates one WriteRequest into *out (cleared first; its
// arrays keep their capacity), exactly as DecodeWriteRequest: the same
// validation, errors and memory budget (charged as for the owned form).
// On error *out holds an unspecified part of the request.
Status DecodeWriteRequestView(std::string_view protobuf, WriteRequestView* out,
                              const DecodeLimits& limits = {});

// The owned form of a decoded view.
WriteRequest ToWriteRequest(const WriteRequestView& view);

// Decodes and validates one WriteRequest (uncompressed protobuf bytes).
// Errors: InvalidArgument for malformed protobuf or an invalid series (the
// message names it), ResourceExhausted when the decoded form would exceed
// the budget. Unknown fields are skipped.
Result<WriteRequest> DecodeWriteRequest(std::string_view protobuf, const DecodeLimits& limits = {});

// Encodes `request` as prometheus.WriteRequest (histogram counts are not
// encoded: there is nothing to encode them from). Zero scalars are omitted,
// as gogo-protobuf does for proto3 fields. Labels are written as given.
std::string EncodeWriteRequest(const WriteRequest& request);

// `{__name__="up", job="x"}` with label values escaped as in the text
// format; how errors name a series.
std::string FormatLabels(const std::vector<Label>& labels);
std::string FormatLabels(std::span<const LabelView> labels);

}  // namespace quartet::prometheus::rw

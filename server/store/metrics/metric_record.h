// The metric table's write-ahead-log records (docs/formats/metrics.md, "WAL
// records"): series (a label set gets a per-head reference number), samples
// and exemplars by reference, and metric metadata. The label-set coding is
// shared with the block format. Decoders validate every length and are safe
// on arbitrary bytes. Pure functions: thread-safe.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/metrics/metric_types.h"

namespace quartet::store {

enum MetricRecordKind : char {
  kSeriesRecord = 'S',
  kSamplesRecord = 'D',
  kExemplarsRecord = 'E',
  kMetadataRecord = 'M',
};

struct SeriesRecordEntry {
  uint32_t ref = 0;
  Labels labels;
  // The series' last sample before this head (carried across a flush so
  // that out-of-order checks survive it).
  bool has_last = false;
  int64_t last_t = 0;
  uint64_t last_bits = 0;
};

struct SampleRecordEntry {
  uint32_t ref = 0;
  int64_t t_ms = 0;
  uint64_t bits = 0;
};

struct ExemplarRecordEntry {
  uint32_t ref = 0;
  Exemplar exemplar;
};

// A checkpoint series record opens a new head: references restart there.
std::string EncodeSeriesRecord(bool checkpoint, std::span<const SeriesRecordEntry> series);
std::string EncodeExemplarsRecord(std::span<const ExemplarRecordEntry> exemplars);
std::string EncodeMetadataRecord(std::span<const MetricMetadata> metadata);

// Samples are the hot path: built in place, without an intermediate vector.
class SamplesRecordBuilder {
 public:
  void Add(uint32_t ref, int64_t t_ms, uint64_t bits);
  bool empty() const { return count_ == 0; }
  const std::string& record() const { return out_; }
  void Clear() {
    out_.clear();
    count_ = 0;
  }

 private:
  std::string out_;
  int64_t base_t_ = 0;
  size_t count_ = 0;
};

struct MetricRecord {
  MetricRecordKind kind = kSeriesRecord;
  bool checkpoint = false;
  std::vector<SeriesRecordEntry> series;
  std::vector<SampleRecordEntry> samples;
  std::vector<ExemplarRecordEntry> exemplars;
  std::vector<MetricMetadata> metadata;
};
Result<MetricRecord> DecodeMetricRecord(std::string_view record);

// Label sets: varint count, then (length-prefixed name, value) pairs.
void PutLabels(std::string* out, const Labels& labels);
bool GetLabels(std::string_view* in, Labels* labels);
// True when names are non-empty, strictly increasing, and values non-empty.
bool ValidLabels(const Labels& labels);

}  // namespace quartet::store

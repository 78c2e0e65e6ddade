// The remote_write view decoder as templates over the label struct the
// caller wants (wire/prometheus/remote_write.h, BasicWriteRequestView): a
// receiver whose store takes its own struct of two string_views decodes
// straight into it instead of copying every label of the request once more
// (that copy, on fresh pages, was ~10% of quartetd's remote_write CPU).
// remote_write.cc instantiates it for LabelView (DecodeWriteRequestView);
// other label types include this header. LabelT needs members `name` and
// `value` assignable from std::string_view and must be default-constructible.
//
// Thread-safety: pure functions over caller-owned data.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <string>
#include <string_view>

#include "base/status.h"
#include "wire/prometheus/remote_write.h"
#include "wire/protobuf/reader.h"

namespace quartet::prometheus::rw {
namespace view_internal {

// Field numbers of prometheus/prompb (remote.proto, types.proto).
inline constexpr uint32_t kRequestTimeseries = 1;
inline constexpr uint32_t kRequestMetadata = 3;
inline constexpr uint32_t kSeriesLabels = 1;
inline constexpr uint32_t kSeriesSamples = 2;
inline constexpr uint32_t kSeriesExemplars = 3;
inline constexpr uint32_t kSeriesHistograms = 4;
inline constexpr uint32_t kLabelName = 1;
inline constexpr uint32_t kLabelValue = 2;
inline constexpr uint32_t kSampleValue = 1;
inline constexpr uint32_t kSampleTimestamp = 2;
inline constexpr uint32_t kExemplarLabels = 1;
inline constexpr uint32_t kExemplarValue = 2;
inline constexpr uint32_t kExemplarTimestamp = 3;
inline constexpr uint32_t kMetadataType = 1;
inline constexpr uint32_t kMetadataFamily = 2;
inline constexpr uint32_t kMetadataHelp = 4;
inline constexpr uint32_t kMetadataUnit = 5;

inline constexpr std::string_view kMetricNameLabel = "__name__";

Status OverBudget();

template <typename L>
std::string FormatLabelList(std::span<const L> labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out.append(", ");
    out.append(labels[i].name);
    out.append("=\"");
    AppendEscapedLabelValue(labels[i].value, &out);
    out.push_back('"');
  }
  out.push_back('}');
  return out;
}

// The view decoder charges the budget with what the owned form
// (WriteRequest) would take, so both forms accept the same requests.
inline constexpr size_t kLabelCharge = sizeof(Label);

// Fast paths for the encodings every sender uses (fields in number order,
// each once, short lengths): they read the message bytes directly and
// decline anything else, which the general Reader path then decodes with
// its precise errors. Both paths give the same result on what they accept.

// A one-byte-length string field `tag` at *pos.
inline bool TakeShortBytes(std::string_view b, char tag, size_t* pos, std::string_view* out) {
  if (*pos >= b.size() || b[*pos] != tag) return true;  // absent: empty
  if (*pos + 1 >= b.size()) return false;
  const auto n = static_cast<uint8_t>(b[*pos + 1]);
  if (n >= 0x80 || *pos + 2 + n > b.size()) return false;
  *out = b.substr(*pos + 2, n);
  *pos += 2 + n;
  return true;
}

// Label: 0x0a len name 0x12 len value.
inline bool ParseLabelFast(std::string_view b, std::string_view* name, std::string_view* value) {
  size_t pos = 0;
  return TakeShortBytes(b, 0x0a, &pos, name) && TakeShortBytes(b, 0x12, &pos, value) &&
         pos == b.size();
}

// Sample: 0x09 fixed64 value, 0x10 varint timestamp.
inline bool ParseSampleFast(std::string_view b, Sample* out) {
  size_t pos = 0;
  double value = 0;
  if (pos < b.size() && b[pos] == 0x09) {
    if (b.size() < 9) return false;
    std::memcpy(&value, b.data() + 1, sizeof(value));
    pos = 9;
  }
  uint64_t ts = 0;
  if (pos < b.size() && b[pos] == 0x10) {
    ++pos;
    for (int shift = 0;; shift += 7) {
      if (pos >= b.size() || shift > 63) return false;
      const auto byte = static_cast<uint8_t>(b[pos++]);
      if (shift == 63 && byte > 1) return false;  // overlong: the Reader says so
      ts |= static_cast<uint64_t>(byte & 0x7f) << shift;
      if ((byte & 0x80) == 0) break;
    }
  }
  if (pos != b.size()) return false;
  out->value = value;
  out->timestamp_ms = static_cast<int64_t>(ts);
  return true;
}

// Reads a Label message (name 1, value 2) as views, charging its owned size.
template <typename L>
Status ReadLabel(const protobuf::Reader& parent, const protobuf::Field& field, L* out) {
  if (field.type == protobuf::WireType::kLengthDelimited &&
      ParseLabelFast(field.bytes, &out->name, &out->value)) {
    if (!parent.Charge(kLabelCharge + out->name.size() + out->value.size())) return OverBudget();
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  std::string_view name, value;
  while (r.Next(&f)) {
    if (f.number == kLabelName) {
      ASSIGN_OR_RETURN(name, f.Bytes());
    } else if (f.number == kLabelValue) {
      ASSIGN_OR_RETURN(value, f.Bytes());
    }
  }
  RETURN_IF_ERROR(r.status());
  if (!parent.Charge(kLabelCharge + name.size() + value.size())) return OverBudget();
  out->name = name;
  out->value = value;
  return Status::Ok();
}

inline Status ReadSample(const protobuf::Reader& parent, const protobuf::Field& field,
                         Sample* out) {
  if (field.type == protobuf::WireType::kLengthDelimited && ParseSampleFast(field.bytes, out)) {
    return Status::Ok();
  }
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  while (r.Next(&f)) {
    if (f.number == kSampleValue) {
      ASSIGN_OR_RETURN(out->value, f.Double());
    } else if (f.number == kSampleTimestamp) {
      ASSIGN_OR_RETURN(out->timestamp_ms, f.Int64());
    }
  }
  return r.status();
}

template <typename View>
Status ReadExemplar(const protobuf::Reader& parent, const protobuf::Field& field, View* view) {
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  ExemplarView& out = view->exemplars.back();
  out.labels_begin = out.labels_end = static_cast<uint32_t>(view->exemplar_labels.size());
  protobuf::Field f;
  while (r.Next(&f)) {
    if (f.number == kExemplarLabels) {
      RETURN_IF_ERROR(ReadLabel(r, f, &view->exemplar_labels.emplace_back()));
      out.labels_end = static_cast<uint32_t>(view->exemplar_labels.size());
    } else if (f.number == kExemplarValue) {
      ASSIGN_OR_RETURN(out.value, f.Double());
    } else if (f.number == kExemplarTimestamp) {
      ASSIGN_OR_RETURN(out.timestamp_ms, f.Int64());
    }
  }
  return r.status();
}

// Label values are nearly always ASCII, which is valid UTF-8: checked a
// word at a time.
inline bool IsAscii(std::string_view s) {
  size_t i = 0;
  uint64_t bits = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t w;
    std::memcpy(&w, s.data() + i, sizeof(w));
    bits |= w;
  }
  for (; i < s.size(); ++i) bits |= static_cast<uint8_t>(s[i]);
  return (bits & 0x8080808080808080ull) == 0;
}

// Drops empty values, sorts, and checks names, values and duplicates of the
// labels of the series being read: the tail of view->labels from `begin`.
template <typename View>
Status NormalizeSeriesLabels(View* view, size_t begin) {
  auto& all = view->labels;
  all.erase(std::remove_if(all.begin() + static_cast<ptrdiff_t>(begin), all.end(),
                           [](const auto& l) { return l.value.empty(); }),
            all.end());
  const auto first = all.begin() + static_cast<ptrdiff_t>(begin);
  auto by_name = [](const auto& a, const auto& b) { return a.name < b.name; };
  if (!std::is_sorted(first, all.end(), by_name)) std::stable_sort(first, all.end(), by_name);
  bool has_name = false;
  for (size_t i = begin; i < all.size(); ++i) {
    const auto& l = all[i];
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument("invalid label name \"" + std::string(l.name) + "\"");
    }
    if (!IsAscii(l.value) && !IsValidUtf8(l.value)) {
      return Status::InvalidArgument("label " + std::string(l.name) +
                                     " has a value that is not valid UTF-8");
    }
    if (i > begin && all[i - 1].name == l.name) {
      return Status::InvalidArgument("duplicate label name \"" + std::string(l.name) + "\"");
    }
    if (l.name == kMetricNameLabel) {
      has_name = true;
      if (!IsValidMetricName(l.value)) {
        return Status::InvalidArgument("invalid metric name \"" + std::string(l.value) + "\"");
      }
    }
  }
  if (!has_name) return Status::InvalidArgument("missing metric name (__name__ label)");
  return Status::Ok();
}

// Checks an exemplar's labels (names, UTF-8 values, duplicates).
Status ValidateExemplarLabels(std::span<const LabelView> labels);

// The series encoding every sender uses, read directly: only labels and
// samples, each a message under 128 bytes that its own fast path reads.
// Declining (the general path then reads the series with its precise
// errors) takes back what was appended, and nothing is charged until the
// whole series is read: one charge of the sum fails exactly when the
// general path's charges one by one would. This skips a Reader step and a
// varint read per field: a request of 6,500 series carries ~45,000 fields.
template <typename View>
bool ReadSeriesFast(const protobuf::Reader& parent, std::string_view b, View* view,
                    Status* over_budget) {
  const size_t labels_before = view->labels.size();
  const size_t samples_before = view->samples.size();
  auto decline = [&] {
    view->labels.resize(labels_before);
    view->samples.resize(samples_before);
    return false;
  };
  size_t charge = 0;
  for (size_t pos = 0; pos < b.size();) {
    if (pos + 1 >= b.size()) return decline();
    const char tag = b[pos];
    const auto n = static_cast<uint8_t>(b[pos + 1]);
    if (n >= 0x80 || pos + 2 + n > b.size()) return decline();
    const std::string_view msg = b.substr(pos + 2, n);
    if (tag == 0x0a) {
      auto& l = view->labels.emplace_back();
      if (!ParseLabelFast(msg, &l.name, &l.value)) return decline();
      charge += kLabelCharge + l.name.size() + l.value.size();
    } else if (tag == 0x12) {
      if (!ParseSampleFast(msg, &view->samples.emplace_back())) return decline();
      charge += sizeof(Sample);
    } else {
      return decline();
    }
    pos += 2 + n;
  }
  if (!parent.Charge(charge)) *over_budget = OverBudget();
  return true;
}

template <typename View>
Status ReadSeriesFields(const protobuf::Reader& parent, const protobuf::Field& field, View* view) {
  if (field.type == protobuf::WireType::kLengthDelimited) {
    Status over_budget;
    if (ReadSeriesFast(parent, field.bytes, view, &over_budget)) return over_budget;
  }
  SeriesView& series = view->series.back();
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case kSeriesLabels:
        RETURN_IF_ERROR(ReadLabel(r, f, &view->labels.emplace_back()));
        break;
      case kSeriesSamples:
        if (!r.Charge(sizeof(Sample))) return OverBudget();
        RETURN_IF_ERROR(ReadSample(r, f, &view->samples.emplace_back()));
        break;
      case kSeriesExemplars:
        if (!r.Charge(sizeof(Exemplar))) return OverBudget();
        view->exemplars.emplace_back();
        RETURN_IF_ERROR(ReadExemplar(r, f, view));
        break;
      case kSeriesHistograms:
        RETURN_IF_ERROR(f.ExpectType(protobuf::WireType::kLengthDelimited));
        ++series.histograms;
        break;
      default:
        break;
    }
  }
  return r.status();
}

template <typename View>
Status ReadSeries(const protobuf::Reader& parent, const protobuf::Field& field, View* view) {
  const size_t index = view->series.size();
  SeriesView& series = view->series.emplace_back();
  series.labels_begin = static_cast<uint32_t>(view->labels.size());
  series.samples_begin = static_cast<uint32_t>(view->samples.size());
  series.exemplars_begin = static_cast<uint32_t>(view->exemplars.size());
  Status read = ReadSeriesFields(parent, field, view);
  if (!read.ok()) return read.Annotate("timeseries " + std::to_string(index));
  Status labels = NormalizeSeriesLabels(view, series.labels_begin);
  series.labels_end = static_cast<uint32_t>(view->labels.size());
  series.samples_end = static_cast<uint32_t>(view->samples.size());
  if (!labels.ok()) {
    return labels.Annotate("timeseries " + std::to_string(index) + " " +
                           FormatLabelList(view->LabelsOf(series)));
  }
  view->native_histograms += series.histograms;
  std::vector<ExemplarView>& ex = view->exemplars;
  ex.erase(std::remove_if(ex.begin() + series.exemplars_begin, ex.end(),
                          [&](const ExemplarView& e) {
                            Status st = ValidateExemplarLabels(view->LabelsOf(e));
                            if (st.ok()) return false;
                            if (view->dropped_exemplars++ == 0) {
                              view->first_exemplar_error = std::string(st.message()) +
                                                           " in an exemplar of " +
                                                           FormatLabelList(view->LabelsOf(series));
                            }
                            return true;
                          }),
           ex.end());
  series.exemplars_end = static_cast<uint32_t>(ex.size());
  return Status::Ok();
}

Status ReadMetadata(const protobuf::Reader& parent, const protobuf::Field& field,
                    MetadataView* out);

// Sizes the arrays for the request before decoding it: grown by doubling,
// a large request's arrays were copied and their fresh pages touched about
// twice (above malloc's mmap threshold every request maps its arrays anew,
// and page faults were a quarter of remote_write's CPU). Counting the series
// is one cheap pass over the top-level fields; labels are reserved for a
// typical series (what is not touched costs no memory), samples for one a
// series (a scrape's shape); more grow as before. Malformed input is left
// to the decoding pass to report. Each reservation stays within what the
// memory budget lets the decoder charge for that array, so a hostile
// request of empty series reserves no more than its budget allows.
template <typename View>
void ReserveFor(std::string_view protobuf, size_t budget, View* out) {
  protobuf::Reader scan(protobuf);
  protobuf::Field f;
  size_t series = 0;
  while (scan.Next(&f)) series += f.number == kRequestTimeseries ? 1 : 0;
  constexpr size_t kLabelsPerSeries = 8;
  out->series.reserve(std::min(series, budget / sizeof(TimeSeries)));
  out->samples.reserve(std::min(series, budget / sizeof(Sample)));
  out->labels.reserve(std::min(series * kLabelsPerSeries, budget / kLabelCharge));
}

}  // namespace view_internal

// DecodeWriteRequestView for any label struct (see the top of this file).
template <typename LabelT>
Status DecodeWriteRequestInto(std::string_view protobuf, BasicWriteRequestView<LabelT>* out,
                              const DecodeLimits& limits = {}) {
  using namespace view_internal;
  out->series.clear();
  out->labels.clear();
  out->samples.clear();
  out->exemplars.clear();
  out->exemplar_labels.clear();
  out->metadata.clear();
  out->native_histograms = 0;
  out->dropped_exemplars = 0;
  out->first_exemplar_error.clear();
  int64_t budget =
      static_cast<int64_t>(limits.budget_base) +
      static_cast<int64_t>(limits.budget_factor) * static_cast<int64_t>(protobuf.size());
  ReserveFor(protobuf, static_cast<size_t>(budget), out);
  protobuf::Reader r(protobuf);
  r.set_budget(&budget);
  protobuf::Field f;
  while (r.Next(&f)) {
    if (f.number == kRequestTimeseries) {
      if (!r.Charge(sizeof(TimeSeries))) return OverBudget();
      RETURN_IF_ERROR(ReadSeries(r, f, out));
    } else if (f.number == kRequestMetadata) {
      if (!r.Charge(sizeof(Metadata))) return OverBudget();
      Status st = ReadMetadata(r, f, &out->metadata.emplace_back());
      if (!st.ok()) return st.Annotate("metadata " + std::to_string(out->metadata.size() - 1));
    }
  }
  if (!r.status().ok()) return r.status().Annotate("remote_write");
  return Status::Ok();
}

}  // namespace quartet::prometheus::rw

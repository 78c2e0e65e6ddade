#include "wire/prometheus/remote_write.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "wire/protobuf/reader.h"
#include "wire/protobuf/writer.h"

namespace quartet::prometheus::rw {
namespace {

// Field numbers of prometheus/prompb (remote.proto, types.proto).
constexpr uint32_t kRequestTimeseries = 1;
constexpr uint32_t kRequestMetadata = 3;
constexpr uint32_t kSeriesLabels = 1;
constexpr uint32_t kSeriesSamples = 2;
constexpr uint32_t kSeriesExemplars = 3;
constexpr uint32_t kSeriesHistograms = 4;
constexpr uint32_t kLabelName = 1;
constexpr uint32_t kLabelValue = 2;
constexpr uint32_t kSampleValue = 1;
constexpr uint32_t kSampleTimestamp = 2;
constexpr uint32_t kExemplarLabels = 1;
constexpr uint32_t kExemplarValue = 2;
constexpr uint32_t kExemplarTimestamp = 3;
constexpr uint32_t kMetadataType = 1;
constexpr uint32_t kMetadataFamily = 2;
constexpr uint32_t kMetadataHelp = 4;
constexpr uint32_t kMetadataUnit = 5;

constexpr std::string_view kMetricNameLabel = "__name__";

Status OverBudget() {
  return Status::ResourceExhausted(
      "remote_write: decoded request would exceed the memory budget for its size");
}

// The view decoder charges the budget with what the owned form
// (WriteRequest) would take, so both forms accept the same requests.
constexpr size_t kLabelCharge = sizeof(Label);

// Fast paths for the encodings every sender uses (fields in number order,
// each once, short lengths): they read the message bytes directly and
// decline anything else, which the general Reader path then decodes with
// its precise errors. Both paths give the same result on what they accept.

// A one-byte-length string field `tag` at *pos.
bool TakeShortBytes(std::string_view b, char tag, size_t* pos, std::string_view* out) {
  if (*pos >= b.size() || b[*pos] != tag) return true;  // absent: empty
  if (*pos + 1 >= b.size()) return false;
  const auto n = static_cast<uint8_t>(b[*pos + 1]);
  if (n >= 0x80 || *pos + 2 + n > b.size()) return false;
  *out = b.substr(*pos + 2, n);
  *pos += 2 + n;
  return true;
}

// Label: 0x0a len name 0x12 len value.
bool ParseLabelFast(std::string_view b, std::string_view* name, std::string_view* value) {
  size_t pos = 0;
  return TakeShortBytes(b, 0x0a, &pos, name) && TakeShortBytes(b, 0x12, &pos, value) &&
         pos == b.size();
}

// Sample: 0x09 fixed64 value, 0x10 varint timestamp.
bool ParseSampleFast(std::string_view b, Sample* out) {
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
Status ReadLabel(const protobuf::Reader& parent, const protobuf::Field& field, LabelView* out) {
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

Status ReadSample(const protobuf::Reader& parent, const protobuf::Field& field, Sample* out) {
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

Status ReadExemplar(const protobuf::Reader& parent, const protobuf::Field& field,
                    WriteRequestView* view) {
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
bool IsAscii(std::string_view s) {
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
Status NormalizeSeriesLabels(WriteRequestView* view, size_t begin) {
  std::vector<LabelView>& all = view->labels;
  all.erase(std::remove_if(all.begin() + static_cast<ptrdiff_t>(begin), all.end(),
                           [](const LabelView& l) { return l.value.empty(); }),
            all.end());
  const auto first = all.begin() + static_cast<ptrdiff_t>(begin);
  auto by_name = [](const LabelView& a, const LabelView& b) { return a.name < b.name; };
  if (!std::is_sorted(first, all.end(), by_name)) std::stable_sort(first, all.end(), by_name);
  bool has_name = false;
  for (size_t i = begin; i < all.size(); ++i) {
    const LabelView& l = all[i];
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

Status ValidateExemplarLabels(std::span<const LabelView> labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!IsValidLabelName(labels[i].name)) {
      return Status::InvalidArgument("invalid exemplar label name \"" +
                                     std::string(labels[i].name) + "\"");
    }
    if (!IsValidUtf8(labels[i].value)) {
      return Status::InvalidArgument("exemplar label " + std::string(labels[i].name) +
                                     " has a value that is not valid UTF-8");
    }
    for (size_t j = 0; j < i; ++j) {
      if (labels[j].name == labels[i].name) {
        return Status::InvalidArgument("duplicate exemplar label name \"" +
                                       std::string(labels[i].name) + "\"");
      }
    }
  }
  return Status::Ok();
}

Status ReadSeriesFields(const protobuf::Reader& parent, const protobuf::Field& field,
                        WriteRequestView* view) {
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

Status ReadSeries(const protobuf::Reader& parent, const protobuf::Field& field,
                  WriteRequestView* view) {
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
                           FormatLabels(view->LabelsOf(series)));
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
                                                           FormatLabels(view->LabelsOf(series));
                            }
                            return true;
                          }),
           ex.end());
  series.exemplars_end = static_cast<uint32_t>(ex.size());
  return Status::Ok();
}

Status ReadMetadata(const protobuf::Reader& parent, const protobuf::Field& field,
                    MetadataView* out) {
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case kMetadataType: {
        ASSIGN_OR_RETURN(int32_t type, f.Int32());
        out->type = type >= 0 && type <= static_cast<int32_t>(MetadataType::kStateset)
                        ? static_cast<MetadataType>(type)
                        : MetadataType::kUnknown;
        break;
      }
      case kMetadataFamily: {
        ASSIGN_OR_RETURN(out->metric_family_name, f.Bytes());
        break;
      }
      case kMetadataHelp: {
        ASSIGN_OR_RETURN(out->help, f.Bytes());
        break;
      }
      case kMetadataUnit: {
        ASSIGN_OR_RETURN(out->unit, f.Bytes());
        break;
      }
      default:
        break;
    }
  }
  RETURN_IF_ERROR(r.status());
  if (!parent.Charge(out->metric_family_name.size() + out->help.size() + out->unit.size())) {
    return OverBudget();
  }
  return Status::Ok();
}

std::vector<Label> OwnedLabels(std::span<const LabelView> labels) {
  std::vector<Label> out;
  out.reserve(labels.size());
  for (const LabelView& l : labels) out.push_back(Label{std::string(l.name), std::string(l.value)});
  return out;
}

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
void ReserveFor(std::string_view protobuf, size_t budget, WriteRequestView* out) {
  protobuf::Reader scan(protobuf);
  protobuf::Field f;
  size_t series = 0;
  while (scan.Next(&f)) series += f.number == kRequestTimeseries ? 1 : 0;
  constexpr size_t kLabelsPerSeries = 8;
  out->series.reserve(std::min(series, budget / sizeof(TimeSeries)));
  out->samples.reserve(std::min(series, budget / sizeof(Sample)));
  out->labels.reserve(std::min(series * kLabelsPerSeries, budget / kLabelCharge));
}

}  // namespace

bool IsStaleMarker(double value) {
  uint64_t bits;
  std::memcpy(&bits, &value, sizeof(bits));
  return bits == kStaleNaNBits;
}

double StaleMarker() {
  double v;
  std::memcpy(&v, &kStaleNaNBits, sizeof(v));
  return v;
}

std::string_view MetadataTypeName(MetadataType type) {
  switch (type) {
    case MetadataType::kCounter:
      return "counter";
    case MetadataType::kGauge:
      return "gauge";
    case MetadataType::kHistogram:
      return "histogram";
    case MetadataType::kGaugeHistogram:
      return "gaugehistogram";
    case MetadataType::kSummary:
      return "summary";
    case MetadataType::kInfo:
      return "info";
    case MetadataType::kStateset:
      return "stateset";
    case MetadataType::kUnknown:
      break;
  }
  return "unknown";
}

Status DecodeWriteRequestView(std::string_view protobuf, WriteRequestView* out,
                              const DecodeLimits& limits) {
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

WriteRequest ToWriteRequest(const WriteRequestView& view) {
  WriteRequest request;
  request.timeseries.reserve(view.series.size());
  for (const SeriesView& s : view.series) {
    TimeSeries& ts = request.timeseries.emplace_back();
    ts.labels = OwnedLabels(view.LabelsOf(s));
    const std::span<const Sample> samples = view.SamplesOf(s);
    ts.samples.assign(samples.begin(), samples.end());
    for (const ExemplarView& e : view.ExemplarsOf(s)) {
      ts.exemplars.push_back(Exemplar{OwnedLabels(view.LabelsOf(e)), e.value, e.timestamp_ms});
    }
    ts.histograms = s.histograms;
  }
  request.metadata.reserve(view.metadata.size());
  for (const MetadataView& m : view.metadata) {
    request.metadata.push_back(Metadata{m.type, std::string(m.metric_family_name),
                                        std::string(m.help), std::string(m.unit)});
  }
  request.native_histograms = view.native_histograms;
  request.dropped_exemplars = view.dropped_exemplars;
  request.first_exemplar_error = view.first_exemplar_error;
  return request;
}

Result<WriteRequest> DecodeWriteRequest(std::string_view protobuf, const DecodeLimits& limits) {
  WriteRequestView view;
  RETURN_IF_ERROR(DecodeWriteRequestView(protobuf, &view, limits));
  return ToWriteRequest(view);
}

namespace {

void WriteLabels(protobuf::Writer* w, uint32_t field, const std::vector<Label>& labels) {
  for (const Label& l : labels) {
    auto mark = w->BeginMessage(field);
    if (!l.name.empty()) w->String(kLabelName, l.name);
    if (!l.value.empty()) w->String(kLabelValue, l.value);
    w->EndMessage(mark);
  }
}

// proto3 omits a double only when it is +0.0 (a -0.0 keeps its sign bit).
bool IsPositiveZero(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits == 0;
}

}  // namespace

std::string EncodeWriteRequest(const WriteRequest& request) {
  protobuf::Writer w;
  for (const TimeSeries& series : request.timeseries) {
    auto ts = w.BeginMessage(kRequestTimeseries);
    WriteLabels(&w, kSeriesLabels, series.labels);
    for (const Sample& s : series.samples) {
      auto m = w.BeginMessage(kSeriesSamples);
      if (!IsPositiveZero(s.value)) w.Double(kSampleValue, s.value);
      if (s.timestamp_ms != 0) w.Int64(kSampleTimestamp, s.timestamp_ms);
      w.EndMessage(m);
    }
    for (const Exemplar& e : series.exemplars) {
      auto m = w.BeginMessage(kSeriesExemplars);
      WriteLabels(&w, kExemplarLabels, e.labels);
      if (!IsPositiveZero(e.value)) w.Double(kExemplarValue, e.value);
      if (e.timestamp_ms != 0) w.Int64(kExemplarTimestamp, e.timestamp_ms);
      w.EndMessage(m);
    }
    w.EndMessage(ts);
  }
  for (const Metadata& md : request.metadata) {
    auto m = w.BeginMessage(kRequestMetadata);
    if (md.type != MetadataType::kUnknown) w.Enum(kMetadataType, static_cast<int32_t>(md.type));
    if (!md.metric_family_name.empty()) w.String(kMetadataFamily, md.metric_family_name);
    if (!md.help.empty()) w.String(kMetadataHelp, md.help);
    if (!md.unit.empty()) w.String(kMetadataUnit, md.unit);
    w.EndMessage(m);
  }
  return w.Release();
}

namespace {

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

}  // namespace

std::string FormatLabels(const std::vector<Label>& labels) {
  return FormatLabelList(std::span<const Label>(labels));
}

std::string FormatLabels(std::span<const LabelView> labels) { return FormatLabelList(labels); }

}  // namespace quartet::prometheus::rw

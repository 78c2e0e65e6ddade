#include "wire/prometheus/remote_write.h"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "wire/prometheus/remote_write_view_decode.h"
#include "wire/protobuf/reader.h"
#include "wire/protobuf/writer.h"

namespace quartet::prometheus::rw {
namespace {

using namespace view_internal;

std::vector<Label> OwnedLabels(std::span<const LabelView> labels) {
  std::vector<Label> out;
  out.reserve(labels.size());
  for (const LabelView& l : labels) out.push_back(Label{std::string(l.name), std::string(l.value)});
  return out;
}

}  // namespace

namespace view_internal {

Status OverBudget() {
  return Status::ResourceExhausted(
      "remote_write: decoded request would exceed the memory budget for its size");
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

}  // namespace view_internal

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
  return DecodeWriteRequestInto(protobuf, out, limits);
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

std::string FormatLabels(const std::vector<Label>& labels) {
  return FormatLabelList(std::span<const Label>(labels));
}

std::string FormatLabels(std::span<const LabelView> labels) { return FormatLabelList(labels); }

}  // namespace quartet::prometheus::rw

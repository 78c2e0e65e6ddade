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

// Reads a Label message (name 1, value 2) into *out, charging its strings.
Status ReadLabel(const protobuf::Reader& parent, const protobuf::Field& field, Label* out) {
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
  // The caller charged sizeof(Label) before making room for it.
  if (!parent.Charge(name.size() + value.size())) return OverBudget();
  out->name.assign(name);
  out->value.assign(value);
  return Status::Ok();
}

Status ReadSample(const protobuf::Reader& parent, const protobuf::Field& field, Sample* out) {
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

Status ReadExemplar(const protobuf::Reader& parent, const protobuf::Field& field, Exemplar* out) {
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  while (r.Next(&f)) {
    if (f.number == kExemplarLabels) {
      if (!r.Charge(sizeof(Label))) return OverBudget();
      RETURN_IF_ERROR(ReadLabel(r, f, &out->labels.emplace_back()));
    } else if (f.number == kExemplarValue) {
      ASSIGN_OR_RETURN(out->value, f.Double());
    } else if (f.number == kExemplarTimestamp) {
      ASSIGN_OR_RETURN(out->timestamp_ms, f.Int64());
    }
  }
  return r.status();
}

// Drops empty values, sorts, and checks names, values and duplicates.
Status NormalizeSeriesLabels(std::vector<Label>* labels) {
  std::erase_if(*labels, [](const Label& l) { return l.value.empty(); });
  auto by_name = [](const Label& a, const Label& b) { return a.name < b.name; };
  if (!std::is_sorted(labels->begin(), labels->end(), by_name)) {
    std::stable_sort(labels->begin(), labels->end(), by_name);
  }
  bool has_name = false;
  for (size_t i = 0; i < labels->size(); ++i) {
    const Label& l = (*labels)[i];
    if (!IsValidLabelName(l.name)) {
      return Status::InvalidArgument("invalid label name \"" + l.name + "\"");
    }
    if (!IsValidUtf8(l.value)) {
      return Status::InvalidArgument("label " + l.name + " has a value that is not valid UTF-8");
    }
    if (i > 0 && (*labels)[i - 1].name == l.name) {
      return Status::InvalidArgument("duplicate label name \"" + l.name + "\"");
    }
    if (l.name == kMetricNameLabel) {
      has_name = true;
      if (!IsValidMetricName(l.value)) {
        return Status::InvalidArgument("invalid metric name \"" + l.value + "\"");
      }
    }
  }
  if (!has_name) return Status::InvalidArgument("missing metric name (__name__ label)");
  return Status::Ok();
}

Status ValidateExemplarLabels(const std::vector<Label>& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (!IsValidLabelName(labels[i].name)) {
      return Status::InvalidArgument("invalid exemplar label name \"" + labels[i].name + "\"");
    }
    if (!IsValidUtf8(labels[i].value)) {
      return Status::InvalidArgument("exemplar label " + labels[i].name +
                                     " has a value that is not valid UTF-8");
    }
    for (size_t j = 0; j < i; ++j) {
      if (labels[j].name == labels[i].name) {
        return Status::InvalidArgument("duplicate exemplar label name \"" + labels[i].name + "\"");
      }
    }
  }
  return Status::Ok();
}

Status ReadSeriesFields(const protobuf::Reader& parent, const protobuf::Field& field,
                        TimeSeries* out) {
  TimeSeries& series = *out;
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  while (r.Next(&f)) {
    switch (f.number) {
      case kSeriesLabels:
        if (!r.Charge(sizeof(Label))) return OverBudget();
        RETURN_IF_ERROR(ReadLabel(r, f, &series.labels.emplace_back()));
        break;
      case kSeriesSamples:
        if (!r.Charge(sizeof(Sample))) return OverBudget();
        RETURN_IF_ERROR(ReadSample(r, f, &series.samples.emplace_back()));
        break;
      case kSeriesExemplars:
        if (!r.Charge(sizeof(Exemplar))) return OverBudget();
        RETURN_IF_ERROR(ReadExemplar(r, f, &series.exemplars.emplace_back()));
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

Status ReadSeries(const protobuf::Reader& parent, const protobuf::Field& field, size_t index,
                  WriteRequest* request) {
  TimeSeries& series = request->timeseries.back();
  Status read = ReadSeriesFields(parent, field, &series);
  if (!read.ok()) return read.Annotate("timeseries " + std::to_string(index));
  Status labels = NormalizeSeriesLabels(&series.labels);
  if (!labels.ok()) {
    return labels.Annotate("timeseries " + std::to_string(index) + " " +
                           FormatLabels(series.labels));
  }
  request->native_histograms += series.histograms;
  std::erase_if(series.exemplars, [&](const Exemplar& e) {
    Status st = ValidateExemplarLabels(e.labels);
    if (st.ok()) return false;
    if (request->dropped_exemplars++ == 0) {
      request->first_exemplar_error =
          std::string(st.message()) + " in an exemplar of " + FormatLabels(series.labels);
    }
    return true;
  });
  return Status::Ok();
}

Status ReadMetadata(const protobuf::Reader& parent, const protobuf::Field& field, Metadata* out) {
  ASSIGN_OR_RETURN(protobuf::Reader r, parent.Message(field));
  protobuf::Field f;
  std::string_view family, help, unit;
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
        ASSIGN_OR_RETURN(family, f.Bytes());
        break;
      }
      case kMetadataHelp: {
        ASSIGN_OR_RETURN(help, f.Bytes());
        break;
      }
      case kMetadataUnit: {
        ASSIGN_OR_RETURN(unit, f.Bytes());
        break;
      }
      default:
        break;
    }
  }
  RETURN_IF_ERROR(r.status());
  if (!parent.Charge(family.size() + help.size() + unit.size())) return OverBudget();
  out->metric_family_name.assign(family);
  out->help.assign(help);
  out->unit.assign(unit);
  return Status::Ok();
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

Result<WriteRequest> DecodeWriteRequest(std::string_view protobuf, const DecodeLimits& limits) {
  int64_t budget =
      static_cast<int64_t>(limits.budget_base) +
      static_cast<int64_t>(limits.budget_factor) * static_cast<int64_t>(protobuf.size());
  protobuf::Reader r(protobuf);
  r.set_budget(&budget);
  WriteRequest request;
  protobuf::Field f;
  while (r.Next(&f)) {
    if (f.number == kRequestTimeseries) {
      if (!r.Charge(sizeof(TimeSeries))) return OverBudget();
      request.timeseries.emplace_back();
      RETURN_IF_ERROR(ReadSeries(r, f, request.timeseries.size() - 1, &request));
    } else if (f.number == kRequestMetadata) {
      if (!r.Charge(sizeof(Metadata))) return OverBudget();
      Status st = ReadMetadata(r, f, &request.metadata.emplace_back());
      if (!st.ok()) return st.Annotate("metadata " + std::to_string(request.metadata.size() - 1));
    }
  }
  if (!r.status().ok()) return r.status().Annotate("remote_write");
  return request;
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

}  // namespace quartet::prometheus::rw

#include "server/store/metrics/metric_record.h"

#include <bit>

#include "server/store/block/block_format.h"
#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

using block_format::GetFixed64;
using block_format::PutFixed64;

bool GetFixed(std::string_view* in, uint64_t* v) {
  if (in->size() < 8) return false;
  *v = GetFixed64(in->data());
  in->remove_prefix(8);
  return true;
}

bool GetSigned(std::string_view* in, int64_t* v) {
  uint64_t u;
  if (!GetVarint64(in, &u)) return false;
  *v = ZigZagDecode(u);
  return true;
}

bool GetRef(std::string_view* in, uint32_t* ref) {
  uint64_t v;
  if (!GetVarint64(in, &v) || v > UINT32_MAX) return false;
  *ref = static_cast<uint32_t>(v);
  return true;
}

}  // namespace

void PutLabels(std::string* out, const Labels& labels) {
  PutVarint64(out, labels.size());
  for (const auto& [name, value] : labels) {
    PutLengthPrefixed(out, name);
    PutLengthPrefixed(out, value);
  }
}

bool GetLabels(std::string_view* in, Labels* labels) {
  uint64_t n;
  if (!GetVarint64(in, &n) || n > in->size() / 2) return false;
  labels->clear();
  labels->reserve(n);
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view name, value;
    if (!GetLengthPrefixed(in, &name) || !GetLengthPrefixed(in, &value)) return false;
    labels->emplace_back(name, value);
  }
  return true;
}

bool ValidLabels(const Labels& labels) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i].first.empty() || labels[i].second.empty()) return false;
    if (i > 0 && !(labels[i - 1].first < labels[i].first)) return false;
  }
  return true;
}

std::string EncodeSeriesRecord(bool checkpoint, std::span<const SeriesRecordEntry> series) {
  std::string out(1, kSeriesRecord);
  out.push_back(checkpoint ? 1 : 0);
  for (const SeriesRecordEntry& s : series) {
    PutVarint64(&out, s.ref);
    out.push_back(s.has_last ? 1 : 0);
    if (s.has_last) {
      PutVarint64(&out, ZigZagEncode(s.last_t));
      PutFixed64(&out, s.last_bits);
    }
    PutLabels(&out, s.labels);
  }
  return out;
}

void SamplesRecordBuilder::Add(uint32_t ref, int64_t t_ms, uint64_t bits) {
  if (count_ == 0) {
    out_.assign(1, kSamplesRecord);
    base_t_ = t_ms;
    PutVarint64(&out_, ZigZagEncode(t_ms));
  }
  PutVarint64(&out_, ref);
  PutVarint64(&out_, ZigZagEncode(static_cast<int64_t>(static_cast<uint64_t>(t_ms) -
                                                       static_cast<uint64_t>(base_t_))));
  PutFixed64(&out_, bits);
  ++count_;
}

std::string EncodeExemplarsRecord(std::span<const ExemplarRecordEntry> exemplars) {
  std::string out(1, kExemplarsRecord);
  for (const ExemplarRecordEntry& e : exemplars) {
    PutVarint64(&out, e.ref);
    PutVarint64(&out, ZigZagEncode(e.exemplar.t_ms));
    PutFixed64(&out, std::bit_cast<uint64_t>(e.exemplar.value));
    PutLabels(&out, e.exemplar.labels);
  }
  return out;
}

std::string EncodeMetadataRecord(std::span<const MetricMetadata> metadata) {
  std::string out(1, kMetadataRecord);
  for (const MetricMetadata& m : metadata) {
    PutLengthPrefixed(&out, m.family);
    out.push_back(static_cast<char>(m.type));
    PutLengthPrefixed(&out, m.help);
    PutLengthPrefixed(&out, m.unit);
  }
  return out;
}

Result<MetricRecord> DecodeMetricRecord(std::string_view in) {
  if (in.empty()) return Status::DataLoss("empty metric record");
  MetricRecord r;
  r.kind = static_cast<MetricRecordKind>(in[0]);
  in.remove_prefix(1);
  const auto bad = [&](const char* what) {
    return Status::DataLoss(std::string("malformed metric ") + what + " record");
  };
  switch (r.kind) {
    case kSeriesRecord: {
      if (in.empty() || static_cast<uint8_t>(in[0]) > 1) return bad("series");
      r.checkpoint = in[0] == 1;
      in.remove_prefix(1);
      while (!in.empty()) {
        SeriesRecordEntry& s = r.series.emplace_back();
        if (!GetRef(&in, &s.ref) || in.empty() || static_cast<uint8_t>(in[0]) > 1) {
          return bad("series");
        }
        s.has_last = in[0] == 1;
        in.remove_prefix(1);
        if (s.has_last && (!GetSigned(&in, &s.last_t) || !GetFixed(&in, &s.last_bits))) {
          return bad("series");
        }
        if (!GetLabels(&in, &s.labels) || !ValidLabels(s.labels)) return bad("series");
      }
      return r;
    }
    case kSamplesRecord: {
      int64_t base;
      if (!GetSigned(&in, &base)) return bad("samples");
      while (!in.empty()) {
        SampleRecordEntry& s = r.samples.emplace_back();
        int64_t dt;
        if (!GetRef(&in, &s.ref) || !GetSigned(&in, &dt) || !GetFixed(&in, &s.bits)) {
          return bad("samples");
        }
        s.t_ms = static_cast<int64_t>(static_cast<uint64_t>(base) + static_cast<uint64_t>(dt));
      }
      return r;
    }
    case kExemplarsRecord: {
      while (!in.empty()) {
        ExemplarRecordEntry& e = r.exemplars.emplace_back();
        uint64_t bits;
        if (!GetRef(&in, &e.ref) || !GetSigned(&in, &e.exemplar.t_ms) || !GetFixed(&in, &bits) ||
            !GetLabels(&in, &e.exemplar.labels)) {
          return bad("exemplars");
        }
        e.exemplar.value = std::bit_cast<double>(bits);
      }
      return r;
    }
    case kMetadataRecord: {
      while (!in.empty()) {
        MetricMetadata& m = r.metadata.emplace_back();
        std::string_view family, help, unit;
        if (!GetLengthPrefixed(&in, &family) || in.empty() ||
            static_cast<uint8_t>(in[0]) > kMaxMetricType) {
          return bad("metadata");
        }
        m.type = static_cast<MetricType>(in[0]);
        in.remove_prefix(1);
        if (!GetLengthPrefixed(&in, &help) || !GetLengthPrefixed(&in, &unit))
          return bad("metadata");
        m.family = family;
        m.help = help;
        m.unit = unit;
      }
      return r;
    }
  }
  return Status::DataLoss("unknown metric record kind");
}

}  // namespace quartet::store

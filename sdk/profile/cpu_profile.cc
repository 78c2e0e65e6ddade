#include "sdk/profile/cpu_profile.h"

#include <cstring>
#include <vector>

#include "base/hex.h"
#include "sdk/profile/locations.h"
#include "wire/pprof/builder.h"

namespace quartet::profile_internal {

void CpuAggregate::AddKey(const std::string& key, int64_t count) {
  auto it = counts_.find(key);
  if (it == counts_.end()) {
    if (counts_.size() >= max_keys_) {
      dropped_ += count;
      return;
    }
    it = counts_.emplace(key, 0).first;
  }
  it->second += count;
  total_ += count;
}

void CpuAggregate::Add(const RawSample& s) {
  std::string key;
  uint32_t name_len = s.span_name_len > kMaxSpanName ? kMaxSpanName : s.span_name_len;
  key.reserve(10 + name_len + s.depth * sizeof(uintptr_t));
  key.push_back(s.has_span ? 1 : 0);
  key.append(reinterpret_cast<const char*>(s.span_id), sizeof s.span_id);
  key.push_back(static_cast<char>(name_len));
  key.append(s.span_name, name_len);
  key.append(reinterpret_cast<const char*>(s.pcs), s.depth * sizeof(uintptr_t));
  AddKey(key, s.weight == 0 ? 1 : s.weight);
}

void CpuAggregate::Merge(const CpuAggregate& other) {
  for (const auto& [key, count] : other.counts_) AddKey(key, count);
  dropped_ += other.dropped_;
}

pprof::Profile CpuAggregate::ToProfile(Symbolizer* symbolizer, int hz, int64_t start_unix_nanos,
                                       int64_t end_unix_nanos) const {
  const int64_t period = 1000000000LL / (hz < 1 ? 1 : hz);
  pprof::ProfileBuilder b;
  b.AddSampleType("samples", "count");
  b.AddSampleType("cpu", "nanoseconds");
  b.SetPeriod("cpu", "nanoseconds", period);
  b.SetDefaultSampleType("cpu");
  b.SetTime(start_unix_nanos,
            end_unix_nanos > start_unix_nanos ? end_unix_nanos - start_unix_nanos : 0);
  LocationTable locations(&b, symbolizer);
  std::vector<uint64_t> ids;
  std::vector<pprof::LabelSpec> labels;
  for (const auto& [key, count] : counts_) {
    const char* p = key.data();
    bool has_span = p[0] != 0;
    char span_hex[16];
    HexEncode(reinterpret_cast<const uint8_t*>(p + 1), 8, span_hex);
    size_t name_len = static_cast<uint8_t>(p[9]);
    std::string_view name(p + 10, name_len);
    size_t pcs_at = 10 + name_len;
    size_t depth = (key.size() - pcs_at) / sizeof(uintptr_t);

    ids.clear();
    for (size_t i = 0; i < depth; ++i) {
      uintptr_t pc;
      std::memcpy(&pc, p + pcs_at + i * sizeof pc, sizeof pc);
      ids.push_back(locations.Location(pc));
    }
    labels.clear();
    if (has_span) {
      labels.push_back({"span_id", std::string_view(span_hex, 16)});
      if (!name.empty()) labels.push_back({"span_name", name});
    }
    int64_t values[2] = {count, count * period};
    b.AddSample(ids, values, labels);
  }
  return locations.Finish();
}

}  // namespace quartet::profile_internal

#include "server/store/profiles/profile_record.h"

#include <unordered_set>

#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

constexpr char kProfileRecord = 'P';

Status CheckString(const pprof::Profile& p, int64_t index, std::string_view what) {
  if (index < 0 || static_cast<size_t>(index) >= p.string_table.size()) {
    return Status::InvalidArgument(std::string(what) + ": string index " + std::to_string(index) +
                                   " outside string_table (" +
                                   std::to_string(p.string_table.size()) + " strings)");
  }
  return Status::Ok();
}

}  // namespace

std::string EncodeProfileRecord(const Labels& labels, int64_t from_ns, int64_t until_ns,
                                const pprof::Profile& profile) {
  std::string out(1, kProfileRecord);
  PutVarint64(&out, labels.size());
  for (const auto& [k, v] : labels) PutLengthPrefixed(&out, k), PutLengthPrefixed(&out, v);
  PutVarint64(&out, ZigZagEncode(from_ns));
  PutVarint64(&out, ZigZagEncode(until_ns));
  out += pprof::Encode(profile);
  return out;
}

Result<ProfileRecord> DecodeProfileRecord(std::string_view in) {
  if (in.empty() || in[0] != kProfileRecord) return Status::DataLoss("unknown record type");
  in.remove_prefix(1);
  ProfileRecord rec;
  uint64_t n = 0, from = 0, until = 0;
  if (!GetVarint64(&in, &n) || n > in.size()) return Status::DataLoss("bad label count");
  for (uint64_t i = 0; i < n; ++i) {
    std::string_view k, v;
    if (!GetLengthPrefixed(&in, &k) || !GetLengthPrefixed(&in, &v)) {
      return Status::DataLoss("bad label");
    }
    rec.labels.emplace_back(k, v);
  }
  if (!GetVarint64(&in, &from) || !GetVarint64(&in, &until)) return Status::DataLoss("bad time");
  rec.from_ns = ZigZagDecode(from);
  rec.until_ns = ZigZagDecode(until);
  Result<pprof::Profile> p = pprof::Decode(in);
  if (!p.ok()) return Status::DataLoss("pprof: " + std::string(p.status().message()));
  rec.profile = std::move(*p);
  return rec;
}

Status CheckProfileRefs(const pprof::Profile& p) {
  if (p.sample_type.empty()) return Status::InvalidArgument("profile has no sample_type");
  if (p.string_table.empty() || !p.string_table[0].empty()) {
    return Status::InvalidArgument("string_table[0] must be the empty string");
  }
  for (size_t i = 0; i < p.sample_type.size(); ++i) {
    const std::string what = "sample_type " + std::to_string(i);
    RETURN_IF_ERROR(CheckString(p, p.sample_type[i].type, what));
    RETURN_IF_ERROR(CheckString(p, p.sample_type[i].unit, what));
  }
  RETURN_IF_ERROR(CheckString(p, p.period_type.type, "period_type"));
  RETURN_IF_ERROR(CheckString(p, p.period_type.unit, "period_type"));
  std::unordered_set<uint64_t> functions, mappings, locations;
  for (const pprof::Function& f : p.function) {
    if (!functions.insert(f.id).second) {
      return Status::InvalidArgument("function id " + std::to_string(f.id) + " is not unique");
    }
    const std::string what = "function " + std::to_string(f.id);
    RETURN_IF_ERROR(CheckString(p, f.name, what));
    RETURN_IF_ERROR(CheckString(p, f.system_name, what));
    RETURN_IF_ERROR(CheckString(p, f.filename, what));
  }
  for (const pprof::Mapping& m : p.mapping) {
    if (!mappings.insert(m.id).second) {
      return Status::InvalidArgument("mapping id " + std::to_string(m.id) + " is not unique");
    }
    RETURN_IF_ERROR(CheckString(p, m.filename, "mapping " + std::to_string(m.id)));
    RETURN_IF_ERROR(CheckString(p, m.build_id, "mapping " + std::to_string(m.id)));
  }
  for (const pprof::Location& l : p.location) {
    if (!locations.insert(l.id).second) {
      return Status::InvalidArgument("location id " + std::to_string(l.id) + " is not unique");
    }
    if (l.mapping_id != 0 && !mappings.contains(l.mapping_id)) {
      return Status::InvalidArgument("location " + std::to_string(l.id) + ": mapping_id " +
                                     std::to_string(l.mapping_id) + " does not exist");
    }
    for (const pprof::Line& line : l.line) {
      if (!functions.contains(line.function_id)) {
        return Status::InvalidArgument("location " + std::to_string(l.id) + ": function_id " +
                                       std::to_string(line.function_id) + " does not exist");
      }
    }
  }
  for (size_t i = 0; i < p.sample.size(); ++i) {
    const pprof::Sample& s = p.sample[i];
    if (s.value.size() > p.sample_type.size()) {
      return Status::InvalidArgument("sample " + std::to_string(i) + " has more values than " +
                                     "sample types");
    }
    for (uint64_t id : s.location_id) {
      if (!locations.contains(id)) {
        return Status::InvalidArgument("sample " + std::to_string(i) + ": location_id " +
                                       std::to_string(id) + " does not exist");
      }
    }
    for (const pprof::Label& l : s.label) {
      const std::string what = "sample " + std::to_string(i) + " label";
      RETURN_IF_ERROR(CheckString(p, l.key, what));
      RETURN_IF_ERROR(CheckString(p, l.str, what));
      RETURN_IF_ERROR(CheckString(p, l.num_unit, what));
    }
  }
  return Status::Ok();
}

}  // namespace quartet::store

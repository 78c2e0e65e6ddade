#include "wire/pprof/builder.h"

namespace quartet::pprof {

ProfileBuilder::ProfileBuilder() {
  profile_.string_table.emplace_back();
  strings_.emplace(std::string(), 0);
}

int64_t ProfileBuilder::String(std::string_view s) {
  auto [it, inserted] =
      strings_.try_emplace(std::string(s), static_cast<int64_t>(profile_.string_table.size()));
  if (inserted) profile_.string_table.emplace_back(s);
  return it->second;
}

void ProfileBuilder::AddSampleType(std::string_view type, std::string_view unit) {
  profile_.sample_type.push_back(ValueType{String(type), String(unit)});
}

void ProfileBuilder::SetPeriod(std::string_view type, std::string_view unit, int64_t period) {
  profile_.period_type = ValueType{String(type), String(unit)};
  profile_.period = period;
}

void ProfileBuilder::SetDefaultSampleType(std::string_view type) {
  profile_.default_sample_type = String(type);
}

void ProfileBuilder::SetTime(int64_t time_nanos, int64_t duration_nanos) {
  profile_.time_nanos = time_nanos;
  profile_.duration_nanos = duration_nanos;
}

void ProfileBuilder::AddComment(std::string_view comment) {
  profile_.comment.push_back(String(comment));
}

void ProfileBuilder::SetDropFrames(std::string_view regexp) {
  profile_.drop_frames = String(regexp);
}

uint64_t ProfileBuilder::Mapping(uint64_t start, uint64_t limit, uint64_t offset,
                                 std::string_view filename, std::string_view build_id,
                                 bool has_functions) {
  auto it = mappings_.find(start);
  if (it != mappings_.end()) return it->second;
  pprof::Mapping m;
  m.id = profile_.mapping.size() + 1;
  m.memory_start = start;
  m.memory_limit = limit < start ? start : limit;
  m.file_offset = offset;
  m.filename = String(filename);
  m.build_id = String(build_id);
  m.has_functions = has_functions;
  profile_.mapping.push_back(m);
  mappings_.emplace(start, m.id);
  return m.id;
}

uint64_t ProfileBuilder::Function(std::string_view name, std::string_view system_name,
                                  std::string_view filename, int64_t start_line) {
  auto key = std::make_tuple(String(name), String(system_name), String(filename));
  auto it = functions_.find(key);
  if (it != functions_.end()) return it->second;
  pprof::Function f;
  f.id = profile_.function.size() + 1;
  f.name = std::get<0>(key);
  f.system_name = std::get<1>(key);
  f.filename = std::get<2>(key);
  f.start_line = start_line;
  profile_.function.push_back(f);
  functions_.emplace(key, f.id);
  return f.id;
}

uint64_t ProfileBuilder::LocationForAddress(uint64_t address, uint64_t mapping_id,
                                            uint64_t function_id, int64_t line) {
  auto it = addresses_.find(address);
  if (it != addresses_.end()) return it->second;
  pprof::Location loc;
  loc.id = profile_.location.size() + 1;
  loc.mapping_id = mapping_id;
  loc.address = address;
  if (function_id != 0) loc.line.push_back(Line{function_id, line, 0});
  profile_.location.push_back(std::move(loc));
  addresses_.emplace(address, profile_.location.back().id);
  return profile_.location.back().id;
}

uint64_t ProfileBuilder::LocationForFunction(uint64_t function_id) {
  auto it = synthetic_.find(function_id);
  if (it != synthetic_.end()) return it->second;
  pprof::Location loc;
  loc.id = profile_.location.size() + 1;
  loc.line.push_back(Line{function_id, 0, 0});
  profile_.location.push_back(std::move(loc));
  synthetic_.emplace(function_id, profile_.location.back().id);
  return profile_.location.back().id;
}

void ProfileBuilder::AddSample(std::span<const uint64_t> location_ids,
                               std::span<const int64_t> values, std::span<const LabelSpec> labels) {
  Sample s;
  s.location_id.assign(location_ids.begin(), location_ids.end());
  s.value.assign(values.begin(), values.end());
  for (const LabelSpec& l : labels) {
    Label label;
    label.key = String(l.key);
    if (!l.str.empty()) {
      label.str = String(l.str);
    } else {
      label.num = l.num;
      if (!l.num_unit.empty()) label.num_unit = String(l.num_unit);
    }
    s.label.push_back(label);
  }
  profile_.sample.push_back(std::move(s));
}

}  // namespace quartet::pprof

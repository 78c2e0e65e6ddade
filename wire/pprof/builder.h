// pprof::ProfileBuilder: assembles a Profile (profile.h) while interning its
// strings, functions, mappings and locations, so a caller adds samples by name
// and address and gets back a compact, valid profile (every index in range,
// ids dense from 1). Used by the SDK's profilers; tests use it for fixtures.
//
//   pprof::ProfileBuilder b;
//   b.AddSampleType("samples", "count");
//   b.AddSampleType("cpu", "nanoseconds");
//   uint64_t fn = b.Function("Burn(int)", "_Z4Burni", "/app");
//   uint64_t loc = b.LocationForAddress(0x401234, map_id, fn);
//   b.AddSample({loc}, {1, 10000000}, {{"span_id", "00f067aa0ba902b7"}});
//   std::string bytes = pprof::Encode(b.profile());
//
// Thread-safety: none; one builder per thread.
#pragma once

#include <cstdint>
#include <map>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <unordered_map>

#include "wire/pprof/profile.h"

namespace quartet::pprof {

// A sample label by value: a string label when `str` is non-empty, numeric
// otherwise (with an optional unit).
struct LabelSpec {
  std::string_view key;
  std::string_view str;
  int64_t num = 0;
  std::string_view num_unit;
};

class ProfileBuilder {
 public:
  ProfileBuilder();

  // Index of `s` in the string table, adding it on first use.
  int64_t String(std::string_view s);

  void AddSampleType(std::string_view type, std::string_view unit);
  void SetPeriod(std::string_view type, std::string_view unit, int64_t period);
  void SetDefaultSampleType(std::string_view type);
  void SetTime(int64_t time_nanos, int64_t duration_nanos);
  void AddComment(std::string_view comment);
  void SetDropFrames(std::string_view regexp);

  // A mapping (one loaded object's executable range); interned by start.
  uint64_t Mapping(uint64_t start, uint64_t limit, uint64_t offset, std::string_view filename,
                   std::string_view build_id, bool has_functions);
  // A function, interned by (name, system_name, filename).
  uint64_t Function(std::string_view name, std::string_view system_name, std::string_view filename,
                    int64_t start_line = 0);
  // The location of an instruction address, interned by address. The first
  // call for an address fixes its mapping and function (0: unknown, so the
  // location carries only its address).
  uint64_t LocationForAddress(uint64_t address, uint64_t mapping_id, uint64_t function_id,
                              int64_t line = 0);
  // A location without an address (a synthetic frame), interned by function.
  uint64_t LocationForFunction(uint64_t function_id);

  // Adds one sample; `values` must have one entry per sample type.
  void AddSample(std::span<const uint64_t> location_ids, std::span<const int64_t> values,
                 std::span<const LabelSpec> labels = {});
  void AddSample(std::initializer_list<uint64_t> location_ids,
                 std::initializer_list<int64_t> values,
                 std::initializer_list<LabelSpec> labels = {}) {
    AddSample(std::span<const uint64_t>(location_ids.begin(), location_ids.size()),
              std::span<const int64_t>(values.begin(), values.size()),
              std::span<const LabelSpec>(labels.begin(), labels.size()));
  }

  const Profile& profile() const { return profile_; }
  Profile Release() { return std::move(profile_); }

 private:
  Profile profile_;
  std::unordered_map<std::string, int64_t> strings_;
  std::map<std::tuple<int64_t, int64_t, int64_t>, uint64_t> functions_;
  std::unordered_map<uint64_t, uint64_t> mappings_;   // start -> id
  std::unordered_map<uint64_t, uint64_t> addresses_;  // address -> location id
  std::unordered_map<uint64_t, uint64_t> synthetic_;  // function id -> location id
};

}  // namespace quartet::pprof

// MemoryProfileStore: a store::ProfileStore over a vector, for tests of the
// profile queries and APIs (never used by quartetd). AppendProfile splits a
// pprof by sample type the way the contract says (one StoredProfile per
// sample type, profile type "<__name__>:<type>:<unit>:<period type>:<period
// unit>"); Add() stores a StoredProfile as given.
//
// Thread-safety: none; tests use it from one thread.
#pragma once

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "server/store/interface.h"
#include "server/store/label_match.h"

namespace quartet::profiles {

class MemoryProfileStore : public store::ProfileStore {
 public:
  void Add(store::StoredProfile p) {
    std::sort(p.labels.begin(), p.labels.end());
    profiles_.push_back(std::move(p));
  }
  size_t size() const { return profiles_.size(); }
  int select_calls() const { return select_calls_; }

  Result<store::ProfileAppendResult> AppendProfile(const store::Labels& labels, int64_t from_ns,
                                                   int64_t until_ns,
                                                   const pprof::Profile& profile) override {
    store::ProfileAppendResult result;
    std::string name(store::LabelValue(labels, "__name__"));
    for (size_t t = 0; t < profile.sample_type.size(); ++t) {
      store::StoredProfile p;
      p.labels = labels;
      p.time_ns = from_ns;
      p.duration_ns = until_ns - from_ns;
      p.profile = profile;
      p.profile.sample_type = {profile.sample_type[t]};
      for (pprof::Sample& s : p.profile.sample) s.value = {s.value[t]};
      p.profile_type = name + ":" + std::string(profile.StringAt(profile.sample_type[t].type)) +
                       ":" + std::string(profile.StringAt(profile.sample_type[t].unit)) + ":" +
                       std::string(profile.StringAt(profile.period_type.type)) + ":" +
                       std::string(profile.StringAt(profile.period_type.unit));
      result.samples += static_cast<int64_t>(p.profile.sample.size());
      ++result.profiles;
      Add(std::move(p));
    }
    return result;
  }

  Status SelectProfiles(std::string_view profile_type,
                        const std::vector<store::LabelMatch>& matchers,
                        const store::TimeRange& range,
                        const std::function<bool(const store::StoredProfile&)>& fn) override {
    ++select_calls_;
    ASSIGN_OR_RETURN(store::CompiledMatchers m, store::CompiledMatchers::Compile(matchers));
    for (const store::StoredProfile& p : profiles_) {
      if (p.profile_type != profile_type || !m.Matches(p.labels) ||
          !range.Overlaps(p.time_ns, p.time_ns + p.duration_ns)) {
        continue;
      }
      if (!fn(p)) break;
    }
    return Status::Ok();
  }

  Result<std::vector<std::string>> ProfileTypes(const std::vector<store::LabelMatch>& matchers,
                                                const store::TimeRange& range) override {
    std::set<std::string> out;
    RETURN_IF_ERROR(ForEach(matchers, range,
                            [&](const store::StoredProfile& p) { out.insert(p.profile_type); }));
    return std::vector<std::string>(out.begin(), out.end());
  }
  Result<std::vector<std::string>> ProfileLabelNames(const std::vector<store::LabelMatch>& matchers,
                                                     const store::TimeRange& range) override {
    std::set<std::string> out;
    RETURN_IF_ERROR(ForEach(matchers, range, [&](const store::StoredProfile& p) {
      for (const auto& [name, value] : p.labels) out.insert(name);
    }));
    return std::vector<std::string>(out.begin(), out.end());
  }
  Result<std::vector<std::string>> ProfileLabelValues(
      std::string_view name, const std::vector<store::LabelMatch>& matchers,
      const store::TimeRange& range) override {
    std::set<std::string> out;
    RETURN_IF_ERROR(ForEach(matchers, range, [&](const store::StoredProfile& p) {
      std::string_view v = store::LabelValue(p.labels, name);
      if (!v.empty()) out.insert(std::string(v));
    }));
    return std::vector<std::string>(out.begin(), out.end());
  }

 private:
  template <typename F>
  Status ForEach(const std::vector<store::LabelMatch>& matchers, const store::TimeRange& range,
                 F fn) {
    ASSIGN_OR_RETURN(store::CompiledMatchers m, store::CompiledMatchers::Compile(matchers));
    for (const store::StoredProfile& p : profiles_) {
      if (m.Matches(p.labels) && range.Overlaps(p.time_ns, p.time_ns + p.duration_ns)) fn(p);
    }
    return Status::Ok();
  }

  std::vector<store::StoredProfile> profiles_;
  int select_calls_ = 0;
};

}  // namespace quartet::profiles

// SelectOnlyStore: a ProfileStore that forwards everything to another one
// except SelectProfileBatches, so MergeSelection takes its profile-by-profile
// path over the same data. Tests and benchmarks compare the two paths with
// it. Thread-safety: that of the wrapped store.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/store/interface.h"

namespace quartet::profiles {

class SelectOnlyStore final : public store::ProfileStore {
 public:
  explicit SelectOnlyStore(store::ProfileStore* base) : base_(base) {}

  Result<store::ProfileAppendResult> AppendProfile(const store::Labels& labels, int64_t from_ns,
                                                   int64_t until_ns,
                                                   const pprof::Profile& profile) override {
    return base_->AppendProfile(labels, from_ns, until_ns, profile);
  }
  Status SelectProfiles(std::string_view type, const std::vector<store::LabelMatch>& matchers,
                        const store::TimeRange& range,
                        const std::function<bool(const store::StoredProfile&)>& fn) override {
    return base_->SelectProfiles(type, matchers, range, fn);
  }
  Result<std::vector<std::string>> ProfileTypes(const std::vector<store::LabelMatch>& m,
                                                const store::TimeRange& r) override {
    return base_->ProfileTypes(m, r);
  }
  Result<std::vector<std::string>> ProfileLabelNames(const std::vector<store::LabelMatch>& m,
                                                     const store::TimeRange& r) override {
    return base_->ProfileLabelNames(m, r);
  }
  Result<std::vector<std::string>> ProfileLabelValues(std::string_view name,
                                                      const std::vector<store::LabelMatch>& m,
                                                      const store::TimeRange& r) override {
    return base_->ProfileLabelValues(name, m, r);
  }

 private:
  store::ProfileStore* base_;
};

}  // namespace quartet::profiles

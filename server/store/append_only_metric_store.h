// AppendOnlyMetricStore: a MetricStore that holds nothing to query — every
// query answers empty — for the tests and benchmarks of what feeds metrics
// in (scrapes, span metrics), which override Append to record or count
// what arrives. Not for production: nothing appended can be read back.
//
// Thread-safety: as the subclass's Append; the queries touch no state.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "server/store/interface.h"

namespace quartet::store {

class AppendOnlyMetricStore : public MetricStore {
 public:
  Status Select(const std::vector<LabelMatch>&, int64_t, int64_t, const SeriesFn&) override {
    return Status::Ok();
  }
  Status SelectExemplars(const std::vector<LabelMatch>&, int64_t, int64_t,
                         const ExemplarFn&) override {
    return Status::Ok();
  }
  Result<std::vector<std::string>> LabelNames(const std::vector<LabelMatch>&, int64_t,
                                              int64_t) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<std::string>> LabelValues(std::string_view, const std::vector<LabelMatch>&,
                                               int64_t, int64_t) override {
    return std::vector<std::string>{};
  }
  Result<std::vector<Labels>> Series(const std::vector<LabelMatch>&, int64_t, int64_t) override {
    return std::vector<Labels>{};
  }
  std::vector<MetricMetadata> Metadata(std::string_view) const override { return {}; }
};

}  // namespace quartet::store

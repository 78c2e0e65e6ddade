// StoreSeriesSource: the PromQL engine's SeriesSource over quartetd's
// MetricStore: matchers and label sets converted between the two models,
// samples copied out of the store's callback. Thread-safe (the store is).
#pragma once

#include <vector>

#include "server/query/promql/series_source.h"
#include "server/store/interface.h"

namespace quartet::api {

// The store's form of PromQL matchers (same semantics: RE2, fully anchored,
// an absent label matches as "").
std::vector<store::LabelMatch> ToStoreMatchers(const std::vector<promql::Matcher>& matchers);

class StoreSeriesSource final : public promql::SeriesSource {
 public:
  explicit StoreSeriesSource(store::MetricStore* metrics) : metrics_(metrics) {}
  Result<std::vector<promql::Series>> Select(const std::vector<promql::Matcher>& matchers,
                                             int64_t min_t_ms, int64_t max_t_ms) override;

 private:
  store::MetricStore* metrics_;
};

}  // namespace quartet::api

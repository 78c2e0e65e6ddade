#include "server/api/prometheus/store_series_source.h"

namespace quartet::api {

std::vector<store::LabelMatch> ToStoreMatchers(const std::vector<promql::Matcher>& matchers) {
  std::vector<store::LabelMatch> out;
  out.reserve(matchers.size());
  for (const promql::Matcher& m : matchers) {
    store::LabelMatch::Op op = store::LabelMatch::Op::kEq;
    switch (m.type()) {
      case promql::Matcher::Type::kEqual:
        op = store::LabelMatch::Op::kEq;
        break;
      case promql::Matcher::Type::kNotEqual:
        op = store::LabelMatch::Op::kNeq;
        break;
      case promql::Matcher::Type::kRegex:
        op = store::LabelMatch::Op::kRe;
        break;
      case promql::Matcher::Type::kNotRegex:
        op = store::LabelMatch::Op::kNre;
        break;
    }
    out.push_back({m.name(), op, m.value()});
  }
  return out;
}

Result<std::vector<promql::Series>> StoreSeriesSource::Select(
    const std::vector<promql::Matcher>& matchers, int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<promql::Series> out;
  Status st =
      metrics_->Select(ToStoreMatchers(matchers), min_t_ms, max_t_ms,
                       [&](const store::Labels& labels, std::span<const store::Sample> samples) {
                         promql::Series& series = out.emplace_back();
                         series.labels.reserve(labels.size());
                         for (const auto& [name, value] : labels)
                           series.labels.push_back({name, value});
                         series.points.reserve(samples.size());
                         for (const store::Sample& s : samples)
                           series.points.push_back({s.t_ms, s.v});
                         return true;
                       });
  if (!st.ok()) return st;
  return out;
}

}  // namespace quartet::api

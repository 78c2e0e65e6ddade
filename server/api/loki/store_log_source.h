// StoreLogSource: the LogQL evaluator's LogSource (server/query/logql) over
// the log store (store::LogStore). Stream matchers pass through; each leading
// `|= "text"` filter becomes a substring the store may use to skip data.
// Thread-safety: as the store; one instance may serve concurrent queries.
#pragma once

#include "server/query/logql/log_source.h"
#include "server/store/interface.h"

namespace quartet::api {

// LogQL stream matchers as the store's matchers.
std::vector<store::LabelMatch> ToStoreMatchers(const std::vector<logql::LabelMatcher>& matchers);

class StoreLogSource final : public logql::LogSource {
 public:
  explicit StoreLogSource(store::LogStore* logs) : logs_(logs) {}

  Status Scan(const std::vector<logql::LabelMatcher>& matchers,
              const std::vector<logql::LineFilter>& line_filters, int64_t start_ns, int64_t end_ns,
              logql::Direction dir, const logql::EntryFn& fn) override;

 private:
  store::LogStore* logs_;
};

}  // namespace quartet::api

// Internal to the evaluator: evaluates one range aggregation node
// (count_over_time, rate, ..., quantile_over_time) over a LogSource into
// series with points at each step. Not thread-safe per call; stateless across
// calls.
#pragma once

#include <cstdint>
#include <vector>

#include "base/status.h"
#include "server/query/logql/ast.h"
#include "server/query/logql/evaluator.h"
#include "server/query/logql/log_source.h"

namespace quartet::logql::internal {

struct StepRange {
  int64_t start_ns = 0;
  int64_t end_ns = 0;
  int64_t step_ns = 1;
  size_t count() const { return static_cast<size_t>((end_ns - start_ns) / step_ns) + 1; }
  int64_t at(size_t i) const { return start_ns + static_cast<int64_t>(i) * step_ns; }
};

Result<std::vector<Series>> EvaluateRangeAggregation(const MetricExpr& node, LogSource& source,
                                                     const StepRange& steps,
                                                     const EvalLimits& limits);

// Serialises labels into *key (reused), for grouping in hash maps.
void LabelsKey(const Labels& labels, std::string* key);

}  // namespace quartet::logql::internal

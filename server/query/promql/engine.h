// Engine: evaluates PromQL instant and range queries over a SeriesSource
// with Prometheus 2.42's semantics (5m lookback, StaleNaN ends a series,
// @ and offset, subqueries aligned to absolute multiples of their step,
// extrapolated rates, vector matching, __name__ dropping). Results render
// as the Prometheus HTTP API's `data` (result_json.h).
//
// Errors: a query that does not parse or type-check is InvalidArgument
// (API errorType "bad_data"); a failure while evaluating ("multiple matches
// for labels", "vector cannot contain metrics with the same labelset") is
// FailedPrecondition ("execution"); too many samples is ResourceExhausted
// ("execution"); source errors pass through ("internal"). ErrorType() maps a
// Status to the API's errorType.
//
// An Engine holds only options and the source pointer; queries may run
// concurrently from several threads if the source allows it.
//
//   Engine engine(&source);
//   ASSIGN_OR_RETURN(QueryResult r, engine.Range("rate(x[5m])", start_ms, end_ms, 15000));
//   std::string body = RenderSuccessJson(r);
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/query/promql/ast.h"
#include "server/query/promql/series_source.h"

namespace quartet::promql {

struct EngineOptions {
  int64_t lookback_delta_ms = 5 * 60 * 1000;
  // Step of subqueries written without one (`x[1h:]`): Prometheus uses the
  // global evaluation_interval, 1m by default.
  int64_t default_subquery_step_ms = 60 * 1000;
  // Samples a query may load from the source and hold in results.
  size_t max_samples = 50'000'000;
  // Evaluate every range query step by step, the reference path, instead of
  // over all steps at once where the engine can; the results are the same
  // (range_eval_test compares the two).
  bool step_by_step = false;
};

// One element of an instant vector.
struct VectorSample {
  Labels labels;
  double v;
};

struct QueryResult {
  ValueType type = ValueType::kNone;  // kScalar, kVector, kMatrix or kString
  int64_t t_ms = 0;                   // evaluation time of scalar/vector/string
  double scalar = 0;
  std::string str;
  std::vector<VectorSample> vector;
  std::vector<Series> matrix;  // range queries: sorted by labels
};

// Range queries with more steps than this are refused, as Prometheus's API.
inline constexpr int64_t kMaxRangeSteps = 11000;

class Engine {
 public:
  explicit Engine(SeriesSource* source, EngineOptions options = {});

  Result<QueryResult> Instant(std::string_view query, int64_t t_ms) const;
  // Steps start, start+step, ... <= end (at most kMaxRangeSteps + 1). The
  // query must be of scalar or instant-vector type (InvalidArgument
  // otherwise, as Prometheus).
  Result<QueryResult> Range(std::string_view query, int64_t start_ms, int64_t end_ms,
                            int64_t step_ms) const;

  // The same over an already parsed expression.
  Result<QueryResult> InstantExpr(const Expr& expr, int64_t t_ms) const;
  Result<QueryResult> RangeExpr(const Expr& expr, int64_t start_ms, int64_t end_ms,
                                int64_t step_ms) const;

 private:
  SeriesSource* source_;
  EngineOptions options_;
};

// The Prometheus API errorType for a failed query's status: "bad_data",
// "execution", "timeout", "canceled" or "internal".
std::string_view ErrorType(const Status& status);

}  // namespace quartet::promql

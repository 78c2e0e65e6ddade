// Internal to the engine (engine.cc): the per-step evaluator and the
// operator/function implementations it calls. Not for use outside
// server/query/promql. One Evaluator per query; not thread-safe.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "base/status.h"
#include "server/query/promql/ast.h"
#include "server/query/promql/engine.h"
#include "server/query/promql/functions.h"
#include "server/query/promql/series_source.h"

namespace re2 {
class RE2;
}

namespace quartet::promql::internal {

using Vector = std::vector<VectorSample>;
using Matrix = std::vector<Series>;

struct Value {
  ValueType type = ValueType::kNone;
  double scalar = 0;
  std::string str;
  Vector vec;
  Matrix mat;
};

// One series of a range-vector argument: views into the selected data (or
// into RangeArg's own storage), so a step copies no labels or points.
struct RangeSeries {
  const Labels* labels;
  std::span<const Point> points;  // never empty, no StaleNaN
};

// A range-vector argument at one step: the points of each series within
// [ref - range, ref], and the range itself (for rate's extrapolation).
// Movable: the views point into heap buffers a move keeps.
struct RangeArg {
  std::vector<RangeSeries> series;
  int64_t range_ms = 0;
  int64_t ref_ms = 0;                        // end of the range
  Matrix owned;                              // subquery results
  std::vector<std::vector<Point>> filtered;  // windows that held a StaleNaN
  Matrix ToMatrix() const;
};

// A node's value at every step of a range query at once (range_eval.cc):
// one label set per series and dense per-step arrays, so no step copies
// labels or looks a series up.
struct StepSeries {
  Labels labels;
  std::vector<double> v;     // per step
  std::vector<uint8_t> has;  // per step: whether v holds a value
  size_t points = 0;         // steps with a value
};
using StepMatrix = std::vector<StepSeries>;

Status ExecError(std::string msg);

class Evaluator {
 public:
  Evaluator(SeriesSource* source, const EngineOptions& options, int64_t start_ms, int64_t end_ms);

  // Loads the samples every selector of `expr` needs for the whole query.
  Status Prepare(const Expr& expr);
  Result<Value> Eval(const Expr& e, int64_t ts);
  // Evaluates `e` at every step start, start + step, ... <= end of a range
  // query at once, series by series, with results equal to Eval's step by
  // step. Covers selectors, range functions of a selector with literal
  // parameters, sum/avg/count/min/max/group/stddev/stdvar, histogram_quantile
  // with a literal quantile and vector-scalar operators with a literal; none
  // (nullopt) for anything else, and where two series of a result would
  // share a label set (Eval's checks then decide whether that is an error).
  Result<std::optional<StepMatrix>> EvalAllSteps(const Expr& e, int64_t step_ms);

 private:
  Status PrepareNode(const Expr& e, int64_t start, int64_t end);
  int64_t AtTime(const Expr& e) const;
  int64_t RefTime(const Expr& e, int64_t ts) const {
    return (e.at == AtKind::kNone ? ts : AtTime(e)) - e.offset_ms;
  }
  Vector EvalVectorSelector(const Expr& e, int64_t ts, std::vector<int64_t>* sample_times);
  Result<RangeArg> EvalRangeArg(const Expr& e, int64_t ts);
  Result<Matrix> EvalSubquery(const Expr& e, int64_t ts);
  Result<Value> EvalBinary(const Expr& e, int64_t ts);
  Result<Value> EvalAggregate(const Expr& e, int64_t ts);
  Result<Value> EvalCall(const Expr& e, int64_t ts);
  Result<Value> EvalRangeFunction(const Expr& e, int64_t ts);
  Result<const re2::RE2*> Regex(const Expr& e, const std::string& pattern);
  bool CoversAllSteps(const Expr& e) const;
  Result<std::optional<StepMatrix>> StepsOf(const Expr& e);
  StepMatrix SelectorSteps(const Expr& e);
  std::optional<StepMatrix> RangeFunctionSteps(const Expr& call);
  Result<std::optional<StepMatrix>> AggregateSteps(const Expr& e);
  Result<std::optional<StepMatrix>> HistogramQuantileSteps(const Expr& call);
  Result<std::optional<StepMatrix>> ScalarBinopSteps(const Expr& e);
  int64_t StepTime(size_t k) const { return start_ms_ + static_cast<int64_t>(k) * step_ms_; }
  Status CheckSeriesCollisions(const Expr& call, const Expr& range_expr, const RangeArg& arg,
                               const std::vector<size_t>& produced);

  SeriesSource* source_;
  EngineOptions options_;
  int64_t start_ms_, end_ms_;
  int64_t step_ms_ = 1;  // EvalAllSteps
  size_t steps_ = 0;
  std::unordered_map<const Expr*, std::vector<Series>> data_;
  std::unordered_map<const Expr*, std::shared_ptr<re2::RE2>> regex_;
  size_t loaded_samples_ = 0;
  size_t evaluated_steps_ = 0;
  // Per range-function call: output label set -> metric name it came from.
  std::unordered_map<const Expr*, std::unordered_map<std::string, std::string>> output_sources_;
  std::unordered_map<const Expr*, bool> may_collide_;
  // Per matrix selector and series: index of the first point of the last
  // window, where the next step's window usually starts its search.
  std::unordered_map<const Expr*, std::vector<size_t>> cursors_;
};

// Operators (binary.cc). ElemBinop returns the value and whether a
// comparison keeps the element; DropsName whether `op` drops __name__.
std::pair<double, bool> ElemBinop(BinOp op, double l, double r);
bool DropsName(BinOp op);
double ScalarBinop(BinOp op, double l, double r);
Result<Vector> VectorScalarBinop(BinOp op, const Vector& vec, double scalar, bool swap,
                                 bool return_bool);
Result<Vector> VectorBinop(BinOp op, const Vector& lhs, const Vector& rhs,
                           const VectorMatching& matching, bool return_bool);
// Aggregation (aggregate.cc); param is the scalar parameter (topk, quantile)
// and label the count_values label.
Result<Vector> Aggregate(const Expr& e, const Vector& in, double param, const std::string& label);
// Functions of instant vectors and scalars (functions_eval.cc).
double Quantile(double q, std::vector<double> values);
double BucketQuantile(double q, std::vector<std::pair<double, double>> buckets);
Vector HistogramQuantile(double q, const Vector& in);
// Range functions (range_functions.cc): one output value per series, or
// none; `fn_ts` is the evaluation time (predict_linear's intercept).
// `produced` (optional) receives the indexes of the series that gave a value.
Result<Vector> RangeFunction(Func f, const RangeArg& arg, const std::vector<double>& scalars,
                             int64_t fn_ts, std::vector<size_t>* produced = nullptr);
// The value of range function `f` (not absent_over_time) over one window of
// points ending at `ref_ms`, or none. `may_reset` false promises that no
// point is below its predecessor (nor the first below 0), which lets rate and
// increase skip their counter-reset pass.
std::optional<double> WindowValue(Func f, std::span<const Point> p, int64_t range_ms,
                                  int64_t ref_ms, const std::vector<double>& scalars, int64_t fn_ts,
                                  bool may_reset = true);

Labels DropMetricName(Labels l);
// "vector cannot contain metrics with the same labelset" when two samples
// share a label set.
Status CheckDuplicates(const Vector& v);

}  // namespace quartet::promql::internal

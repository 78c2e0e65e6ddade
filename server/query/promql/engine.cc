#include "server/query/promql/engine.h"

#include <algorithm>
#include <optional>
#include <unordered_map>

#include "server/query/promql/evaluator.h"
#include "server/query/promql/parser.h"

namespace quartet::promql {

using internal::Evaluator;
using internal::Value;

Engine::Engine(SeriesSource* source, EngineOptions options) : source_(source), options_(options) {}

Result<QueryResult> Engine::Instant(std::string_view query, int64_t t_ms) const {
  ASSIGN_OR_RETURN(ExprPtr expr, Parse(query));
  return InstantExpr(*expr, t_ms);
}

Result<QueryResult> Engine::Range(std::string_view query, int64_t start_ms, int64_t end_ms,
                                  int64_t step_ms) const {
  ASSIGN_OR_RETURN(ExprPtr expr, Parse(query));
  return RangeExpr(*expr, start_ms, end_ms, step_ms);
}

Result<QueryResult> Engine::InstantExpr(const Expr& expr, int64_t t_ms) const {
  Evaluator ev(source_, options_, t_ms, t_ms);
  RETURN_IF_ERROR(ev.Prepare(expr));
  ASSIGN_OR_RETURN(Value v, ev.Eval(expr, t_ms));
  QueryResult r;
  r.type = expr.type();
  r.t_ms = t_ms;
  r.scalar = v.scalar;
  r.str = std::move(v.str);
  r.vector = std::move(v.vec);
  r.matrix = std::move(v.mat);
  return r;
}

Result<QueryResult> Engine::RangeExpr(const Expr& expr, int64_t start_ms, int64_t end_ms,
                                      int64_t step_ms) const {
  ValueType t = expr.type();
  if (t != ValueType::kScalar && t != ValueType::kVector) {
    return Status::InvalidArgument("invalid expression type \"" + std::string(DocumentedType(t)) +
                                   "\" for range query, must be Scalar or instant Vector");
  }
  if (step_ms <= 0) {
    return Status::InvalidArgument(
        "zero or negative query resolution step widths are not accepted. Try a positive "
        "integer");
  }
  if (end_ms < start_ms)
    return Status::InvalidArgument("end timestamp must not be before start time");
  if ((end_ms - start_ms) / step_ms > kMaxRangeSteps) {
    return Status::InvalidArgument(
        "exceeded maximum resolution of 11,000 points per timeseries. Try decreasing the query "
        "resolution (?step=XX)");
  }
  Evaluator ev(source_, options_, start_ms, end_ms);
  RETURN_IF_ERROR(ev.Prepare(expr));
  QueryResult r;
  r.type = ValueType::kMatrix;
  // The common dashboard shapes are evaluated over all steps at once; the
  // rest, step by step below.
  ASSIGN_OR_RETURN(std::optional<internal::StepMatrix> all, ev.EvalAllSteps(expr, step_ms));
  if (all) {
    size_t total = 0;
    for (const internal::StepSeries& s : *all) total += s.points;
    if (total > options_.max_samples) {
      return Status::ResourceExhausted(
          "query processing would load too many samples into memory in query execution");
    }
    r.matrix.reserve(all->size());
    for (internal::StepSeries& s : *all) {
      if (s.points == 0) continue;
      Series& out = r.matrix.emplace_back();
      out.labels = std::move(s.labels);
      out.points.reserve(s.points);
      for (size_t k = 0; k < s.v.size(); ++k) {
        if (s.has[k])
          out.points.push_back(Point{start_ms + static_cast<int64_t>(k) * step_ms, s.v[k]});
      }
    }
    std::sort(r.matrix.begin(), r.matrix.end(),
              [](const Series& a, const Series& b) { return a.labels < b.labels; });
    return r;
  }
  std::unordered_map<std::string, size_t> index;
  std::string key;
  std::vector<size_t> hints;  // hints[i]: r.matrix index of the i-th sample of the last step
  size_t points = 0;
  for (int64_t ts = start_ms; ts <= end_ms; ts += step_ms) {
    ASSIGN_OR_RETURN(Value v, ev.Eval(expr, ts));
    if (t == ValueType::kScalar) v.vec.push_back(VectorSample{{}, v.scalar});
    for (size_t i = 0; i < v.vec.size(); ++i) {
      VectorSample& s = v.vec[i];
      // Steps usually produce the same series in the same order: the series
      // at this position in the previous step is tried before the hash map.
      if (i < hints.size() && r.matrix[hints[i]].labels == s.labels) {
        r.matrix[hints[i]].points.push_back(Point{ts, s.v});
        if (++points > options_.max_samples) {
          return Status::ResourceExhausted(
              "query processing would load too many samples into memory in query execution");
        }
        continue;
      }
      // The key is built in a reused buffer and stored only for a new series.
      key.clear();
      for (const Label& l : s.labels) {
        key += l.name;
        key += '\xff';
        key += l.value;
        key += '\xff';
      }
      auto it = index.find(key);
      if (it == index.end()) {
        it = index.emplace(key, r.matrix.size()).first;
        r.matrix.push_back(Series{std::move(s.labels), {}});
      }
      r.matrix[it->second].points.push_back(Point{ts, s.v});
      if (i >= hints.size()) hints.resize(i + 1);
      hints[i] = it->second;
      if (++points > options_.max_samples) {
        return Status::ResourceExhausted(
            "query processing would load too many samples into memory in query execution");
      }
    }
  }
  std::sort(r.matrix.begin(), r.matrix.end(),
            [](const Series& a, const Series& b) { return a.labels < b.labels; });
  return r;
}

std::string_view ErrorType(const Status& status) {
  switch (status.code()) {
    case StatusCode::kInvalidArgument:
      return "bad_data";
    case StatusCode::kDeadlineExceeded:
      return "timeout";
    case StatusCode::kFailedPrecondition:
    case StatusCode::kResourceExhausted:
      return "execution";
    default:
      return "internal";
  }
}

}  // namespace quartet::promql

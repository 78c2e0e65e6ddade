#include "server/query/promql/evaluator.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "server/query/promql/functions.h"

namespace quartet::promql::internal {

Status ExecError(std::string msg) { return Status::FailedPrecondition(std::move(msg)); }

Labels DropMetricName(Labels l) {
  DeleteLabel(&l, kMetricName);
  return l;
}

Status CheckDuplicates(const Vector& v) {
  if (v.size() < 2) return Status::Ok();
  std::vector<const Labels*> sorted;
  sorted.reserve(v.size());
  for (const VectorSample& s : v) sorted.push_back(&s.labels);
  std::sort(sorted.begin(), sorted.end(), [](const Labels* a, const Labels* b) { return *a < *b; });
  for (size_t i = 1; i < sorted.size(); ++i) {
    if (*sorted[i] == *sorted[i - 1]) {
      return ExecError("vector cannot contain metrics with the same labelset");
    }
  }
  return Status::Ok();
}

Evaluator::Evaluator(SeriesSource* source, const EngineOptions& options, int64_t start_ms,
                     int64_t end_ms)
    : source_(source), options_(options), start_ms_(start_ms), end_ms_(end_ms) {}

int64_t Evaluator::AtTime(const Expr& e) const {
  switch (e.at) {
    case AtKind::kStart:
      return start_ms_;
    case AtKind::kEnd:
      return end_ms_;
    default:
      return e.at_ms;
  }
}

Status Evaluator::Prepare(const Expr& expr) { return PrepareNode(expr, start_ms_, end_ms_); }

Status Evaluator::PrepareNode(const Expr& e, int64_t start, int64_t end) {
  switch (e.kind) {
    case ExprKind::kVectorSelector:
    case ExprKind::kMatrixSelector: {
      if (e.at != AtKind::kNone) start = end = AtTime(e);
      int64_t back = e.kind == ExprKind::kMatrixSelector ? e.range_ms : options_.lookback_delta_ms;
      int64_t mint = start - e.offset_ms - back;
      int64_t maxt = end - e.offset_ms;
      if (auto it = data_.find(&e); it != data_.end()) return Status::Ok();
      ASSIGN_OR_RETURN(std::vector<Series> series, source_->Select(e.matchers, mint, maxt));
      for (Series& s : series) {
        loaded_samples_ += s.points.size();
        // Defensive: the contract asks for this, the engine relies on it.
        if (!std::is_sorted(s.points.begin(), s.points.end(),
                            [](const Point& a, const Point& b) { return a.t < b.t; })) {
          std::sort(s.points.begin(), s.points.end(),
                    [](const Point& a, const Point& b) { return a.t < b.t; });
        }
      }
      if (loaded_samples_ > options_.max_samples) {
        return Status::ResourceExhausted(
            "query processing would load too many samples into memory in query execution");
      }
      std::sort(series.begin(), series.end(),
                [](const Series& a, const Series& b) { return a.labels < b.labels; });
      data_[&e] = std::move(series);
      return Status::Ok();
    }
    case ExprKind::kSubquery: {
      if (e.at != AtKind::kNone) start = end = AtTime(e);
      return PrepareNode(*e.lhs, start - e.offset_ms - e.range_ms, end - e.offset_ms);
    }
    default:
      break;
  }
  if (e.lhs) RETURN_IF_ERROR(PrepareNode(*e.lhs, start, end));
  if (e.rhs) RETURN_IF_ERROR(PrepareNode(*e.rhs, start, end));
  for (const ExprPtr& a : e.args) RETURN_IF_ERROR(PrepareNode(*a, start, end));
  return Status::Ok();
}

Vector Evaluator::EvalVectorSelector(const Expr& e, int64_t ts, std::vector<int64_t>* times) {
  Vector out;
  int64_t ref = RefTime(e, ts);
  for (const Series& s : data_[&e]) {
    auto it = std::upper_bound(s.points.begin(), s.points.end(), ref,
                               [](int64_t t, const Point& p) { return t < p.t; });
    if (it == s.points.begin()) continue;
    const Point& p = *(it - 1);
    if (p.t < ref - options_.lookback_delta_ms || IsStaleNaN(p.v)) continue;
    out.push_back(VectorSample{s.labels, p.v});
    if (times != nullptr) times->push_back(p.t);
  }
  return out;
}

Result<Matrix> Evaluator::EvalSubquery(const Expr& e, int64_t ts) {
  int64_t ref = RefTime(e, ts);
  int64_t step = e.step_ms > 0 ? e.step_ms : options_.default_subquery_step_ms;
  int64_t first = ref - e.range_ms;
  int64_t aligned = step * (first / step);
  if (aligned < first) aligned += step;
  Matrix out;
  std::unordered_map<std::string, size_t> index;
  size_t points = 0;
  for (int64_t t = aligned; t <= ref; t += step) {
    // Steps count against the sample budget too, so that `x[1y:1ms]` over no
    // data ends with an error instead of running for hours.
    if (++evaluated_steps_ > options_.max_samples) {
      return Status::ResourceExhausted(
          "query processing would load too many samples into memory in query execution");
    }
    ASSIGN_OR_RETURN(Value v, Eval(*e.lhs, t));
    if (v.type == ValueType::kScalar) {
      v.vec.push_back(VectorSample{{}, v.scalar});
    }
    for (VectorSample& s : v.vec) {
      std::string key = LabelsKey(s.labels);
      auto [it, inserted] = index.try_emplace(key, out.size());
      if (inserted) out.push_back(Series{std::move(s.labels), {}});
      out[it->second].points.push_back(Point{t, s.v});
      if (++points > options_.max_samples) {
        return Status::ResourceExhausted(
            "query processing would load too many samples into memory in query execution");
      }
    }
  }
  return out;
}

Result<RangeArg> Evaluator::EvalRangeArg(const Expr& arg, int64_t ts) {
  const Expr& e = *Unparen(&arg);
  RangeArg out;
  out.range_ms = e.range_ms;
  out.ref_ms = RefTime(e, ts);
  int64_t lo = out.ref_ms - e.range_ms;
  if (e.kind == ExprKind::kSubquery) {
    ASSIGN_OR_RETURN(out.owned, EvalSubquery(e, ts));
    for (const Series& s : out.owned) {
      if (!s.points.empty()) out.series.push_back(RangeSeries{&s.labels, s.points});
    }
    return out;
  }
  const std::vector<Series>& selected = data_[&e];
  out.series.reserve(selected.size());
  std::vector<size_t>& cursors = cursors_[&e];
  if (cursors.size() != selected.size()) cursors.assign(selected.size(), 0);
  for (size_t k = 0; k < selected.size(); ++k) {
    const Series& s = selected[k];
    const std::vector<Point>& pts = s.points;
    // Range-query steps move forward by about a scrape interval: from the
    // last window's start a few points' walk finds the new one; otherwise
    // (first step, subquery times, long steps) a binary search does.
    size_t c = cursors[k];
    if (c > pts.size() || (c > 0 && pts[c - 1].t >= lo)) c = 0;
    size_t walked = 0;
    while (c < pts.size() && pts[c].t < lo && walked < 8) {
      ++c;
      ++walked;
    }
    if (c < pts.size() && pts[c].t < lo) {
      c = static_cast<size_t>(std::lower_bound(pts.begin() + static_cast<std::ptrdiff_t>(c),
                                               pts.end(), lo,
                                               [](const Point& p, int64_t t) { return p.t < t; }) -
                              pts.begin());
    }
    cursors[k] = c;
    size_t end = c;
    bool stale = false;
    while (end < pts.size() && pts[end].t <= out.ref_ms) {
      stale |= IsStaleNaN(pts[end].v);
      ++end;
    }
    if (end == c) continue;
    std::span<const Point> window(pts.data() + c, end - c);
    if (stale) {
      std::vector<Point> kept;
      for (const Point& p : window) {
        if (!IsStaleNaN(p.v)) kept.push_back(p);
      }
      if (kept.empty()) continue;
      out.filtered.push_back(std::move(kept));
      window = out.filtered.back();
    }
    out.series.push_back(RangeSeries{&s.labels, window});
  }
  return out;
}

Matrix RangeArg::ToMatrix() const {
  Matrix m;
  for (const RangeSeries& s : series) {
    m.push_back(Series{*s.labels, std::vector<Point>(s.points.begin(), s.points.end())});
  }
  return m;
}

Result<Value> Evaluator::Eval(const Expr& e, int64_t ts) {
  Value out;
  out.type = e.type();
  switch (e.kind) {
    case ExprKind::kNumber:
      out.scalar = e.number;
      return out;
    case ExprKind::kString:
      out.str = e.str;
      return out;
    case ExprKind::kParen:
      return Eval(*e.lhs, ts);
    case ExprKind::kVectorSelector:
      out.vec = EvalVectorSelector(e, ts, nullptr);
      return out;
    case ExprKind::kMatrixSelector:
    case ExprKind::kSubquery: {
      ASSIGN_OR_RETURN(RangeArg r, EvalRangeArg(e, ts));
      out.mat = r.ToMatrix();
      return out;
    }
    case ExprKind::kUnary: {
      ASSIGN_OR_RETURN(out, Eval(*e.lhs, ts));
      if (e.op == BinOp::kSub) {
        out.scalar = -out.scalar;
        for (VectorSample& s : out.vec) {
          s.labels = DropMetricName(std::move(s.labels));
          s.v = -s.v;
        }
        RETURN_IF_ERROR(CheckDuplicates(out.vec));
      }
      return out;
    }
    case ExprKind::kBinary:
      return EvalBinary(e, ts);
    case ExprKind::kAggregate:
      return EvalAggregate(e, ts);
    case ExprKind::kCall:
      return EvalCall(e, ts);
  }
  return Status::Internal("unknown expression kind");
}

Result<Value> Evaluator::EvalBinary(const Expr& e, int64_t ts) {
  ASSIGN_OR_RETURN(Value l, Eval(*e.lhs, ts));
  ASSIGN_OR_RETURN(Value r, Eval(*e.rhs, ts));
  Value out;
  out.type = e.type();
  bool ls = l.type == ValueType::kScalar, rs = r.type == ValueType::kScalar;
  if (ls && rs) {
    out.scalar = ScalarBinop(e.op, l.scalar, r.scalar);
    return out;
  }
  if (ls) {
    ASSIGN_OR_RETURN(out.vec, VectorScalarBinop(e.op, r.vec, l.scalar, true, e.return_bool));
  } else if (rs) {
    ASSIGN_OR_RETURN(out.vec, VectorScalarBinop(e.op, l.vec, r.scalar, false, e.return_bool));
  } else {
    ASSIGN_OR_RETURN(out.vec, VectorBinop(e.op, l.vec, r.vec, *e.matching, e.return_bool));
  }
  RETURN_IF_ERROR(CheckDuplicates(out.vec));
  return out;
}

Result<Value> Evaluator::EvalAggregate(const Expr& e, int64_t ts) {
  double param = 0;
  std::string label;
  if (e.rhs) {
    ASSIGN_OR_RETURN(Value p, Eval(*e.rhs, ts));
    param = p.scalar;
    label = p.str;
  }
  ASSIGN_OR_RETURN(Value in, Eval(*e.lhs, ts));
  Value out;
  out.type = ValueType::kVector;
  ASSIGN_OR_RETURN(out.vec, Aggregate(e, in.vec, param, label));
  return out;
}

}  // namespace quartet::promql::internal

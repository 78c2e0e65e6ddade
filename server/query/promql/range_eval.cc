// Range queries evaluated node by node over all steps at once, as
// Prometheus's rangeEval does for range functions: each selected series is
// walked once with a sliding window across the step grid, its output label
// set is made once, an aggregation assigns each input series to its group
// once and a histogram_quantile collects each group's buckets once. The
// step-by-step Eval stays the reference: whatever this path does not cover
// (or would need Eval's per-step duplicate checks for) returns nullopt and
// the query runs step by step instead. Values are computed by the same
// functions and in the same order as Eval's, so results are identical.
#include <algorithm>
#include <cmath>
#include <unordered_map>

#include "server/query/promql/evaluator.h"
#include "server/query/promql/format.h"
#include "server/query/promql/functions.h"

namespace quartet::promql::internal {
namespace {

using MaybeSteps = std::optional<StepMatrix>;

const Expr* Literal(const Expr* e) {
  e = Unparen(e);
  return e->kind == ExprKind::kNumber ? e : nullptr;
}

bool CoveredRangeFunction(Func f) {
  switch (f) {
    case Func::kRate:
    case Func::kIncrease:
    case Func::kDelta:
    case Func::kIrate:
    case Func::kIdelta:
    case Func::kDeriv:
    case Func::kPredictLinear:
    case Func::kChanges:
    case Func::kResets:
    case Func::kAvgOverTime:
    case Func::kSumOverTime:
    case Func::kCountOverTime:
    case Func::kMaxOverTime:
    case Func::kMinOverTime:
    case Func::kStddevOverTime:
    case Func::kStdvarOverTime:
    case Func::kQuantileOverTime:
    case Func::kLastOverTime:
    case Func::kPresentOverTime:
      return true;
    default:
      return false;  // holt_winters validates its parameters per step; absent_over_time
  }
}

bool CoveredAggregation(AggOp op) {
  switch (op) {
    case AggOp::kSum:
    case AggOp::kAvg:
    case AggOp::kCount:
    case AggOp::kMin:
    case AggOp::kMax:
    case AggOp::kGroup:
    case AggOp::kStddev:
    case AggOp::kStdvar:
      return true;
    default:
      return false;
  }
}

// Whether two series that have values share a label set.
bool SharesLabelSet(const StepMatrix& m) {
  std::vector<const Labels*> sets;
  sets.reserve(m.size());
  for (const StepSeries& s : m) {
    if (s.points > 0) sets.push_back(&s.labels);
  }
  std::sort(sets.begin(), sets.end(), [](const Labels* a, const Labels* b) { return *a < *b; });
  for (size_t i = 1; i < sets.size(); ++i) {
    if (*sets[i] == *sets[i - 1]) return true;
  }
  return false;
}

StepSeries NewStepSeries(Labels labels, size_t steps) {
  StepSeries s;
  s.labels = std::move(labels);
  s.v.assign(steps, 0);
  s.has.assign(steps, 0);
  return s;
}

// Keeps only series with values.
void DropEmpty(StepMatrix* m) {
  m->erase(std::remove_if(m->begin(), m->end(), [](const StepSeries& s) { return s.points == 0; }),
           m->end());
}

}  // namespace

Result<std::optional<StepMatrix>> Evaluator::EvalAllSteps(const Expr& e, int64_t step_ms) {
  if (options_.step_by_step || step_ms <= 0 || end_ms_ < start_ms_ || !CoversAllSteps(e)) {
    return MaybeSteps();
  }
  step_ms_ = step_ms;
  steps_ = static_cast<size_t>((end_ms_ - start_ms_) / step_ms) + 1;
  return StepsOf(e);
}

bool Evaluator::CoversAllSteps(const Expr& e) const {
  switch (e.kind) {
    case ExprKind::kParen:
      return CoversAllSteps(*e.lhs);
    case ExprKind::kVectorSelector:
      return true;
    case ExprKind::kAggregate:
      return CoveredAggregation(e.agg) && e.rhs == nullptr && CoversAllSteps(*e.lhs);
    case ExprKind::kBinary:
      if (e.matching || IsSetOp(e.op)) return false;
      if (Literal(e.lhs.get()) != nullptr) return CoversAllSteps(*e.rhs);
      if (Literal(e.rhs.get()) != nullptr) return CoversAllSteps(*e.lhs);
      return false;
    case ExprKind::kCall: {
      Func f = e.func->id;
      if (f == Func::kHistogramQuantile) {
        return Literal(e.args[0].get()) != nullptr && CoversAllSteps(*e.args[1]);
      }
      if (!CoveredRangeFunction(f)) return false;
      for (const ExprPtr& a : e.args) {
        if (a->type() == ValueType::kMatrix) {
          if (Unparen(a.get())->kind != ExprKind::kMatrixSelector) return false;
        } else if (Literal(a.get()) == nullptr) {
          return false;
        }
      }
      return true;
    }
    default:
      return false;
  }
}

Result<std::optional<StepMatrix>> Evaluator::StepsOf(const Expr& e) {
  switch (e.kind) {
    case ExprKind::kParen:
      return StepsOf(*e.lhs);
    case ExprKind::kVectorSelector:
      return MaybeSteps(SelectorSteps(e));
    case ExprKind::kAggregate:
      return AggregateSteps(e);
    case ExprKind::kBinary:
      return ScalarBinopSteps(e);
    case ExprKind::kCall:
      if (e.func->id == Func::kHistogramQuantile) return HistogramQuantileSteps(e);
      return RangeFunctionSteps(e);
    default:
      return MaybeSteps();
  }
}

// EvalVectorSelector at every step: the newest point at or before the step
// (minus offset, or at @), within the lookback delta and not a StaleNaN.
StepMatrix Evaluator::SelectorSteps(const Expr& e) {
  StepMatrix out;
  const std::vector<Series>& selected = data_[&e];
  out.reserve(selected.size());
  for (const Series& s : selected) {
    const std::vector<Point>& pts = s.points;
    StepSeries r = NewStepSeries(s.labels, steps_);
    size_t next = 0;  // first point after the step's reference time
    for (size_t k = 0; k < steps_; ++k) {
      int64_t ref = RefTime(e, StepTime(k));
      while (next < pts.size() && pts[next].t <= ref) ++next;
      if (next == 0) continue;
      const Point& p = pts[next - 1];
      if (p.t < ref - options_.lookback_delta_ms || IsStaleNaN(p.v)) continue;
      r.v[k] = p.v;
      r.has[k] = 1;
      ++r.points;
    }
    if (r.points > 0) out.push_back(std::move(r));
  }
  return out;
}

// EvalRangeFunction at every step: each series' window [ref - range, ref]
// slides forward with the steps (references never decrease), StaleNaNs
// removed once per series instead of once per window.
std::optional<StepMatrix> Evaluator::RangeFunctionSteps(const Expr& call) {
  Func f = call.func->id;
  std::vector<double> scalars;
  const Expr* sel = nullptr;
  for (const ExprPtr& a : call.args) {
    if (a->type() == ValueType::kMatrix) {
      sel = Unparen(a.get());
    } else {
      scalars.push_back(Literal(a.get())->number);
    }
  }
  StepMatrix out;
  const std::vector<Series>& selected = data_[sel];
  out.reserve(selected.size());
  std::vector<Point> kept;
  const bool counter = f == Func::kRate || f == Func::kIncrease;
  std::vector<uint32_t> resets;
  for (const Series& s : selected) {
    std::span<const Point> pts = s.points;
    if (std::any_of(pts.begin(), pts.end(), [](const Point& p) { return IsStaleNaN(p.v); })) {
      kept.clear();
      for (const Point& p : pts) {
        if (!IsStaleNaN(p.v)) kept.push_back(p);
      }
      pts = kept;
    }
    // For rate and increase: resets[i] counts the points up to i that are
    // below their predecessor, so a window without any skips the reset pass.
    if (counter) {
      resets.resize(pts.size());
      uint32_t n = 0;
      for (size_t i = 0; i < pts.size(); ++i) {
        if (i > 0 && pts[i].v < pts[i - 1].v) ++n;
        resets[i] = n;
      }
    }
    StepSeries r = NewStepSeries({}, steps_);
    size_t lo = 0, hi = 0;  // the window is pts[lo, hi)
    for (size_t k = 0; k < steps_; ++k) {
      int64_t ts = StepTime(k);
      int64_t ref = RefTime(*sel, ts);
      while (hi < pts.size() && pts[hi].t <= ref) ++hi;
      while (lo < hi && pts[lo].t < ref - sel->range_ms) ++lo;
      if (lo == hi) continue;
      const bool may_reset = !counter || resets[hi - 1] != resets[lo] || pts[lo].v < 0;
      std::optional<double> v =
          WindowValue(f, pts.subspan(lo, hi - lo), sel->range_ms, ref, scalars, ts, may_reset);
      if (!v) continue;
      r.v[k] = *v;
      r.has[k] = 1;
      ++r.points;
    }
    if (r.points == 0) continue;
    r.labels = f == Func::kLastOverTime ? s.labels : DropMetricName(s.labels);
    out.push_back(std::move(r));
  }
  // Series that differ only in their name: Eval reports the collision.
  if (f != Func::kLastOverTime && SharesLabelSet(out)) return MaybeSteps();
  return out;
}

// Aggregate() at every step: each input series joins its group once; a
// group's per-step state is updated in input order, as Aggregate() does.
Result<std::optional<StepMatrix>> Evaluator::AggregateSteps(const Expr& e) {
  ASSIGN_OR_RETURN(std::optional<StepMatrix> in, StepsOf(*e.lhs));
  if (!in) return MaybeSteps();
  const AggOp op = e.agg;
  struct Group {
    StepSeries out;
    std::vector<double> mean, count;
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> index;
  std::string key;
  const auto kept = [&](const Label& l) {
    bool listed = std::find(e.grouping.begin(), e.grouping.end(), l.name) != e.grouping.end();
    return e.without ? (!listed && l.name != kMetricName) : listed;
  };
  for (const StepSeries& s : *in) {
    SubsetKey(s.labels, kept, &key);
    auto [it, inserted] = index.try_emplace(key, groups.size());
    if (inserted) {
      Labels group_labels;
      for (const Label& l : s.labels) {
        if (kept(l)) group_labels.push_back(l);
      }
      Group g;
      g.out = NewStepSeries(std::move(group_labels), steps_);
      g.mean.assign(steps_, 0);
      g.count.assign(steps_, 0);
      groups.push_back(std::move(g));
    }
    Group& g = groups[it->second];
    for (size_t k = 0; k < steps_; ++k) {
      if (!s.has[k]) continue;
      const double v = s.v[k];
      double& value = g.out.v[k];
      double& mean = g.mean[k];
      double& count = g.count[k];
      if (!g.out.has[k]) {
        g.out.has[k] = 1;
        ++g.out.points;
        value = op == AggOp::kStddev || op == AggOp::kStdvar ? 0 : v;
        mean = v;
        count = 1;
        continue;
      }
      switch (op) {
        case AggOp::kSum:
          value += v;
          break;
        case AggOp::kAvg:
          count++;
          if (std::isinf(mean)) {
            if (std::isinf(v) && (mean > 0) == (v > 0)) break;
            if (!std::isinf(v) && !std::isnan(v)) break;
          }
          mean += v / count - mean / count;
          break;
        case AggOp::kCount:
          count++;
          break;
        case AggOp::kMax:
          if (value < v || std::isnan(value)) value = v;
          break;
        case AggOp::kMin:
          if (value > v || std::isnan(value)) value = v;
          break;
        case AggOp::kStddev:
        case AggOp::kStdvar: {
          count++;
          double delta = v - mean;
          mean += delta / count;
          value += delta * (v - mean);
          break;
        }
        default:  // kGroup
          break;
      }
    }
  }
  StepMatrix out;
  out.reserve(groups.size());
  for (Group& g : groups) {
    for (size_t k = 0; k < steps_; ++k) {
      if (!g.out.has[k]) continue;
      switch (op) {
        case AggOp::kAvg:
          g.out.v[k] = g.mean[k];
          break;
        case AggOp::kCount:
          g.out.v[k] = g.count[k];
          break;
        case AggOp::kGroup:
          g.out.v[k] = 1;
          break;
        case AggOp::kStdvar:
          g.out.v[k] = g.out.v[k] / g.count[k];
          break;
        case AggOp::kStddev:
          g.out.v[k] = std::sqrt(g.out.v[k] / g.count[k]);
          break;
        default:  // sum, min, max: the value itself
          break;
      }
    }
    out.push_back(std::move(g.out));
  }
  return MaybeSteps(std::move(out));
}

// HistogramQuantile() at every step: buckets grouped by their labels
// without `le` once; per step, the buckets of a group that have a value.
Result<std::optional<StepMatrix>> Evaluator::HistogramQuantileSteps(const Expr& call) {
  const double q = Literal(call.args[0].get())->number;
  ASSIGN_OR_RETURN(std::optional<StepMatrix> in, StepsOf(*call.args[1]));
  if (!in) return MaybeSteps();
  struct Group {
    Labels labels;
    std::vector<std::pair<double, size_t>> members;  // le, index into *in
  };
  std::vector<Group> groups;
  std::unordered_map<std::string, size_t> index;
  for (size_t i = 0; i < in->size(); ++i) {
    const Labels& labels = (*in)[i].labels;
    std::optional<double> le = GoParseFloat(GetLabel(labels, "le"));
    if (!le) continue;
    Labels without_le = labels;
    DeleteLabel(&without_le, "le");
    auto [it, inserted] = index.try_emplace(LabelsKey(without_le), groups.size());
    if (inserted) groups.push_back(Group{DropMetricName(std::move(without_le)), {}});
    groups[it->second].members.emplace_back(*le, i);
  }
  StepMatrix out;
  out.reserve(groups.size());
  std::vector<std::pair<double, double>> buckets;
  for (Group& g : groups) {
    StepSeries r = NewStepSeries(std::move(g.labels), steps_);
    for (size_t k = 0; k < steps_; ++k) {
      buckets.clear();
      for (const auto& [le, i] : g.members) {
        if ((*in)[i].has[k]) buckets.emplace_back(le, (*in)[i].v[k]);
      }
      if (buckets.empty()) continue;
      r.v[k] = BucketQuantile(q, buckets);
      r.has[k] = 1;
      ++r.points;
    }
    out.push_back(std::move(r));
  }
  // Groups that differ only in their name: Eval reports the duplicate.
  if (SharesLabelSet(out)) return MaybeSteps();
  return MaybeSteps(std::move(out));
}

// VectorScalarBinop() at every step, with a literal scalar.
Result<std::optional<StepMatrix>> Evaluator::ScalarBinopSteps(const Expr& e) {
  const Expr* lit = Literal(e.lhs.get());
  const bool swap = lit != nullptr;
  if (!swap) lit = Literal(e.rhs.get());
  ASSIGN_OR_RETURN(std::optional<StepMatrix> in, StepsOf(swap ? *e.rhs : *e.lhs));
  if (!in) return MaybeSteps();
  const bool drop_name = DropsName(e.op) || e.return_bool;
  for (StepSeries& s : *in) {
    s.points = 0;
    for (size_t k = 0; k < steps_; ++k) {
      if (!s.has[k]) continue;
      double lv = s.v[k], rv = lit->number;
      if (swap) std::swap(lv, rv);
      auto [value, keep] = ElemBinop(e.op, lv, rv);
      if (IsComparison(e.op) && swap) value = rv;
      if (e.return_bool) {
        value = keep ? 1 : 0;
        keep = true;
      }
      s.has[k] = keep ? 1 : 0;
      s.v[k] = value;
      s.points += keep ? 1 : 0;
    }
    if (drop_name) DeleteLabel(&s.labels, kMetricName);
  }
  DropEmpty(&*in);
  // Series that differ only in their name: Eval reports the duplicate.
  if (drop_name && SharesLabelSet(*in)) return MaybeSteps();
  return in;
}

}  // namespace quartet::promql::internal

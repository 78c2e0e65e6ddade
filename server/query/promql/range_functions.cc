// Functions of range vectors: rate/increase/delta with Prometheus's
// extrapolation, irate/idelta, deriv/predict_linear (Kahan-summed linear
// regression), holt_winters, changes/resets and the *_over_time family, as
// Prometheus 2.42's functions.go.
#include <algorithm>
#include <cmath>
#include <limits>

#include "server/query/promql/evaluator.h"
#include "server/query/promql/functions.h"

namespace quartet::promql::internal {
namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();

// DropMetricName for a label set that stays with its series: one exact-size
// copy of the other labels instead of a full copy and an erase that shifts
// every label down (this runs per series per step).
Labels CopyWithoutName(const Labels& in) {
  Labels out;
  out.reserve(in.size());
  for (const Label& l : in) {
    if (l.name != kMetricName) out.push_back(l);
  }
  return out;
}

void KahanInc(double inc, double* sum, double* c) {
  double t = *sum + inc;
  if (std::fabs(*sum) >= std::fabs(inc)) {
    *c += (*sum - t) + inc;
  } else {
    *c += (inc - t) + *sum;
  }
  *sum = t;
}

std::optional<double> ExtrapolatedRate(int64_t range_ms, int64_t ref_ms, std::span<const Point> p,
                                       bool is_counter, bool is_rate, bool may_reset) {
  if (p.size() < 2) return std::nullopt;
  double range_start = static_cast<double>(ref_ms - range_ms);
  double range_end = static_cast<double>(ref_ms);
  double result = p.back().v - p.front().v;
  if (is_counter && may_reset) {
    double last = 0;
    for (const Point& s : p) {
      if (s.v < last) result += last;
      last = s.v;
    }
  }
  double to_start = (static_cast<double>(p.front().t) - range_start) / 1000;
  double to_end = (range_end - static_cast<double>(p.back().t)) / 1000;
  double sampled = static_cast<double>(p.back().t - p.front().t) / 1000;
  double avg_between = sampled / static_cast<double>(p.size() - 1);
  if (is_counter && result > 0 && p.front().v >= 0) {
    double to_zero = sampled * (p.front().v / result);
    if (to_zero < to_start) to_start = to_zero;
  }
  double threshold = avg_between * 1.1;
  double interval = sampled;
  interval += to_start < threshold ? to_start : avg_between / 2;
  interval += to_end < threshold ? to_end : avg_between / 2;
  double factor = interval / sampled;
  if (is_rate) factor /= static_cast<double>(range_ms) / 1000;
  return result * factor;
}

std::optional<double> InstantValue(std::span<const Point> p, bool is_rate) {
  if (p.size() < 2) return std::nullopt;
  const Point& last = p[p.size() - 1];
  const Point& prev = p[p.size() - 2];
  double result = is_rate && last.v < prev.v ? last.v : last.v - prev.v;
  int64_t interval = last.t - prev.t;
  if (interval == 0) return std::nullopt;
  if (is_rate) result /= static_cast<double>(interval) / 1000;
  return result;
}

std::pair<double, double> LinearRegression(std::span<const Point> p, int64_t intercept_time) {
  double n = 0, sx = 0, cx = 0, sy = 0, cy = 0, sxy = 0, cxy = 0, sx2 = 0, cx2 = 0;
  double init_y = p[0].v;
  bool const_y = true;
  for (size_t i = 0; i < p.size(); ++i) {
    if (const_y && i > 0 && p[i].v != init_y) const_y = false;
    n += 1;
    double x = static_cast<double>(p[i].t - intercept_time) / 1e3;
    KahanInc(x, &sx, &cx);
    KahanInc(p[i].v, &sy, &cy);
    KahanInc(x * p[i].v, &sxy, &cxy);
    KahanInc(x * x, &sx2, &cx2);
  }
  if (const_y) {
    if (std::isinf(init_y)) return {kNaN, kNaN};
    return {0, init_y};
  }
  sx += cx;
  sy += cy;
  sxy += cxy;
  sx2 += cx2;
  double cov = sxy - sx * sy / n;
  double var = sx2 - sx * sx / n;
  double slope = cov / var;
  return {slope, sy / n - slope * sx / n};
}

double HoltWinters(std::span<const Point> p, double sf, double tf) {
  double s0 = 0, s1 = p[0].v, b = p[1].v - p[0].v;
  for (size_t i = 1; i < p.size(); ++i) {
    double x = sf * p[i].v;
    if (i > 1) b = tf * (s1 - s0) + (1 - tf) * b;
    double y = (1 - sf) * (s1 + b);
    s0 = s1;
    s1 = x + y;
  }
  return s1;
}

}  // namespace

std::optional<double> WindowValue(Func f, std::span<const Point> p, int64_t range_ms,
                                  int64_t ref_ms, const std::vector<double>& sc, int64_t fn_ts,
                                  bool may_reset) {
  std::optional<double> v;
  switch (f) {
    case Func::kRate:
      v = ExtrapolatedRate(range_ms, ref_ms, p, true, true, may_reset);
      break;
    case Func::kIncrease:
      v = ExtrapolatedRate(range_ms, ref_ms, p, true, false, may_reset);
      break;
    case Func::kDelta:
      v = ExtrapolatedRate(range_ms, ref_ms, p, false, false, false);
      break;
    case Func::kIrate:
      v = InstantValue(p, true);
      break;
    case Func::kIdelta:
      v = InstantValue(p, false);
      break;
    case Func::kDeriv:
      if (p.size() >= 2) v = LinearRegression(p, p[0].t).first;
      break;
    case Func::kPredictLinear:
      if (p.size() >= 2) {
        auto [slope, intercept] = LinearRegression(p, fn_ts);
        v = slope * sc[0] + intercept;
      }
      break;
    case Func::kHoltWinters:
      if (p.size() >= 2) v = HoltWinters(p, sc[0], sc[1]);
      break;
    case Func::kChanges: {
      double changes = 0;
      for (size_t i = 1; i < p.size(); ++i) {
        double cur = p[i].v, prev = p[i - 1].v;
        if (cur != prev && !(std::isnan(cur) && std::isnan(prev))) changes++;
      }
      v = changes;
      break;
    }
    case Func::kResets: {
      double resets = 0;
      for (size_t i = 1; i < p.size(); ++i) {
        if (p[i].v < p[i - 1].v) resets++;
      }
      v = resets;
      break;
    }
    case Func::kAvgOverTime: {
      double mean = 0, c = 0, count = 0;
      for (const Point& x : p) {
        count++;
        if (std::isinf(mean)) {
          if (std::isinf(x.v) && (mean > 0) == (x.v > 0)) continue;
          if (!std::isinf(x.v) && !std::isnan(x.v)) continue;
        }
        KahanInc(x.v / count - mean / count, &mean, &c);
      }
      v = std::isinf(mean) ? mean : mean + c;
      break;
    }
    case Func::kSumOverTime: {
      double sum = 0, c = 0;
      for (const Point& x : p) KahanInc(x.v, &sum, &c);
      v = std::isinf(sum) ? sum : sum + c;
      break;
    }
    case Func::kCountOverTime:
      v = static_cast<double>(p.size());
      break;
    case Func::kMaxOverTime: {
      double m = p[0].v;
      for (const Point& x : p) {
        if (x.v > m || std::isnan(m)) m = x.v;
      }
      v = m;
      break;
    }
    case Func::kMinOverTime: {
      double m = p[0].v;
      for (const Point& x : p) {
        if (x.v < m || std::isnan(m)) m = x.v;
      }
      v = m;
      break;
    }
    case Func::kStddevOverTime:
    case Func::kStdvarOverTime: {
      double count = 0, mean = 0, cmean = 0, aux = 0, caux = 0;
      for (const Point& x : p) {
        count++;
        double delta = x.v - (mean + cmean);
        KahanInc(delta / count, &mean, &cmean);
        KahanInc(delta * (x.v - (mean + cmean)), &aux, &caux);
      }
      double var = (aux + caux) / count;
      v = f == Func::kStddevOverTime ? std::sqrt(var) : var;
      break;
    }
    case Func::kQuantileOverTime: {
      std::vector<double> values;
      for (const Point& x : p) values.push_back(x.v);
      v = Quantile(sc[0], std::move(values));
      break;
    }
    case Func::kLastOverTime:
      v = p.back().v;
      break;
    case Func::kPresentOverTime:
      v = 1;
      break;
    default:
      break;
  }
  return v;
}

Result<Vector> RangeFunction(Func f, const RangeArg& arg, const std::vector<double>& sc,
                             int64_t fn_ts, std::vector<size_t>* produced) {
  Vector out;
  if (f == Func::kHoltWinters) {
    if (sc[0] <= 0 || sc[0] >= 1) {
      return ExecError("invalid smoothing factor. Expected: 0 < sf < 1, got: " +
                       std::to_string(sc[0]));
    }
    if (sc[1] <= 0 || sc[1] >= 1) {
      return ExecError("invalid trend factor. Expected: 0 < tf < 1, got: " + std::to_string(sc[1]));
    }
  }
  for (size_t index = 0; index < arg.series.size(); ++index) {
    const RangeSeries& s = arg.series[index];
    if (f == Func::kLastOverTime) {
      out.push_back(VectorSample{*s.labels, s.points.back().v});
      continue;
    }
    std::optional<double> v = WindowValue(f, s.points, arg.range_ms, arg.ref_ms, sc, fn_ts);
    if (v) {
      out.push_back(VectorSample{CopyWithoutName(*s.labels), *v});
      if (produced != nullptr) produced->push_back(index);
    }
  }
  return out;
}

Result<Value> Evaluator::EvalRangeFunction(const Expr& e, int64_t ts) {
  Value out;
  out.type = ValueType::kVector;
  std::vector<double> scalars;
  const Expr* range_expr = nullptr;
  for (const ExprPtr& a : e.args) {
    if (a->type() == ValueType::kMatrix) {
      range_expr = a.get();
      continue;
    }
    ASSIGN_OR_RETURN(Value v, Eval(*a, ts));
    scalars.push_back(v.scalar);
  }
  ASSIGN_OR_RETURN(RangeArg arg, EvalRangeArg(*range_expr, ts));
  Func f = e.func->id;
  if (f == Func::kAbsentOverTime) {
    if (arg.series.empty()) out.vec.push_back(VectorSample{{}, 1});
    if (!out.vec.empty()) {
      const Expr* inner = Unparen(range_expr);
      if (inner->kind == ExprKind::kMatrixSelector) {
        Labels l;
        std::vector<std::string> drop;
        for (const Matcher& m : inner->matchers) {
          if (m.name() == kMetricName) continue;
          if (m.type() == Matcher::Type::kEqual && GetLabel(l, m.name()).empty() &&
              std::find(drop.begin(), drop.end(), m.name()) == drop.end()) {
            SetLabel(&l, m.name(), m.value());
          } else {
            drop.push_back(m.name());
          }
        }
        for (const std::string& d : drop) DeleteLabel(&l, d);
        out.vec[0].labels = std::move(l);
      }
    }
    return out;
  }
  std::vector<size_t> produced;
  ASSIGN_OR_RETURN(out.vec, RangeFunction(f, arg, scalars, ts, &produced));
  if (f != Func::kLastOverTime)
    RETURN_IF_ERROR(CheckSeriesCollisions(e, *range_expr, arg, produced));
  // A selector's series have distinct label sets; when none differ only in
  // their name (decided once in CheckSeriesCollisions), neither keeping nor
  // dropping the name can make two outputs equal, and the per-step sort of
  // CheckDuplicates, the costliest part of a rate() step, can be skipped.
  const Expr* sel = Unparen(range_expr);
  bool unique = false;
  if (sel->kind == ExprKind::kMatrixSelector) {
    if (f == Func::kLastOverTime) {
      unique = true;
    } else if (auto it = may_collide_.find(sel); it != may_collide_.end()) {
      unique = !it->second;
    }
  }
  if (!unique) RETURN_IF_ERROR(CheckDuplicates(out.vec));
  return out;
}

}  // namespace quartet::promql::internal

namespace quartet::promql::internal {

// Prometheus evaluates a range-vector function over the whole query range at
// once and fails when two input series yield the same output label set at
// any steps, not only at the same one. Dropping __name__ is the only change
// these functions make to labels, so only inputs that differ in nothing but
// their name can collide; the set of output label sets seen is kept per call
// for the whole query.
Status Evaluator::CheckSeriesCollisions(const Expr& call, const Expr& range_expr,
                                        const RangeArg& arg, const std::vector<size_t>& produced) {
  const Expr* sel = Unparen(&range_expr);
  if (sel->kind == ExprKind::kMatrixSelector) {
    // Decided once per selector: can any two of its series collide at all?
    auto [it, inserted] = may_collide_.try_emplace(sel, false);
    if (inserted) {
      std::unordered_map<std::string, std::string_view> names;
      for (const Series& s : data_[sel]) {
        auto [n, fresh] =
            names.try_emplace(LabelsKey(DropMetricName(s.labels)), GetLabel(s.labels, kMetricName));
        if (!fresh && n->second != GetLabel(s.labels, kMetricName)) it->second = true;
      }
    }
    if (!it->second) return Status::Ok();
  }
  auto& seen = output_sources_[&call];
  for (size_t index : produced) {
    const RangeSeries& s = arg.series[index];
    if (GetLabel(*s.labels, kMetricName).empty()) continue;
    Labels out = DropMetricName(*s.labels);
    std::string key = LabelsKey(out);
    std::string source(GetLabel(*s.labels, kMetricName));
    auto [it, inserted] = seen.try_emplace(std::move(key), source);
    if (!inserted && it->second != source) {
      return ExecError("vector cannot contain metrics with the same labelset");
    }
  }
  return Status::Ok();
}

}  // namespace quartet::promql::internal

#include "server/query/logql/evaluator.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <unordered_map>

#include "server/query/logql/literals.h"
#include "server/query/logql/pipeline.h"
#include "server/query/logql/range_aggregation.h"

namespace quartet::logql {
namespace {

using internal::LabelsKey;
using internal::StepRange;

// A metric expression's value: a scalar (literals and their arithmetic) or
// a set of series aligned on the query's steps.
struct Value {
  bool scalar = false;
  double s = 0;
  std::vector<Series> series;
};

Labels GroupLabels(const Labels& labels, const std::optional<Grouping>& g) {
  Labels out;
  if (!g) return out;
  for (const auto& l : labels) {
    bool listed = std::find(g->labels.begin(), g->labels.end(), l.first) != g->labels.end();
    if (listed != g->without) out.push_back(l);
  }
  return out;
}

std::optional<double> Apply(BinaryOp op, double l, double r, bool return_bool, bool* keep) {
  *keep = true;
  auto cmp = [&](bool c) -> std::optional<double> {
    if (return_bool) return c ? 1.0 : 0.0;
    *keep = c;
    return l;
  };
  switch (op) {
    case BinaryOp::kAdd:
      return l + r;
    case BinaryOp::kSub:
      return l - r;
    case BinaryOp::kMul:
      return l * r;
    case BinaryOp::kDiv:
      return l / r;
    case BinaryOp::kMod:
      return std::fmod(l, r);
    case BinaryOp::kPow:
      return std::pow(l, r);
    case BinaryOp::kEq:
      return cmp(l == r);
    case BinaryOp::kNeq:
      return cmp(l != r);
    case BinaryOp::kGt:
      return cmp(l > r);
    case BinaryOp::kGte:
      return cmp(l >= r);
    case BinaryOp::kLt:
      return cmp(l < r);
    case BinaryOp::kLte:
      return cmp(l <= r);
    default:  // set operators never reach here
      break;
  }
  return std::nullopt;
}

class Evaluator {
 public:
  Evaluator(LogSource& source, StepRange steps, const EvalLimits& limits)
      : source_(source), steps_(steps), limits_(limits) {}

  Result<Value> Eval(const MetricExpr& e) {
    switch (e.kind) {
      case MetricExpr::Kind::kLiteral: {
        Value v;
        v.scalar = true;
        v.s = e.literal;
        return v;
      }
      case MetricExpr::Kind::kVector: {
        Value v;
        v.series.emplace_back();
        for (size_t i = 0; i < steps_.count(); ++i) {
          v.series[0].points.emplace_back(steps_.at(i), e.literal);
        }
        return v;
      }
      case MetricExpr::Kind::kRangeAggregation: {
        Value v;
        ASSIGN_OR_RETURN(v.series, internal::EvaluateRangeAggregation(e, source_, steps_, limits_));
        return v;
      }
      case MetricExpr::Kind::kVectorAggregation:
        return VectorAggregation(e);
      case MetricExpr::Kind::kBinary:
        return Binary(e);
    }
    return Status::Internal("unknown expression kind");
  }

  // Scalars become one label-less series with a point at every step.
  std::vector<Series> ToSeries(Value v) {
    if (!v.scalar) return std::move(v.series);
    Series s;
    for (size_t i = 0; i < steps_.count(); ++i) s.points.emplace_back(steps_.at(i), v.s);
    return {std::move(s)};
  }

 private:
  size_t StepIndex(int64_t ts) const {
    return static_cast<size_t>((ts - steps_.start_ns) / steps_.step_ns);
  }

  Result<Value> VectorAggregation(const MetricExpr& e) {
    ASSIGN_OR_RETURN(Value in, Eval(*e.inner));
    if (in.scalar) {
      return Status::InvalidArgument(std::string(VectorOpName(e.vector_op)) +
                                     " expects a vector (e.g. rate(...)), got a scalar");
    }
    std::unordered_map<std::string, size_t> group_index;
    std::vector<Labels> group_labels;
    std::vector<std::vector<std::tuple<size_t, double, size_t>>> members;  // (step, value, series)
    std::string key;
    for (size_t si = 0; si < in.series.size(); ++si) {
      Labels g = GroupLabels(in.series[si].labels, e.grouping);
      LabelsKey(g, &key);
      auto it = group_index.find(key);
      if (it == group_index.end()) {
        it = group_index.emplace(key, group_labels.size()).first;
        group_labels.push_back(std::move(g));
        members.emplace_back();
      }
      for (const auto& [ts, v] : in.series[si].points) {
        members[it->second].emplace_back(StepIndex(ts), v, si);
      }
    }
    Value out;
    const bool top = e.vector_op == VectorOp::kTopK, bottom = e.vector_op == VectorOp::kBottomK;
    if (top || bottom) {
      std::map<size_t, Series> picked;  // by input series index
      for (auto& m : members) {
        std::sort(m.begin(), m.end(), [&](const auto& a, const auto& b) {
          if (std::get<0>(a) != std::get<0>(b)) return std::get<0>(a) < std::get<0>(b);
          double va = std::get<1>(a), vb = std::get<1>(b);
          if (std::isnan(va) != std::isnan(vb)) return !std::isnan(va);  // NaN last
          return top ? va > vb : va < vb;
        });
        size_t taken = 0;
        for (size_t i = 0; i < m.size(); ++i) {
          if (i > 0 && std::get<0>(m[i]) != std::get<0>(m[i - 1])) taken = 0;
          if (taken++ >= static_cast<size_t>(e.k)) continue;
          auto [step, v, si] = m[i];
          Series& s = picked[si];
          if (s.points.empty()) s.labels = in.series[si].labels;
          s.points.emplace_back(steps_.at(step), v);
        }
      }
      for (auto& [si, s] : picked) {
        std::sort(s.points.begin(), s.points.end());
        out.series.push_back(std::move(s));
      }
      return out;
    }
    for (size_t gi = 0; gi < members.size(); ++gi) {
      auto& m = members[gi];
      std::stable_sort(m.begin(), m.end(), [](const auto& a, const auto& b) {
        return std::get<0>(a) < std::get<0>(b);
      });
      Series s{group_labels[gi], {}};
      for (size_t i = 0; i < m.size();) {
        size_t j = i;
        double sum = 0, mn = INFINITY, mx = -INFINITY;
        while (j < m.size() && std::get<0>(m[j]) == std::get<0>(m[i])) {
          double v = std::get<1>(m[j]);
          sum += v;
          mn = std::min(mn, v);
          mx = std::max(mx, v);
          ++j;
        }
        double n = static_cast<double>(j - i), v = 0;
        switch (e.vector_op) {
          case VectorOp::kSum:
            v = sum;
            break;
          case VectorOp::kAvg:
            v = sum / n;
            break;
          case VectorOp::kMin:
            v = mn;
            break;
          case VectorOp::kMax:
            v = mx;
            break;
          case VectorOp::kCount:
            v = n;
            break;
          case VectorOp::kStddev:
          case VectorOp::kStdvar: {
            double mean = sum / n, acc = 0;
            for (size_t k = i; k < j; ++k)
              acc += (std::get<1>(m[k]) - mean) * (std::get<1>(m[k]) - mean);
            v = acc / n;
            if (e.vector_op == VectorOp::kStddev) v = std::sqrt(v);
            break;
          }
          default:
            break;
        }
        s.points.emplace_back(steps_.at(std::get<0>(m[i])), v);
        i = j;
      }
      out.series.push_back(std::move(s));
    }
    return out;
  }

  Result<Value> Binary(const MetricExpr& e) {
    ASSIGN_OR_RETURN(Value l, Eval(*e.lhs));
    ASSIGN_OR_RETURN(Value r, Eval(*e.rhs));
    bool keep;
    if (l.scalar && r.scalar) {
      Value v;
      v.scalar = true;
      v.s = Apply(e.binary_op, l.s, r.s, e.return_bool, &keep).value_or(0);
      return v;
    }
    if (IsSetOperator(e.binary_op)) {
      if (l.scalar || r.scalar) {
        return Status::InvalidArgument("set operators need vectors on both sides");
      }
      return SetOperation(e.binary_op, std::move(l), std::move(r));
    }
    Value out;
    if (l.scalar || r.scalar) {
      Value& vec = l.scalar ? r : l;
      for (Series& s : vec.series) {
        Series res{std::move(s.labels), {}};
        for (const auto& [ts, v] : s.points) {
          double lv = l.scalar ? l.s : v, rv = r.scalar ? r.s : v;
          auto x = Apply(e.binary_op, lv, rv, e.return_bool, &keep);
          // A filtering comparison keeps the vector's own value.
          if (keep)
            res.points.emplace_back(ts, e.return_bool || !IsComparison(e.binary_op) ? *x : v);
        }
        if (!res.points.empty()) out.series.push_back(std::move(res));
      }
      return out;
    }
    // Vector to vector: one-to-one matching on identical label sets.
    std::unordered_map<std::string, size_t> rindex;
    std::string key;
    for (size_t i = 0; i < r.series.size(); ++i) {
      LabelsKey(r.series[i].labels, &key);
      rindex.emplace(key, i);
    }
    for (Series& s : l.series) {
      LabelsKey(s.labels, &key);
      auto it = rindex.find(key);
      if (it == rindex.end()) continue;
      const auto& rp = r.series[it->second].points;
      Series res{std::move(s.labels), {}};
      size_t j = 0;
      for (const auto& [ts, v] : s.points) {
        while (j < rp.size() && rp[j].first < ts) ++j;
        if (j >= rp.size() || rp[j].first != ts) continue;
        auto x = Apply(e.binary_op, v, rp[j].second, e.return_bool, &keep);
        if (keep) res.points.emplace_back(ts, *x);
      }
      if (!res.points.empty()) out.series.push_back(std::move(res));
    }
    return out;
  }

  // and / or / unless, matching on identical label sets per timestamp.
  static Result<Value> SetOperation(BinaryOp op, Value l, Value r) {
    std::unordered_map<std::string, size_t> rindex;
    std::string key;
    for (size_t i = 0; i < r.series.size(); ++i) {
      LabelsKey(r.series[i].labels, &key);
      rindex.emplace(key, i);
    }
    auto has_point = [](const Series* s, int64_t ts) {
      return s != nullptr &&
             std::binary_search(s->points.begin(), s->points.end(), std::make_pair(ts, 0.0),
                                [](const auto& a, const auto& b) { return a.first < b.first; });
    };
    Value out;
    std::unordered_map<std::string, const Series*> lindex;
    for (Series& s : l.series) {
      LabelsKey(s.labels, &key);
      auto it = rindex.find(key);
      const Series* match = it == rindex.end() ? nullptr : &r.series[it->second];
      Series res{s.labels, {}};
      for (const auto& p : s.points) {
        bool in_r = has_point(match, p.first);
        if (op == BinaryOp::kOr || (op == BinaryOp::kAnd) == in_r) res.points.push_back(p);
      }
      if (!res.points.empty()) out.series.push_back(std::move(res));
      lindex.emplace(key, &s);
    }
    if (op == BinaryOp::kOr) {
      for (Series& s : r.series) {
        LabelsKey(s.labels, &key);
        auto it = lindex.find(key);
        const Series* left = it == lindex.end() ? nullptr : it->second;
        Series res{s.labels, {}};
        for (const auto& p : s.points) {
          if (!has_point(left, p.first)) res.points.push_back(p);
        }
        if (res.points.empty()) continue;
        // Merge into the left series with the same labels, if any.
        bool merged = false;
        for (Series& o : out.series) {
          if (o.labels == res.labels) {
            o.points.insert(o.points.end(), res.points.begin(), res.points.end());
            std::sort(o.points.begin(), o.points.end());
            merged = true;
            break;
          }
        }
        if (!merged) out.series.push_back(std::move(res));
      }
    }
    return out;
  }

  LogSource& source_;
  StepRange steps_;
  const EvalLimits& limits_;
};

}  // namespace

std::string LabelsToString(const Labels& labels) {
  std::string out = "{";
  for (size_t i = 0; i < labels.size(); ++i) {
    if (i > 0) out += ", ";
    out += labels[i].first + "=" + Quote(labels[i].second);
  }
  return out + "}";
}

Result<std::vector<Stream>> EvaluateLogs(const Expr& expr, LogSource& source, int64_t start_ns,
                                         int64_t end_ns, size_t limit, Direction dir,
                                         const EvalLimits& limits) {
  const auto* query = std::get_if<LogQuery>(&expr);
  if (query == nullptr) {
    return Status::InvalidArgument("a metric query returns series, not log streams");
  }
  if (limit == 0) return Status::InvalidArgument("limit must be a positive value");
  if (limit > limits.max_entries) {
    return Status::InvalidArgument(
        "max entries limit per query exceeded, limit > max_entries_limit (" +
        std::to_string(limit) + " > " + std::to_string(limits.max_entries) + ")");
  }
  if (end_ns < start_ns)
    return Status::InvalidArgument("end timestamp must not be before start time");
  Pipeline pipeline(*query);
  std::vector<Stream> streams;
  std::unordered_map<std::string, size_t> index;
  std::string key, line;
  Labels labels;
  size_t taken = 0;
  bool ordered = true;
  int64_t last_ts = dir == Direction::kForward ? INT64_MIN : INT64_MAX;
  RETURN_IF_ERROR(source.Scan(
      query->selector, pipeline.leading_filters(), start_ns, end_ns, dir,
      [&](const Labels& stream, int64_t ts, std::string_view raw, const Labels& metadata) {
        if (!pipeline.Process(stream, metadata, raw, &labels, &line)) return true;
        ordered &= dir == Direction::kForward ? ts >= last_ts : ts <= last_ts;
        last_ts = ts;
        LabelsKey(labels, &key);
        auto it = index.find(key);
        if (it == index.end()) {
          it = index.emplace(key, streams.size()).first;
          streams.push_back({labels, {}});
        }
        streams[it->second].entries.emplace_back(ts, line);
        return ++taken < limit;
      }));
  if (!ordered) {
    return Status::Internal("log source delivered entries out of time order; see log_source.h");
  }
  std::sort(streams.begin(), streams.end(),
            [](const Stream& a, const Stream& b) { return a.labels < b.labels; });
  return streams;
}

Result<std::vector<Series>> EvaluateRange(const Expr& expr, LogSource& source, int64_t start_ns,
                                          int64_t end_ns, int64_t step_ns,
                                          const EvalLimits& limits) {
  const auto* metric = std::get_if<MetricPtr>(&expr);
  if (metric == nullptr) {
    return Status::InvalidArgument(
        "a log query returns streams, not series; use a range "
        "aggregation such as count_over_time({...}[5m])");
  }
  if (step_ns <= 0) {
    return Status::InvalidArgument(
        "zero or negative query resolution step widths are not "
        "accepted; try a positive step");
  }
  if (end_ns < start_ns)
    return Status::InvalidArgument("end timestamp must not be before start time");
  if (static_cast<uint64_t>(end_ns - start_ns) / static_cast<uint64_t>(step_ns) + 1 >
      limits.max_points) {
    return Status::InvalidArgument("exceeded maximum resolution of " +
                                   std::to_string(limits.max_points) +
                                   " points per timeseries; try decreasing the query resolution "
                                   "(a larger step)");
  }
  StepRange steps{start_ns, end_ns, step_ns};
  Evaluator ev(source, steps, limits);
  ASSIGN_OR_RETURN(Value v, ev.Eval(**metric));
  std::vector<Series> out = ev.ToSeries(std::move(v));
  if (out.size() > limits.max_series) {
    return Status::ResourceExhausted("maximum number of series (" +
                                     std::to_string(limits.max_series) +
                                     ") reached for a single query");
  }
  std::sort(out.begin(), out.end(),
            [](const Series& a, const Series& b) { return a.labels < b.labels; });
  return out;
}

Result<std::vector<Series>> EvaluateInstant(const Expr& expr, LogSource& source, int64_t time_ns,
                                            const EvalLimits& limits) {
  return EvaluateRange(expr, source, time_ns, time_ns, 1, limits);
}

}  // namespace quartet::logql

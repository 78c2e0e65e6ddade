// Binary operators between scalars and instant vectors: arithmetic,
// comparisons (filtering or `bool`), set operators and vector matching
// (on/ignoring, group_left/right), as Prometheus 2.42's engine.go.
#include <algorithm>
#include <cmath>
#include <unordered_map>
#include <unordered_set>

#include "server/query/promql/evaluator.h"

namespace quartet::promql::internal {

std::pair<double, bool> ElemBinop(BinOp op, double l, double r) {
  switch (op) {
    case BinOp::kAdd:
      return {l + r, true};
    case BinOp::kSub:
      return {l - r, true};
    case BinOp::kMul:
      return {l * r, true};
    case BinOp::kDiv:
      return {l / r, true};
    case BinOp::kPow:
      return {std::pow(l, r), true};
    case BinOp::kMod:
      return {std::fmod(l, r), true};
    case BinOp::kAtan2:
      return {std::atan2(l, r), true};
    case BinOp::kEql:
      return {l, l == r};
    case BinOp::kNeq:
      return {l, l != r};
    case BinOp::kGtr:
      return {l, l > r};
    case BinOp::kLss:
      return {l, l < r};
    case BinOp::kGte:
      return {l, l >= r};
    case BinOp::kLte:
      return {l, l <= r};
    default:
      return {0, false};
  }
}

bool DropsName(BinOp op) {
  // atan2 keeps the name in Prometheus 2.42 (shouldDropMetricName).
  return op == BinOp::kAdd || op == BinOp::kSub || op == BinOp::kMul || op == BinOp::kDiv ||
         op == BinOp::kPow || op == BinOp::kMod;
}

namespace {

bool Contains(const std::vector<std::string>& v, std::string_view s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

std::string Signature(const Labels& l, const VectorMatching& m) {
  std::string sig;
  for (const Label& x : l) {
    bool in = Contains(m.labels, x.name);
    if (m.on ? !in : (in || x.name == kMetricName)) continue;
    sig += x.name;
    sig += '\xff';
    sig += x.value;
    sig += '\xff';
  }
  return sig;
}

Labels MatchedLabels(const Labels& l, const VectorMatching& m) {
  Labels out;
  for (const Label& x : l) {
    bool in = Contains(m.labels, x.name);
    if (m.on ? in : (!in && x.name != kMetricName)) out.push_back(x);
  }
  return out;
}

Labels ResultMetric(const Labels& lhs, const Labels& rhs, BinOp op, const VectorMatching& m) {
  Labels out = lhs;
  if (DropsName(op)) DeleteLabel(&out, kMetricName);
  if (m.card == Cardinality::kOneToOne) {
    if (m.on) {
      std::erase_if(out, [&](const Label& x) { return !Contains(m.labels, x.name); });
    } else {
      std::erase_if(out, [&](const Label& x) { return Contains(m.labels, x.name); });
    }
  }
  for (const std::string& name : m.include) {
    SetLabel(&out, name, GetLabel(rhs, name));
  }
  return out;
}

}  // namespace

double ScalarBinop(BinOp op, double l, double r) {
  auto [v, keep] = ElemBinop(op, l, r);
  if (IsComparison(op)) return keep ? 1 : 0;
  return v;
}

Result<Vector> VectorScalarBinop(BinOp op, const Vector& vec, double scalar, bool swap,
                                 bool return_bool) {
  Vector out;
  for (const VectorSample& s : vec) {
    double lv = s.v, rv = scalar;
    if (swap) std::swap(lv, rv);
    auto [value, keep] = ElemBinop(op, lv, rv);
    if (IsComparison(op) && swap) value = rv;
    if (return_bool) {
      value = keep ? 1 : 0;
      keep = true;
    }
    if (!keep) continue;
    VectorSample r{s.labels, value};
    if (DropsName(op) || return_bool) DeleteLabel(&r.labels, kMetricName);
    out.push_back(std::move(r));
  }
  return out;
}

Result<Vector> VectorBinop(BinOp op, const Vector& lhs_in, const Vector& rhs_in,
                           const VectorMatching& m, bool return_bool) {
  Vector out;
  if (op == BinOp::kAnd || op == BinOp::kUnless) {
    std::unordered_set<std::string> right;
    for (const VectorSample& s : rhs_in) right.insert(Signature(s.labels, m));
    for (const VectorSample& s : lhs_in) {
      bool found = right.count(Signature(s.labels, m)) > 0;
      if (found == (op == BinOp::kAnd)) out.push_back(s);
    }
    return out;
  }
  if (op == BinOp::kOr) {
    std::unordered_set<std::string> left;
    for (const VectorSample& s : lhs_in) {
      left.insert(Signature(s.labels, m));
      out.push_back(s);
    }
    for (const VectorSample& s : rhs_in) {
      if (left.count(Signature(s.labels, m)) == 0) out.push_back(s);
    }
    return out;
  }
  if (lhs_in.empty() || rhs_in.empty()) return out;
  const Vector* lhs = &lhs_in;
  const Vector* rhs = &rhs_in;
  if (m.card == Cardinality::kOneToMany) std::swap(lhs, rhs);
  std::unordered_map<std::string, const VectorSample*> right;
  for (const VectorSample& s : *rhs) {
    auto [it, inserted] = right.try_emplace(Signature(s.labels, m), &s);
    if (!inserted) {
      std::string side = m.card == Cardinality::kOneToMany ? "left" : "right";
      return ExecError("found duplicate series for the match group " +
                       LabelsToString(MatchedLabels(s.labels, m)) + " on the " + side +
                       " hand-side of the operation: [" + LabelsToString(s.labels) + ", " +
                       LabelsToString(it->second->labels) +
                       "];many-to-many matching not allowed: matching labels must be unique on "
                       "one side");
    }
  }
  std::unordered_map<std::string, std::unordered_set<std::string>> matched;
  for (const VectorSample& ls : *lhs) {
    std::string sig = Signature(ls.labels, m);
    auto rit = right.find(sig);
    if (rit == right.end()) continue;
    const VectorSample& rs = *rit->second;
    double vl = ls.v, vr = rs.v;
    if (m.card == Cardinality::kOneToMany) std::swap(vl, vr);
    auto [value, keep] = ElemBinop(op, vl, vr);
    if (return_bool) {
      value = keep ? 1 : 0;
    } else if (!keep) {
      continue;
    }
    Labels metric = ResultMetric(ls.labels, rs.labels, op, m);
    if (return_bool) DeleteLabel(&metric, kMetricName);
    auto [mit, first] = matched.try_emplace(sig);
    if (m.card == Cardinality::kOneToOne) {
      if (!first) {
        return ExecError(
            "multiple matches for labels: many-to-one matching must be explicit "
            "(group_left/group_right)");
      }
    } else if (!mit->second.insert(LabelsKey(metric)).second) {
      return ExecError("multiple matches for labels: grouping labels must ensure unique matches");
    }
    out.push_back(VectorSample{std::move(metric), value});
  }
  return out;
}

}  // namespace quartet::promql::internal

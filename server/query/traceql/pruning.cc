#include "server/query/traceql/pruning.h"

#include <algorithm>
#include <utility>

namespace quartet::traceql {
namespace {

// Beyond this many clauses an || of conjunctions is not expanded: no pruning
// is always sound, an exponential plan is not useful.
constexpr size_t kMaxClauses = 64;

using Cnf = std::vector<std::vector<uint32_t>>;

FilterPlan PlanFilter(const FilterExpr& f) {
  FilterPlan plan;
  if (f.kind == FilterExpr::Kind::kCondition) {
    plan.conditions.push_back(f.condition);
    plan.exact = true;
    return plan;
  }
  if (f.kind == FilterExpr::Kind::kConst) {
    plan.exact = f.const_value;  // { } is exactly "any span"
    return plan;
  }
  if (f.kind != FilterExpr::Kind::kAnd) return plan;
  plan.exact = true;
  for (const FilterExpr& c : f.children) {
    if (c.kind == FilterExpr::Kind::kCondition) {
      plan.conditions.push_back(c.condition);
    } else if (!(c.kind == FilterExpr::Kind::kConst && c.const_value)) {
      plan.exact = false;
    }
  }
  return plan;
}

class Planner {
 public:
  explicit Planner(PruningPlan* plan) : plan_(plan) {}

  // A CNF that holds for every trace `e` matches. Dropping clauses keeps it
  // sound, which is how expansion is bounded.
  Cnf Visit(const SpansetExpr& e) {
    switch (e.kind) {
      case SpansetExpr::Kind::kFilter:
        return {{AddFilter(e.filter)}};
      case SpansetExpr::Kind::kAnd:
      case SpansetExpr::Kind::kStructural: {
        // Structural results are spans of the right side that relate to (or,
        // negated, may not relate to) the left side: only the right side's
        // filter is certainly required when negated.
        Cnf out;
        for (size_t k = 0; k < e.children.size(); ++k) {
          Cnf c = Visit(e.children[k]);
          const bool negated_left =
              e.kind == SpansetExpr::Kind::kStructural && k == 0 && IsNegated(e.structural);
          if (!negated_left) out.insert(out.end(), c.begin(), c.end());
        }
        return Cap(std::move(out));
      }
      case SpansetExpr::Kind::kOr: {
        Cnf out;
        bool first = true;
        for (const SpansetExpr& child : e.children) {
          Cnf c = Visit(child);
          if (first) {
            out = std::move(c);
            first = false;
            continue;
          }
          // (A1 ∧ A2) ∨ (B1 ∧ B2) = ∧ of (Ai ∨ Bj).
          Cnf product;
          for (const auto& a : out) {
            for (const auto& b : c) {
              std::vector<uint32_t> clause = a;
              clause.insert(clause.end(), b.begin(), b.end());
              std::sort(clause.begin(), clause.end());
              clause.erase(std::unique(clause.begin(), clause.end()), clause.end());
              product.push_back(std::move(clause));
              if (product.size() > kMaxClauses) break;
            }
            if (product.size() > kMaxClauses) break;
          }
          out = product.size() > kMaxClauses ? Cnf{} : std::move(product);
        }
        return out;
      }
      case SpansetExpr::Kind::kPipeline: {
        // Every stage keeps only non-empty spansets drawn from the input, so
        // the input's constraints hold, and so does each filter stage.
        Cnf out = Visit(e.children[0]);
        for (const PipelineStage& st : e.stages) {
          if (st.kind == PipelineStage::Kind::kFilter) out.push_back({AddFilter(st.filter)});
        }
        return Cap(std::move(out));
      }
    }
    return {};
  }

 private:
  static bool IsNegated(StructuralOp op) {
    return op == StructuralOp::kNotDescendant || op == StructuralOp::kNotChild ||
           op == StructuralOp::kNotSibling || op == StructuralOp::kNotAncestor ||
           op == StructuralOp::kNotParent;
  }

  static Cnf Cap(Cnf cnf) {
    if (cnf.size() > kMaxClauses) cnf.resize(kMaxClauses);  // fewer clauses: still sound
    return cnf;
  }

  uint32_t AddFilter(const FilterExpr& f) {
    plan_->filters.push_back(PlanFilter(f));
    return static_cast<uint32_t>(plan_->filters.size() - 1);
  }

  PruningPlan* plan_;
};

}  // namespace

PruningPlan PlanPruning(const Query& query) {
  PruningPlan plan;
  Cnf cnf = Planner(&plan).Visit(query.root);
  // A clause that contains an unconstrained filter holds for every non-empty
  // trace: drop it, so that each remaining clause can prune.
  for (auto& clause : cnf) {
    bool useless = false;
    for (uint32_t f : clause) useless |= plan.filters[f].conditions.empty();
    if (!useless) plan.required_any_of.push_back(std::move(clause));
  }
  return plan;
}

}  // namespace quartet::traceql

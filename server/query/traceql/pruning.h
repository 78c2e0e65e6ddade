// What a trace store needs to skip traces with its indexes before running a
// query: per spanset filter, the single-field conditions every span matching
// the filter satisfies, and which filters a matching trace must contain a
// span for (in conjunctive normal form). Plain data; PlanPruning is
// thread-safe.
//
// How to use it (the plan is sound: it never excludes a trace the query
// could match):
//   PruningPlan plan = PlanPruning(query);
//   a trace T can match only if, for every clause in plan.required_any_of,
//   some filter index f in the clause has a span of T satisfying every
//   condition in plan.filters[f].conditions (an empty list: any span).
// With an index "condition -> traces having a span satisfying it", a store
// intersects, per filter, the posting lists of its conditions (a superset of
// the traces having one span satisfying all of them), unions them over each
// clause, and intersects the clauses. Then Evaluate decides exactly.
// Conditions on trace:* intrinsics (scope kTrace) are per-trace facts, true
// for every span of a trace or for none.
#pragma once

#include <cstdint>
#include <vector>

#include "server/query/traceql/ast.h"

namespace quartet::traceql {

struct FilterPlan {
  // Conditions every matching span satisfies (the filter's top-level
  // conjuncts that are plain conditions). Empty: no pruning from this filter.
  std::vector<FieldCondition> conditions;
  // True when the filter is exactly the conjunction of `conditions`, so a
  // span satisfying them all matches the filter.
  bool exact = false;
};

struct PruningPlan {
  // One entry per spanset filter of the query (`{ ... }`, including pipeline
  // filter stages), in the order they appear in the text.
  std::vector<FilterPlan> filters;
  // CNF over "the trace has a span matching filters[f]": every inner list is
  // a clause of filter indexes, one of which must hold. Empty: no constraint
  // (every trace may match, e.g. too many alternatives to expand).
  std::vector<std::vector<uint32_t>> required_any_of;
};

PruningPlan PlanPruning(const Query& query);

}  // namespace quartet::traceql

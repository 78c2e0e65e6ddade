// Internal to the evaluator: structural relations between two spansets of one
// trace, through parent_span_id. Not thread-safe per instance (one per
// Evaluate call).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "server/query/traceql/ast.h"
#include "server/query/traceql/evaluate.h"

namespace quartet::traceql::internal {

class SpanTree {
 public:
  explicit SpanTree(std::span<const SpanRow> rows);

  // The spans of `right` (ascending indexes) in relation `op` to `left`.
  std::vector<uint32_t> Select(StructuralOp op, const std::vector<uint32_t>& left,
                               const std::vector<uint32_t>& right) const;

  // Index of the parent row, or -1 (root, or parent not among the rows).
  int32_t parent(uint32_t i) const { return parent_[i]; }

 private:
  std::vector<uint8_t> HasAncestorIn(const std::vector<uint8_t>& in_left) const;

  std::vector<int32_t> parent_;
};

}  // namespace quartet::traceql::internal

#include "server/query/traceql/structural.h"

#include <algorithm>
#include <cstring>
#include <utility>

namespace quartet::traceql::internal {
namespace {

uint64_t IdBits(const SpanId& id) {
  uint64_t v;
  std::memcpy(&v, id.bytes.data(), sizeof(v));
  return v;
}

}  // namespace

SpanTree::SpanTree(std::span<const SpanRow> rows) : parent_(rows.size(), -1) {
  // Sorted (span id, row) pairs: O(n log n) instead of n^2 lookups on big traces.
  std::vector<std::pair<uint64_t, uint32_t>> ids;
  ids.reserve(rows.size());
  for (uint32_t i = 0; i < rows.size(); ++i) ids.emplace_back(IdBits(rows[i].span->span_id), i);
  std::sort(ids.begin(), ids.end());
  for (uint32_t i = 0; i < rows.size(); ++i) {
    const SpanId& pid = rows[i].span->parent_span_id;
    if (!pid.valid()) continue;
    const uint64_t key = IdBits(pid);
    auto it = std::lower_bound(ids.begin(), ids.end(), std::make_pair(key, uint32_t{0}));
    if (it != ids.end() && it->first == key && it->second != i) parent_[i] = it->second;
  }
}

// For every row: whether some proper ancestor is marked. Memoised walk up the
// parent chain, so the whole trace costs O(n) even for deep chains; a cycle
// (corrupt data) ends the walk as "no".
std::vector<uint8_t> SpanTree::HasAncestorIn(const std::vector<uint8_t>& in_left) const {
  enum : uint8_t { kUnknown = 0, kNo = 1, kYes = 2, kVisiting = 3 };
  std::vector<uint8_t> state(parent_.size(), kUnknown);
  std::vector<uint32_t> path;
  for (uint32_t start = 0; start < parent_.size(); ++start) {
    if (state[start] != kUnknown) continue;
    path.clear();
    uint32_t cur = start;
    uint8_t answer = kNo;
    while (true) {
      state[cur] = kVisiting;
      path.push_back(cur);
      const int32_t p = parent_[cur];
      if (p < 0) break;
      if (in_left[p]) {
        answer = kYes;
        break;
      }
      if (state[p] == kYes || state[p] == kNo) {
        answer = state[p];
        break;
      }
      if (state[p] == kVisiting) break;  // cycle
      cur = static_cast<uint32_t>(p);
    }
    for (uint32_t n : path) state[n] = answer;
  }
  return state;  // kYes / kNo only
}

std::vector<uint32_t> SpanTree::Select(StructuralOp op, const std::vector<uint32_t>& left,
                                       const std::vector<uint32_t>& right) const {
  const size_t n = parent_.size();
  std::vector<uint8_t> in_left(n, 0);
  for (uint32_t l : left) in_left[l] = 1;
  std::vector<uint8_t> related(n, 0);  // indexed by right-side candidate
  switch (op) {
    case StructuralOp::kDescendant:
    case StructuralOp::kNotDescendant: {
      const std::vector<uint8_t> state = HasAncestorIn(in_left);
      for (size_t i = 0; i < n; ++i) related[i] = state[i] == 2;
      break;
    }
    case StructuralOp::kChild:
    case StructuralOp::kNotChild:
      for (size_t i = 0; i < n; ++i) related[i] = parent_[i] >= 0 && in_left[parent_[i]];
      break;
    case StructuralOp::kSibling:
    case StructuralOp::kNotSibling: {
      std::vector<uint32_t> left_children(n, 0);  // per parent: children in left
      for (uint32_t l : left) {
        if (parent_[l] >= 0) ++left_children[parent_[l]];
      }
      for (size_t i = 0; i < n; ++i) {
        if (parent_[i] < 0) continue;
        related[i] = left_children[parent_[i]] - (in_left[i] ? 1 : 0) > 0;
      }
      break;
    }
    case StructuralOp::kAncestor:
    case StructuralOp::kNotAncestor:
      for (uint32_t l : left) {
        // Stop at the first already-marked ancestor: its own ancestors are too.
        size_t steps = 0;
        for (int32_t p = parent_[l]; p >= 0 && !related[p] && steps < n; p = parent_[p], ++steps) {
          related[p] = 1;
        }
      }
      break;
    case StructuralOp::kParent:
    case StructuralOp::kNotParent:
      for (uint32_t l : left) {
        if (parent_[l] >= 0) related[parent_[l]] = 1;
      }
      break;
  }
  const bool negated = op == StructuralOp::kNotDescendant || op == StructuralOp::kNotChild ||
                       op == StructuralOp::kNotSibling || op == StructuralOp::kNotAncestor ||
                       op == StructuralOp::kNotParent;
  std::vector<uint32_t> out;
  for (uint32_t r : right) {
    if (static_cast<bool>(related[r]) != negated) out.push_back(r);
  }
  return out;
}

}  // namespace quartet::traceql::internal

#include "server/query/profiles/function_stats.h"

#include <algorithm>
#include <cmath>
#include <string_view>
#include <unordered_map>

namespace quartet::profiles {
namespace {

// Self and total per name id of `stacks`.
void Accumulate(const MergedStacks& stacks, std::vector<int64_t>* self,
                std::vector<int64_t>* total) {
  self->assign(stacks.names.size(), 0);
  total->assign(stacks.names.size(), 0);
  // Which stack last counted a name: counts a recursive function once.
  std::vector<uint32_t> seen(stacks.names.size(), UINT32_MAX);
  for (size_t i = 0; i < stacks.stacks.size(); ++i) {
    const MergedStacks::Stack& s = stacks.stacks[i];
    std::span<const uint32_t> frames = stacks.FramesOf(s);
    if (frames.empty()) continue;
    (*self)[frames.back()] += s.value;
    for (uint32_t f : frames) {
      if (seen[f] == i) continue;
      seen[f] = static_cast<uint32_t>(i);
      (*total)[f] += s.value;
    }
  }
}

double Share(int64_t v, int64_t whole) {
  return whole == 0 ? 0.0 : static_cast<double>(v) / static_cast<double>(whole);
}

}  // namespace

std::vector<FunctionStat> TopFunctions(const MergedStacks& stacks, TopOrder order, size_t limit) {
  std::vector<int64_t> self, total;
  Accumulate(stacks, &self, &total);
  std::vector<FunctionStat> out;
  for (size_t i = 0; i < stacks.names.size(); ++i) {
    if (self[i] == 0 && total[i] == 0) continue;
    out.push_back({stacks.names[i], self[i], total[i]});
  }
  auto key = [order](const FunctionStat& f) {
    return order == TopOrder::kSelf ? std::pair(f.self, f.total) : std::pair(f.total, f.self);
  };
  auto less = [&](const FunctionStat& a, const FunctionStat& b) {
    auto ka = key(a), kb = key(b);
    if (ka != kb) return ka > kb;
    return a.name < b.name;
  };
  if (limit > 0 && limit < out.size()) {
    std::partial_sort(out.begin(), out.begin() + limit, out.end(), less);
    out.resize(limit);
  } else {
    std::sort(out.begin(), out.end(), less);
  }
  return out;
}

std::vector<FunctionDiff> DiffFunctions(const MergedStacks& left, const MergedStacks& right,
                                        size_t limit) {
  std::vector<int64_t> ls, lt, rs, rt;
  Accumulate(left, &ls, &lt);
  Accumulate(right, &rs, &rt);
  std::unordered_map<std::string_view, size_t> index;
  std::vector<FunctionDiff> out;
  auto entry = [&](std::string_view name) -> FunctionDiff& {
    auto [it, inserted] = index.emplace(name, out.size());
    if (inserted) out.push_back({std::string(name)});
    return out[it->second];
  };
  for (size_t i = 0; i < left.names.size(); ++i) {
    if (ls[i] == 0 && lt[i] == 0) continue;
    FunctionDiff& d = entry(left.names[i]);
    d.left_self = ls[i];
    d.left_total = lt[i];
  }
  for (size_t i = 0; i < right.names.size(); ++i) {
    if (rs[i] == 0 && rt[i] == 0) continue;
    FunctionDiff& d = entry(right.names[i]);
    d.right_self = rs[i];
    d.right_total = rt[i];
  }
  for (FunctionDiff& d : out) {
    d.left_self_share = Share(d.left_self, left.total);
    d.right_self_share = Share(d.right_self, right.total);
    d.self_share_change = d.right_self_share - d.left_self_share;
    d.left_total_share = Share(d.left_total, left.total);
    d.right_total_share = Share(d.right_total, right.total);
    d.total_share_change = d.right_total_share - d.left_total_share;
  }
  auto less = [](const FunctionDiff& a, const FunctionDiff& b) {
    double sa = std::fabs(a.self_share_change), sb = std::fabs(b.self_share_change);
    if (sa != sb) return sa > sb;
    double ta = std::fabs(a.total_share_change), tb = std::fabs(b.total_share_change);
    if (ta != tb) return ta > tb;
    return a.name < b.name;
  };
  std::sort(out.begin(), out.end(), less);
  if (limit > 0 && limit < out.size()) out.resize(limit);
  return out;
}

}  // namespace quartet::profiles

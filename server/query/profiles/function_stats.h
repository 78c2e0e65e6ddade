// Per-function figures of merged stacks: self ("flat": samples whose leaf
// frame is the function) and total ("cumulative": samples with the function
// anywhere on the stack, counted once per sample even under recursion), the
// same definitions `go tool pprof -top` uses; and the diff of two selections
// as shares of their own whole, so that a baseline and an incident window of
// different lengths compare.
//
// Thread-safety: pure functions over immutable inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "server/query/profiles/stack_merger.h"

namespace quartet::profiles {

struct FunctionStat {
  std::string name;
  int64_t self = 0;
  int64_t total = 0;
  friend bool operator==(const FunctionStat&, const FunctionStat&) = default;
};

enum class TopOrder { kSelf, kTotal };

// Functions ordered by `order` descending (ties: the other figure
// descending, then name ascending); at most `limit` (0: all).
std::vector<FunctionStat> TopFunctions(const MergedStacks& stacks, TopOrder order, size_t limit);

// One function in a diff: left is the baseline, right the comparison (e.g.
// the incident window). Shares are fractions of the selection's total
// (0..1, 0 when the selection is empty); changes are right minus left, so a
// function that got hotter has a positive change.
struct FunctionDiff {
  std::string name;
  int64_t left_self = 0, left_total = 0;
  int64_t right_self = 0, right_total = 0;
  double left_self_share = 0, right_self_share = 0, self_share_change = 0;
  double left_total_share = 0, right_total_share = 0, total_share_change = 0;
};

// Every function of either side, ordered by |self_share_change| descending
// (ties: |total_share_change| descending, then name); at most `limit` (0: all).
std::vector<FunctionDiff> DiffFunctions(const MergedStacks& left, const MergedStacks& right,
                                        size_t limit);

}  // namespace quartet::profiles

// FlameTree: merged stacks as a call tree (node 0 is the root, "total"),
// with self and total values per node; children sorted by name, as flame
// graphs draw them. A diff tree carries two value slots (0: left/baseline,
// 1: right/comparison) over the union of both selections' stacks, so one walk
// renders Pyroscope's "double" flamebearer.
//
// Building sorts the distinct stacks by the alphabetical rank of their
// frames and walks them once, reusing the common prefix with the previous
// stack, so no per-node hash lookups are needed.
//
// Thread-safety: immutable after Build; share freely.
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "server/query/profiles/stack_merger.h"

namespace quartet::profiles {

struct FlameNode {
  uint32_t name = 0;  // index into FlameTree::names(); the root's name is "total"
  int64_t self[2] = {0, 0};
  int64_t total[2] = {0, 0};
  uint32_t first_child = 0;  // 0: none (the root is never a child)
  uint32_t next_sibling = 0;
};

class FlameTree {
 public:
  static FlameTree Build(const MergedStacks& stacks);
  static FlameTree BuildDiff(const MergedStacks& left, const MergedStacks& right);

  const std::vector<std::string>& names() const { return names_; }
  const std::vector<FlameNode>& nodes() const { return nodes_; }
  const FlameNode& root() const { return nodes_[0]; }
  bool is_diff() const { return diff_; }
  std::string_view NameOf(const FlameNode& n) const { return names_[n.name]; }

  // The node reached from the root through children named `path`, or null.
  const FlameNode* Find(std::span<const std::string_view> path) const;
  const FlameNode* Find(std::initializer_list<std::string_view> path) const {
    return Find(std::span<const std::string_view>(path.begin(), path.size()));
  }

 private:
  struct Entry {
    std::span<const uint32_t> frames;
    int64_t value[2];
  };
  static FlameTree BuildFrom(std::vector<std::string> names, std::vector<Entry> entries, bool diff);

  std::vector<std::string> names_;
  std::vector<FlameNode> nodes_;
  bool diff_ = false;
};

}  // namespace quartet::profiles

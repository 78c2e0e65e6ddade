#include "server/query/profiles/flame_tree.h"

#include <algorithm>
#include <numeric>
#include <unordered_map>

namespace quartet::profiles {

FlameTree FlameTree::Build(const MergedStacks& stacks) {
  std::vector<Entry> entries;
  entries.reserve(stacks.stacks.size());
  for (const MergedStacks::Stack& s : stacks.stacks) {
    entries.push_back({stacks.FramesOf(s), {s.value, 0}});
  }
  return BuildFrom(stacks.names, std::move(entries), false);
}

FlameTree FlameTree::BuildDiff(const MergedStacks& left, const MergedStacks& right) {
  // Unify the name tables: right's names are remapped into left's ids.
  std::vector<std::string> names = left.names;
  std::unordered_map<std::string_view, uint32_t> ids;
  ids.reserve(names.size() + right.names.size());
  for (size_t i = 0; i < left.names.size(); ++i) ids.emplace(left.names[i], i);
  std::vector<uint32_t> remap(right.names.size());
  for (size_t i = 0; i < right.names.size(); ++i) {
    auto [it, inserted] = ids.emplace(right.names[i], static_cast<uint32_t>(names.size()));
    if (inserted) names.push_back(right.names[i]);
    remap[i] = it->second;
  }
  std::vector<uint32_t> right_frames(right.frames.size());
  for (size_t i = 0; i < right.frames.size(); ++i) right_frames[i] = remap[right.frames[i]];

  std::vector<Entry> entries;
  entries.reserve(left.stacks.size() + right.stacks.size());
  for (const MergedStacks::Stack& s : left.stacks) {
    entries.push_back({left.FramesOf(s), {s.value, 0}});
  }
  for (const MergedStacks::Stack& s : right.stacks) {
    entries.push_back(
        {std::span<const uint32_t>(right_frames.data() + s.offset, s.depth), {0, s.value}});
  }
  // `names` is copied into the tree before right_frames goes out of scope;
  // the entries' spans are only read during BuildFrom.
  return BuildFrom(std::move(names), std::move(entries), true);
}

FlameTree FlameTree::BuildFrom(std::vector<std::string> names, std::vector<Entry> entries,
                               bool diff) {
  FlameTree tree;
  tree.diff_ = diff;
  // Alphabetical rank of every name, so that sorting stacks by rank sorts
  // siblings by name.
  std::vector<uint32_t> order(names.size());
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(),
            [&](uint32_t a, uint32_t b) { return names[a] < names[b]; });
  std::vector<uint32_t> rank(names.size());
  for (size_t i = 0; i < order.size(); ++i) rank[order[i]] = static_cast<uint32_t>(i);

  std::sort(entries.begin(), entries.end(), [&](const Entry& a, const Entry& b) {
    size_t n = std::min(a.frames.size(), b.frames.size());
    for (size_t i = 0; i < n; ++i) {
      if (a.frames[i] != b.frames[i]) return rank[a.frames[i]] < rank[b.frames[i]];
    }
    return a.frames.size() < b.frames.size();
  });

  tree.names_ = std::move(names);
  uint32_t root_name = static_cast<uint32_t>(tree.names_.size());
  tree.names_.push_back("total");
  tree.nodes_.reserve(entries.size() * 2 + 1);
  tree.nodes_.push_back(FlameNode{root_name, {0, 0}, {0, 0}, 0, 0});

  std::vector<uint32_t> path = {0};        // node ids from the root
  std::vector<uint32_t> last_child = {0};  // per node: its last child (0: none)
  std::span<const uint32_t> prev;
  for (const Entry& e : entries) {
    size_t common = 0;
    while (common < prev.size() && common < e.frames.size() && prev[common] == e.frames[common]) {
      ++common;
    }
    path.resize(common + 1);
    for (size_t i = common; i < e.frames.size(); ++i) {
      uint32_t parent = path.back();
      uint32_t id = static_cast<uint32_t>(tree.nodes_.size());
      tree.nodes_.push_back(FlameNode{e.frames[i], {0, 0}, {0, 0}, 0, 0});
      last_child.push_back(0);
      if (last_child[parent] == 0) {
        tree.nodes_[parent].first_child = id;
      } else {
        tree.nodes_[last_child[parent]].next_sibling = id;
      }
      last_child[parent] = id;
      path.push_back(id);
    }
    for (int slot = 0; slot < 2; ++slot) {
      int64_t v = e.value[slot];
      if (v == 0) continue;
      for (uint32_t id : path) tree.nodes_[id].total[slot] += v;
      tree.nodes_[path.back()].self[slot] += v;
    }
    prev = e.frames;
  }
  return tree;
}

const FlameNode* FlameTree::Find(std::span<const std::string_view> path) const {
  const FlameNode* node = &nodes_[0];
  for (std::string_view name : path) {
    uint32_t child = node->first_child;
    while (child != 0 && names_[nodes_[child].name] != name) child = nodes_[child].next_sibling;
    if (child == 0) return nullptr;
    node = &nodes_[child];
  }
  return node;
}

}  // namespace quartet::profiles

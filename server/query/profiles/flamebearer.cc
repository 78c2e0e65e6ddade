#include "server/query/profiles/flamebearer.h"

#include <algorithm>
#include <unordered_map>

#include "wire/json/json_writer.h"

namespace quartet::profiles {
namespace {

int64_t Width(const FlameNode& n) { return n.total[0] + n.total[1]; }

// The smallest width a node may have and still be drawn: the max_nodes-th
// widest node's width.
int64_t MinWidth(const FlameTree& tree, int64_t max_nodes) {
  const auto& nodes = tree.nodes();
  if (max_nodes <= 0 || nodes.size() <= static_cast<size_t>(max_nodes)) return 0;
  std::vector<int64_t> widths;
  widths.reserve(nodes.size());
  for (const FlameNode& n : nodes) widths.push_back(Width(n));
  auto nth = widths.begin() + (max_nodes - 1);
  std::nth_element(widths.begin(), nth, widths.end(), std::greater<int64_t>());
  return *nth;
}

}  // namespace

Flamebearer ToFlamebearer(const FlameTree& tree, int64_t max_nodes) {
  Flamebearer fb;
  fb.diff = tree.is_diff();
  const auto& nodes = tree.nodes();
  const int stride = fb.diff ? 7 : 4;
  const int64_t min_width = MinWidth(tree, max_nodes);

  std::unordered_map<uint32_t, int64_t> name_index;  // tree name -> flamebearer name
  auto name_of = [&](uint32_t tree_name) {
    auto [it, inserted] = name_index.emplace(tree_name, static_cast<int64_t>(fb.names.size()));
    if (inserted) fb.names.push_back(tree.names()[tree_name]);
    return it->second;
  };
  const int64_t kOtherName = -1;  // resolved lazily: "other" is added to names on first use
  int64_t other_index = -1;

  struct Item {
    int64_t self[2];
    int64_t total[2];
    int64_t name;   // flamebearer name index or kOtherName
    uint32_t node;  // 0 for "other" (never expanded)
    bool expand;
    size_t level;
    int64_t x[2];
  };
  std::vector<Item> stack;
  const FlameNode& root = tree.root();
  stack.push_back({{root.self[0], root.self[1]},
                   {root.total[0], root.total[1]},
                   name_of(root.name),
                   0,
                   true,
                   0,
                   {0, 0}});
  std::vector<Item> children;
  while (!stack.empty()) {
    Item item = stack.back();
    stack.pop_back();
    if (item.name == kOtherName) {
      if (other_index < 0) {
        other_index = static_cast<int64_t>(fb.names.size());
        fb.names.push_back("other");
      }
      item.name = other_index;
    }
    if (fb.levels.size() <= item.level) fb.levels.resize(item.level + 1);
    std::vector<int64_t>& level = fb.levels[item.level];
    if (fb.diff) {
      level.insert(level.end(), {item.x[0], item.total[0], item.self[0], item.x[1], item.total[1],
                                 item.self[1], item.name});
    } else {
      level.insert(level.end(), {item.x[0], item.total[0], item.self[0], item.name});
    }
    fb.max_self = std::max({fb.max_self, item.self[0], item.self[1]});
    if (!item.expand) continue;

    int64_t x[2] = {item.x[0] + item.self[0], item.x[1] + item.self[1]};
    int64_t other[2] = {0, 0};
    children.clear();
    for (uint32_t c = nodes[item.node].first_child; c != 0; c = nodes[c].next_sibling) {
      const FlameNode& n = nodes[c];
      if (Width(n) < min_width) {
        other[0] += n.total[0];
        other[1] += n.total[1];
        continue;
      }
      children.push_back({{n.self[0], n.self[1]},
                          {n.total[0], n.total[1]},
                          name_of(n.name),
                          c,
                          true,
                          item.level + 1,
                          {x[0], x[1]}});
      x[0] += n.total[0];
      x[1] += n.total[1];
    }
    if (other[0] != 0 || other[1] != 0) {
      children.push_back({{other[0], other[1]},
                          {other[0], other[1]},
                          kOtherName,
                          0,
                          false,
                          item.level + 1,
                          {x[0], x[1]}});
    }
    // Pushed in reverse so that they pop left to right: each level then
    // lists its nodes in increasing x.
    stack.insert(stack.end(), children.rbegin(), children.rend());
  }

  // Delta-encode x: the gap since the end of the previous node of the level.
  for (std::vector<int64_t>& level : fb.levels) {
    for (int slot = 0; slot < (fb.diff ? 2 : 1); ++slot) {
      int64_t end = 0;
      for (size_t i = slot * 3; i < level.size(); i += stride) {
        int64_t abs_x = level[i];
        level[i] = abs_x - end;
        end = abs_x + level[i + 1];
      }
    }
  }
  if (fb.diff) {
    fb.left_ticks = root.total[0];
    fb.right_ticks = root.total[1];
    fb.num_ticks = root.total[0] + root.total[1];
  } else {
    fb.num_ticks = root.total[0];
  }
  return fb;
}

void AppendFlamebearerJson(std::string* out, const Flamebearer& fb) {
  out->append("{\"names\":[");
  for (size_t i = 0; i < fb.names.size(); ++i) {
    if (i) out->push_back(',');
    json::AppendString(out, fb.names[i]);
  }
  out->append("],\"levels\":[");
  for (size_t l = 0; l < fb.levels.size(); ++l) {
    if (l) out->push_back(',');
    out->push_back('[');
    for (size_t i = 0; i < fb.levels[l].size(); ++i) {
      if (i) out->push_back(',');
      json::AppendInt(out, fb.levels[l][i]);
    }
    out->push_back(']');
  }
  out->append("],\"numTicks\":");
  json::AppendInt(out, fb.num_ticks);
  out->append(",\"maxSelf\":");
  json::AppendInt(out, fb.max_self);
  if (fb.diff) {
    out->append(",\"leftTicks\":");
    json::AppendInt(out, fb.left_ticks);
    out->append(",\"rightTicks\":");
    json::AppendInt(out, fb.right_ticks);
  }
  out->push_back('}');
}

}  // namespace quartet::profiles

// Flamebearer: the flame graph encoding Pyroscope's UI and API use, built
// from a FlameTree, and its JSON. Format "single": each level is a flat list
// of nodes, 4 numbers each: [x delta, total, self, name index]; format
// "double" (a diff): 7 numbers each: [left x delta, left total, left self,
// right x delta, right total, right self, name index]. A node's children
// start right after its own self width (Pyroscope's layout); x is encoded as
// the gap since the end of the previous node of the same level. names[0] is
// "total", the root. Nodes narrower than the max_nodes-th widest are folded
// into one "other" child per parent, as Pyroscope does. docs/profiles_api.md
// describes the JSON.
//
// Thread-safety: pure functions over immutable inputs.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "server/query/profiles/flame_tree.h"

namespace quartet::profiles {

struct Flamebearer {
  bool diff = false;
  std::vector<std::string> names;
  std::vector<std::vector<int64_t>> levels;
  int64_t num_ticks = 0;  // single: the root's total; double: left + right
  int64_t max_self = 0;
  int64_t left_ticks = 0;  // double only
  int64_t right_ticks = 0;
};

// max_nodes <= 0: no folding.
Flamebearer ToFlamebearer(const FlameTree& tree, int64_t max_nodes);

// {"names":[...],"levels":[[...],...],"numTicks":N,"maxSelf":N}
void AppendFlamebearerJson(std::string* out, const Flamebearer& fb);

}  // namespace quartet::profiles

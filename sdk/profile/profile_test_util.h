// Test helpers: reading decoded pprof profiles by function name.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "wire/pprof/profile.h"

namespace quartet::profile_internal {

// Index of the sample type named `type`, or -1.
inline int ValueIndex(const pprof::Profile& p, std::string_view type) {
  for (size_t i = 0; i < p.sample_type.size(); ++i) {
    if (p.StringAt(p.sample_type[i].type) == type) return static_cast<int>(i);
  }
  return -1;
}

// The (demangled) function names of a sample's stack, leaf first.
inline std::vector<std::string> StackNames(const pprof::Profile& p, const pprof::Sample& s) {
  std::map<uint64_t, const pprof::Function*> functions;
  for (const auto& f : p.function) functions[f.id] = &f;
  std::vector<std::string> names;
  for (uint64_t id : s.location_id) {
    for (const auto& loc : p.location) {
      if (loc.id != id) continue;
      for (const auto& line : loc.line) {
        auto it = functions.find(line.function_id);
        if (it != functions.end()) names.emplace_back(p.StringAt(it->second->name));
      }
    }
  }
  return names;
}

// Sum of sample type `type` over samples with a frame whose name contains
// `function`.
inline int64_t SumWhereStackHas(const pprof::Profile& p, std::string_view function,
                                std::string_view type) {
  int index = ValueIndex(p, type);
  if (index < 0) return -1;
  int64_t sum = 0;
  for (const auto& s : p.sample) {
    for (const std::string& name : StackNames(p, s)) {
      if (name.find(function) != std::string::npos) {
        sum += s.value[index];
        break;
      }
    }
  }
  return sum;
}

}  // namespace quartet::profile_internal

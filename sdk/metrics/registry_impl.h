// MetricRegistry::Impl: the registry's state, shared by registry.cc
// (registration, handles) and render.cc (exposition).
//
// Thread-safety: `mu` guards families, names, resource and errors;
// `callback_mu` guards callbacks and is held while they run, so that
// RemoveCallback returning means the callback is no longer running. Lock
// order: mu -> a family's mu -> the cell store's mutex; callback_mu alone.
#pragma once

#include <map>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "quartet/metrics.h"
#include "sdk/metrics/series.h"

namespace quartet {

struct MetricRegistry::Impl {
  MetricRegistryOptions options;

  mutable std::mutex mu;
  std::map<std::string, std::unique_ptr<metrics_internal::FamilyImpl>> families;  // by base name
  std::set<std::string> sample_names;  // every series name the registry writes
  std::vector<std::pair<std::string, std::string>> resource;  // sanitised, sorted
  std::vector<std::string> errors;
  std::set<std::string> reported;

  struct Callback {
    std::string name;  // base name
    std::string help;
    bool counter = false;
    std::function<double()> read;
  };
  mutable std::mutex callback_mu;
  std::map<uint64_t, Callback> callbacks;
  uint64_t next_callback_id = 1;
};

}  // namespace quartet

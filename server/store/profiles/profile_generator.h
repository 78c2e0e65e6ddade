// ProfileGenerator: realistic synthetic CPU profiles for tests and
// benchmarks, shaped like those of a Go or C++ service sampled at 100 Hz for
// 10 s: a fixed program (a few hundred functions, one binary mapping) whose
// call stacks (depth 10-40, sharing prefixes as a call tree does) are hit
// with a Zipf-like skew, locations numbered per profile as pprof writers do,
// and a fraction of samples labelled with the span_id and span_name running.
// Deterministic for a seed. Not thread-safe.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "wire/pprof/profile.h"

namespace quartet::store {

class ProfileGenerator {
 public:
  explicit ProfileGenerator(uint64_t seed = 1, int distinct_stacks = 300, int functions = 400);

  // One profile of `seconds` at 100 Hz on `cpus` busy CPUs, time_nanos =
  // time_ns; `span_fraction` of samples carry span labels.
  pprof::Profile Next(int64_t time_ns, int seconds = 10, int cpus = 1, double span_fraction = 0.3);

  // Index into the stack pool of the hottest stack (Zipf rank 0).
  const std::vector<uint32_t>& stack(size_t i) const { return stacks_[i]; }
  const std::string& function_name(size_t i) const { return functions_[i]; }

 private:
  std::mt19937_64 rng_;
  std::vector<std::string> functions_;
  std::vector<std::string> files_;
  std::vector<std::vector<uint32_t>> stacks_;  // function indexes, leaf first
  std::vector<double> cumulative_;             // Zipf CDF over stacks_
  uint64_t span_counter_ = 0;
};

}  // namespace quartet::store

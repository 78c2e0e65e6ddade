// LocationTable: the pprof location of each instruction address while one
// profile is built, with its mapping (object, build id) and demangled
// function from the Symbolizer; addresses in no known function keep only
// their address. Shared by the CPU, heap and thread profiles.
//
// Thread-safety: none; one table per profile being built.
#pragma once

#include <cstdint>
#include <unordered_map>

#include "sdk/profile/symbolizer.h"
#include "wire/pprof/builder.h"

namespace quartet::profile_internal {

class LocationTable {
 public:
  // Starts a Symbolizer batch (one re-scan of loaded objects allowed).
  LocationTable(pprof::ProfileBuilder* builder, Symbolizer* symbolizer);

  uint64_t Location(uintptr_t pc);

 private:
  pprof::ProfileBuilder* builder_;
  Symbolizer* symbolizer_;
  std::unordered_map<uintptr_t, uint64_t> ids_;
};

}  // namespace quartet::profile_internal

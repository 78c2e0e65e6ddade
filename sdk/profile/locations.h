// LocationTable: the pprof location of each instruction address while one
// profile is built, with its mapping (object, build id), demangled function
// and, where the object has DWARF line info, its source file (the
// Function's filename: one Function per (name, file)) and line (the Line's
// line) from the Symbolizer; addresses in no known function keep only their
// address. A function without line info has no filename (not the object's
// path: `pprof -list` would read the binary as source); its mapping names
// the object.
// Shared by the CPU, heap and thread profiles.
//
// Thread-safety: none; one table per profile being built.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>

#include "sdk/profile/symbolizer.h"
#include "wire/pprof/builder.h"

namespace quartet::profile_internal {

class LocationTable {
 public:
  // Starts a Symbolizer batch (one re-scan of loaded objects allowed).
  LocationTable(pprof::ProfileBuilder* builder, Symbolizer* symbolizer);

  uint64_t Location(uintptr_t pc);

  // Releases the builder's profile, its mappings marked with what their
  // locations carry (has_filenames, has_line_numbers), and a comment when
  // some object's line table was skipped (over its memory bound, or
  // malformed): file:line is missing there, not absent from the source.
  pprof::Profile Finish();

 private:
  pprof::ProfileBuilder* builder_;
  Symbolizer* symbolizer_;
  std::unordered_map<uintptr_t, uint64_t> ids_;
  std::unordered_set<uint64_t> mappings_with_lines_;
};

}  // namespace quartet::profile_internal

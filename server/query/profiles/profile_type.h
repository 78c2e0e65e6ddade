// ProfileType: Pyroscope's profile type id,
// "<name>:<sample type>:<sample unit>:<period type>:<period unit>" (e.g.
// "process_cpu:cpu:nanoseconds:cpu:nanoseconds"), parsed and printed, and
// how the Pyroscope UI labels its values (units, sampleRate).
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::profiles {

struct ProfileType {
  std::string name;         // "process_cpu"
  std::string sample_type;  // "cpu"
  std::string sample_unit;  // "nanoseconds"
  std::string period_type;  // "cpu"
  std::string period_unit;  // "nanoseconds"

  std::string Id() const;
  // Pyroscope's metadata: "samples" for CPU time (values in nanoseconds with
  // sampleRate 1e9, so the UI shows seconds), "objects" for counts, "bytes"
  // for sizes, else the sample unit.
  std::string_view Units() const;
  int64_t SampleRate() const;
};

// InvalidArgument naming the text unless it has five non-empty ':'-separated
// parts.
Result<ProfileType> ParseProfileType(std::string_view id);

}  // namespace quartet::profiles

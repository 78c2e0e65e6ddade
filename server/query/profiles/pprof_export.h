// ToPprof: merged stacks as a pprof profile (one sample type, one function
// and one location per distinct frame name, one sample per distinct stack),
// so `go tool pprof` reads a merged window with the same flat and cumulative
// figures the query API reports (function_stats.h). Addresses, files and
// line numbers are not carried: merged stacks are keyed by name.
//
// Thread-safety: pure function.
#pragma once

#include <cstdint>

#include "server/query/profiles/profile_type.h"
#include "server/query/profiles/stack_merger.h"
#include "wire/pprof/profile.h"

namespace quartet::profiles {

// time_ns/duration_ns: the window merged. The period is 0 (unknown) unless
// `period` is given.
pprof::Profile ToPprof(const MergedStacks& stacks, const ProfileType& type, int64_t time_ns,
                       int64_t duration_ns, int64_t period = 0);

}  // namespace quartet::profiles

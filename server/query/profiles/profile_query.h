// MergeSelection: reads the profiles of one selection (profile type, series
// label matchers, time range, optional sample-label filter) from a
// store::ProfileStore and merges them (stack_merger.h), filling a timeline on
// the way. The entry point of every profile query; flame graphs, top
// functions, diffs and pprof export work on its result. Stores that offer
// SelectProfileBatches (the profile table) are read by stack ids, each
// distinct stack of a block symbolized once; others profile by profile.
//
// Thread-safety: stateless; safe to call concurrently (the store is
// thread-safe).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/query/profiles/profile_type.h"
#include "server/query/profiles/stack_merger.h"
#include "server/query/profiles/timeline.h"
#include "server/store/interface.h"

namespace quartet::profiles {

struct Selection {
  ProfileType type;
  std::vector<store::LabelMatch> matchers;  // on series labels (service_name, ...)
  store::TimeRange range;
  SampleFilter filter;  // on pprof sample labels (span_id, ...)
};

struct MergeResult {
  MergedStacks stacks;
  int64_t profiles = 0;  // profiles read
};

// `timeline` (may be null) gets each profile's accepted sum at its time.
// Errors are the store's (InvalidArgument for a regex that does not
// compile).
Result<MergeResult> MergeSelection(store::ProfileStore* store, const Selection& selection,
                                   Timeline* timeline);

}  // namespace quartet::profiles

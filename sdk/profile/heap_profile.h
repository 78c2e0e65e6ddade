// The heap profile in Go's format (what /debug/pprof/heap serves): sample
// types alloc_objects/count, alloc_space/bytes, inuse_objects/count,
// inuse_space/bytes, period space/bytes = the mean sampling interval, one
// sample per (stack, allocation size) with Go's numeric label "bytes", and
// each bucket scaled up by 1 / (1 - exp(-size / interval)) (the probability
// a block of that size was sampled), as Go's runtime/pprof does.
//
// Uploads report alloc_* as deltas since the previous upload (Pyroscope sums
// samples over time; Go's own agent sends deltas too) and in-use absolute.
//
// Thread-safety: none; callers serialize.
#pragma once

#include <cstdint>
#include <utility>
#include <vector>

#include "sdk/profile/heap_sampler.h"
#include "sdk/profile/symbolizer.h"
#include "wire/pprof/profile.h"

namespace quartet::profile_internal {

// Go's unsampling of `count` sampled blocks of `size` bytes each at `interval`:
// the estimated (objects, bytes) they stand for.
std::pair<int64_t, int64_t> ScaleHeapSample(uint64_t count, uint64_t size, int64_t interval);

// `time_nanos`: when the snapshot was taken. With `alloc_base` (indexed by
// bucket id; grown and updated here), alloc_* count only the allocations
// since the previous call with the same base; in-use stays absolute.
pprof::Profile BuildHeapProfile(const HeapSnapshot& snapshot, Symbolizer* symbolizer,
                                int64_t time_nanos, std::vector<uint64_t>* alloc_base = nullptr);

}  // namespace quartet::profile_internal

#include "sdk/profile/heap_profile.h"

#include <cmath>

#include "sdk/profile/locations.h"
#include "wire/pprof/builder.h"

namespace quartet::profile_internal {

std::pair<int64_t, int64_t> ScaleHeapSample(uint64_t count, uint64_t size, int64_t interval) {
  if (count == 0) return {0, 0};
  if (interval <= 1 || size == 0) {
    return {static_cast<int64_t>(count), static_cast<int64_t>(count * size)};
  }
  double scale = 1.0 / (1.0 - std::exp(-static_cast<double>(size) / static_cast<double>(interval)));
  double objects = static_cast<double>(count) * scale;
  return {static_cast<int64_t>(objects), static_cast<int64_t>(objects * static_cast<double>(size))};
}

pprof::Profile BuildHeapProfile(const HeapSnapshot& snapshot, Symbolizer* symbolizer,
                                int64_t time_nanos, std::vector<uint64_t>* alloc_base) {
  pprof::ProfileBuilder b;
  b.AddSampleType("alloc_objects", "count");
  b.AddSampleType("alloc_space", "bytes");
  b.AddSampleType("inuse_objects", "count");
  b.AddSampleType("inuse_space", "bytes");
  b.SetPeriod("space", "bytes", snapshot.mean_interval);
  b.SetDefaultSampleType("inuse_space");
  b.SetTime(time_nanos, 0);
  if (snapshot.dropped_buckets != 0 || snapshot.dropped_live != 0) {
    b.AddComment("quartet: " + std::to_string(snapshot.dropped_buckets) +
                 " sampled allocations dropped (bucket table full), " +
                 std::to_string(snapshot.dropped_live) + " not tracked in use (live table full)");
  }
  LocationTable locations(&b, symbolizer);
  std::vector<uint64_t> ids;
  if (alloc_base != nullptr && alloc_base->size() > snapshot.buckets.size()) {
    alloc_base->clear();  // the sampler was re-enabled: a new set of buckets
  }
  if (alloc_base != nullptr) alloc_base->resize(snapshot.buckets.size(), 0);
  for (const HeapBucket& bucket : snapshot.buckets) {
    uint64_t inuse =
        bucket.alloc_count >= bucket.free_count ? bucket.alloc_count - bucket.free_count : 0;
    uint64_t allocs = bucket.alloc_count;
    if (alloc_base != nullptr && bucket.id < alloc_base->size()) {
      uint64_t& base = (*alloc_base)[bucket.id];
      allocs = allocs >= base ? allocs - base : allocs;
      base = bucket.alloc_count;
    }
    if (allocs == 0 && inuse == 0) continue;
    auto [alloc_objects, alloc_space] =
        ScaleHeapSample(allocs, bucket.size, snapshot.mean_interval);
    auto [inuse_objects, inuse_space] = ScaleHeapSample(inuse, bucket.size, snapshot.mean_interval);
    ids.clear();
    for (uint32_t i = 0; i < bucket.depth; ++i) ids.push_back(locations.Location(bucket.pcs[i]));
    int64_t values[4] = {alloc_objects, alloc_space, inuse_objects, inuse_space};
    pprof::LabelSpec label{"bytes", {}, static_cast<int64_t>(bucket.size), "bytes"};
    b.AddSample(ids, values, std::span<const pprof::LabelSpec>(&label, 1));
  }
  return locations.Finish();
}

}  // namespace quartet::profile_internal

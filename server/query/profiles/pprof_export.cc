#include "server/query/profiles/pprof_export.h"

#include <vector>

#include "wire/pprof/builder.h"

namespace quartet::profiles {

pprof::Profile ToPprof(const MergedStacks& stacks, const ProfileType& type, int64_t time_ns,
                       int64_t duration_ns, int64_t period) {
  pprof::ProfileBuilder b;
  b.AddSampleType(type.sample_type, type.sample_unit);
  b.SetPeriod(type.period_type, type.period_unit, period);
  b.SetDefaultSampleType(type.sample_type);
  b.SetTime(time_ns, duration_ns);
  std::vector<uint64_t> location(stacks.names.size(), 0);  // name id -> location id
  std::vector<uint64_t> ids;
  for (const MergedStacks::Stack& s : stacks.stacks) {
    std::span<const uint32_t> frames = stacks.FramesOf(s);
    ids.clear();
    for (size_t i = frames.size(); i-- > 0;) {  // pprof wants the leaf first
      uint64_t& loc = location[frames[i]];
      if (loc == 0) {
        const std::string& name = stacks.names[frames[i]];
        loc = b.LocationForFunction(b.Function(name, name, ""));
      }
      ids.push_back(loc);
    }
    int64_t value = s.value;
    b.AddSample(ids, std::span<const int64_t>(&value, 1));
  }
  return b.Release();
}

}  // namespace quartet::profiles

// Timeline: the sum of a selection's sample values per time step, the bar
// chart above Pyroscope's flame graph ({"startTime","samples",
// "durationDelta"}, seconds). A profile counts in the step holding its start
// time.
//
// Thread-safety: none; a plain value filled by one query.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace quartet::profiles {

struct Timeline {
  int64_t start_ns = 0;
  int64_t step_ns = 0;
  std::vector<int64_t> samples;

  // Steps covering [start_ns, end_ns): `step_ns`, or when it is 0 the
  // smallest multiple of 10 s giving at most `max_points` steps. start_ns is
  // rounded down to a multiple of the step, as Pyroscope aligns its bars.
  static Timeline Make(int64_t start_ns, int64_t end_ns, int64_t step_ns,
                       int64_t max_points = 1024);

  // Adds `value` to the step of `time_ns` (ignored outside the timeline).
  void Add(int64_t time_ns, int64_t value);
};

// {"startTime":<s>,"samples":[...],"durationDelta":<s>}
void AppendTimelineJson(std::string* out, const Timeline& t);

}  // namespace quartet::profiles

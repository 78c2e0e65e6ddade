#include "server/query/profiles/timeline.h"

#include <algorithm>

#include "wire/json/json_writer.h"

namespace quartet::profiles {
namespace {
constexpr int64_t kSecond = 1'000'000'000;
}

Timeline Timeline::Make(int64_t start_ns, int64_t end_ns, int64_t step_ns, int64_t max_points) {
  Timeline t;
  if (end_ns <= start_ns) end_ns = start_ns + 1;
  if (step_ns <= 0) {
    int64_t span = end_ns - start_ns;
    int64_t points = std::max<int64_t>(1, max_points);
    int64_t tens = (span / points + 10 * kSecond - 1) / (10 * kSecond);
    step_ns = std::max<int64_t>(1, tens) * 10 * kSecond;
  }
  t.step_ns = step_ns;
  t.start_ns = start_ns - ((start_ns % step_ns) + step_ns) % step_ns;
  int64_t n = (end_ns - t.start_ns + step_ns - 1) / step_ns;
  t.samples.assign(static_cast<size_t>(std::max<int64_t>(1, n)), 0);
  return t;
}

void Timeline::Add(int64_t time_ns, int64_t value) {
  if (time_ns < start_ns || step_ns <= 0) return;
  int64_t i = (time_ns - start_ns) / step_ns;
  if (i >= static_cast<int64_t>(samples.size())) return;
  samples[static_cast<size_t>(i)] += value;
}

void AppendTimelineJson(std::string* out, const Timeline& t) {
  out->append("{\"startTime\":");
  json::AppendInt(out, t.start_ns / kSecond);
  out->append(",\"samples\":[");
  for (size_t i = 0; i < t.samples.size(); ++i) {
    if (i) out->push_back(',');
    json::AppendInt(out, t.samples[i]);
  }
  out->append("],\"durationDelta\":");
  json::AppendInt(out, t.step_ns / kSecond);
  out->push_back('}');
}

}  // namespace quartet::profiles

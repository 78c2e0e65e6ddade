// Test helpers: pprof profiles from folded-style stacks ("main;work;hash"
// root first), and merged stacks back to folded form, so tests state inputs
// and expectations as text. Test-only.
#pragma once

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "server/query/profiles/stack_merger.h"
#include "wire/pprof/builder.h"

namespace quartet::profiles::ptest {

struct TestSample {
  std::string stack;  // root first, ';'-separated
  int64_t value = 0;
  std::string span_id;  // "" : no label
};

inline std::vector<std::string_view> SplitStack(std::string_view stack) {
  std::vector<std::string_view> out;
  while (!stack.empty()) {
    size_t semi = stack.find(';');
    out.push_back(stack.substr(0, semi));
    if (semi == std::string_view::npos) break;
    stack.remove_prefix(semi + 1);
  }
  return out;
}

// A one-sample-type CPU profile ("cpu"/"nanoseconds").
inline pprof::Profile MakeProfile(const std::vector<TestSample>& samples, int64_t time_ns = 0) {
  pprof::ProfileBuilder b;
  b.AddSampleType("cpu", "nanoseconds");
  b.SetPeriod("cpu", "nanoseconds", 10'000'000);
  b.SetTime(time_ns, 10'000'000'000);
  for (const TestSample& s : samples) {
    std::vector<std::string_view> frames = SplitStack(s.stack);
    std::vector<uint64_t> ids;
    for (size_t i = frames.size(); i-- > 0;) {
      ids.push_back(b.LocationForFunction(b.Function(frames[i], frames[i], "app.cc")));
    }
    int64_t v = s.value;
    if (s.span_id.empty()) {
      b.AddSample(ids, std::span<const int64_t>(&v, 1));
    } else {
      pprof::LabelSpec label{"span_id", s.span_id};
      b.AddSample(ids, std::span<const int64_t>(&v, 1),
                  std::span<const pprof::LabelSpec>(&label, 1));
    }
  }
  return b.Release();
}

// Merged stacks as {"a;b;c": value}.
inline std::map<std::string, int64_t> Folded(const MergedStacks& m) {
  std::map<std::string, int64_t> out;
  for (const MergedStacks::Stack& s : m.stacks) {
    std::string key;
    for (uint32_t f : m.FramesOf(s)) {
      if (!key.empty()) key += ';';
      key += m.names[f];
    }
    out[key] += s.value;
  }
  return out;
}

inline MergedStacks Merge(const std::vector<std::vector<TestSample>>& profiles,
                          SampleFilter filter = {}) {
  StackMerger m(std::move(filter));
  for (const auto& p : profiles) m.Add(MakeProfile(p));
  return m.Release();
}

}  // namespace quartet::profiles::ptest

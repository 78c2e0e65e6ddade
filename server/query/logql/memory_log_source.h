// MemoryLogSource: a LogSource over a vector of entries held in memory, for
// tests (ours and the API's) and small embedded uses. Add() is not
// thread-safe; Scan is const over the data and may run concurrently once
// loading is done. It honours the LogSource contract (global time order,
// [start, end), early stop) by sorting the matching entries per call.
#pragma once

#include <algorithm>
#include <atomic>
#include <string>
#include <utility>
#include <vector>

#include "server/query/logql/log_source.h"

namespace quartet::logql {

class MemoryLogSource : public LogSource {
 public:
  struct Entry {
    Labels stream;  // sorted by name
    int64_t ts_ns = 0;
    std::string line;
    Labels metadata;
  };

  void Add(Labels stream, int64_t ts_ns, std::string line, Labels metadata = {}) {
    std::sort(stream.begin(), stream.end());
    entries_.push_back({std::move(stream), ts_ns, std::move(line), std::move(metadata)});
  }

  Status Scan(const std::vector<LabelMatcher>& matchers, const std::vector<LineFilter>&,
              int64_t start_ns, int64_t end_ns, Direction dir, const EntryFn& fn) override {
    ++scans_;
    std::vector<const Entry*> hits;
    for (const Entry& e : entries_) {
      if (e.ts_ns < start_ns || e.ts_ns >= end_ns) continue;
      bool match = true;
      for (const LabelMatcher& m : matchers) {
        std::string_view value;
        for (const auto& [k, v] : e.stream) {
          if (k == m.name) value = v;
        }
        match &= m.Matches(value);
      }
      if (match) hits.push_back(&e);
    }
    std::stable_sort(hits.begin(), hits.end(), [dir](const Entry* a, const Entry* b) {
      return dir == Direction::kForward ? a->ts_ns < b->ts_ns : a->ts_ns > b->ts_ns;
    });
    for (const Entry* e : hits) {
      if (!fn(e->stream, e->ts_ns, e->line, e->metadata)) break;
    }
    return Status::Ok();
  }

  size_t scans() const { return scans_; }

 private:
  std::vector<Entry> entries_;
  std::atomic<size_t> scans_{0};
};

}  // namespace quartet::logql

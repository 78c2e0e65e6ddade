// MemorySeriesSource: a SeriesSource over series held in memory, for tests,
// benchmarks and the differential test. Add() before querying; Select() is
// then safe from several threads (Add is not synchronized with it).
#pragma once

#include <vector>

#include "server/query/promql/series_source.h"

namespace quartet::promql {

class MemorySeriesSource : public SeriesSource {
 public:
  // Adds a series (labels canonicalized, points sorted by time). Adding the
  // same label set twice merges the points; a later duplicate timestamp wins.
  void Add(Labels labels, std::vector<Point> points);

  Result<std::vector<Series>> Select(const std::vector<Matcher>& matchers, int64_t min_t_ms,
                                     int64_t max_t_ms) override;

  size_t series_count() const { return series_.size(); }

 private:
  std::vector<Series> series_;
};

}  // namespace quartet::promql

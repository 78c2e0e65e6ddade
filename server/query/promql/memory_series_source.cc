#include "server/query/promql/memory_series_source.h"

#include <algorithm>

namespace quartet::promql {

void MemorySeriesSource::Add(Labels labels, std::vector<Point> points) {
  Canonicalize(&labels);
  for (Series& s : series_) {
    if (s.labels == labels) {
      s.points.insert(s.points.end(), points.begin(), points.end());
      points = std::move(s.points);
      s.points.clear();
      std::stable_sort(points.begin(), points.end(),
                       [](const Point& a, const Point& b) { return a.t < b.t; });
      for (const Point& p : points) {
        if (!s.points.empty() && s.points.back().t == p.t) {
          s.points.back() = p;
        } else {
          s.points.push_back(p);
        }
      }
      return;
    }
  }
  std::stable_sort(points.begin(), points.end(),
                   [](const Point& a, const Point& b) { return a.t < b.t; });
  Series s{std::move(labels), {}};
  for (const Point& p : points) {
    if (!s.points.empty() && s.points.back().t == p.t) {
      s.points.back() = p;
    } else {
      s.points.push_back(p);
    }
  }
  series_.push_back(std::move(s));
}

Result<std::vector<Series>> MemorySeriesSource::Select(const std::vector<Matcher>& matchers,
                                                       int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<Series> out;
  for (const Series& s : series_) {
    bool match = true;
    for (const Matcher& m : matchers) {
      if (!m.MatchesLabels(s.labels)) {
        match = false;
        break;
      }
    }
    if (!match) continue;
    auto lo = std::lower_bound(s.points.begin(), s.points.end(), min_t_ms,
                               [](const Point& p, int64_t t) { return p.t < t; });
    auto hi = std::upper_bound(s.points.begin(), s.points.end(), max_t_ms,
                               [](int64_t t, const Point& p) { return t < p.t; });
    if (lo >= hi) continue;
    out.push_back(Series{s.labels, std::vector<Point>(lo, hi)});
  }
  return out;
}

}  // namespace quartet::promql

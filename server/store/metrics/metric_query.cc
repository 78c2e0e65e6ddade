// MetricTable's queries: Select, SelectExemplars, LabelNames, LabelValues,
// Series (declared in metric_table.h).
#include <algorithm>
#include <set>

#include "server/store/label_match.h"
#include "server/store/metrics/metric_table.h"

namespace quartet::store {
namespace {

bool Overlaps(int64_t lo, int64_t hi, int64_t min_t, int64_t max_t) {
  return lo <= max_t && hi >= min_t;
}

void AddExemplars(std::span<const Exemplar> exemplars, int64_t min_t, int64_t max_t,
                  std::vector<Exemplar>* out) {
  for (const Exemplar& e : exemplars) {
    if (e.t_ms >= min_t && e.t_ms <= max_t) out->push_back(e);
  }
}

// Heads and blocks may both hold a timestamp (a retried sample around a
// flush): samples are put in time order and the first of equal timestamps
// kept. Each source appended a sorted run (heads first, then blocks), so the
// runs are merged, stably, instead of sorting the whole: usually a rotation
// of a head's newer run behind the blocks' older ones.
void SortAndDedupe(std::vector<Sample>* samples) {
  const auto by_time = [](const Sample& a, const Sample& b) { return a.t_ms < b.t_ms; };
  const auto first = samples->begin();
  const size_t n = samples->size();
  // [0, sorted) is in order; a run ends where time does not increase.
  auto run_end = [&](size_t from) {
    size_t i = from + 1;
    while (i < n && first[i - 1].t_ms < first[i].t_ms) ++i;
    return i;
  };
  if (n == 0) return;
  for (size_t sorted = run_end(0); sorted < n;) {
    const size_t next = run_end(sorted);
    std::inplace_merge(first, first + sorted, first + next, by_time);
    sorted = next;
  }
  samples->erase(std::unique(samples->begin(), samples->end(),
                             [](const Sample& a, const Sample& b) { return a.t_ms == b.t_ms; }),
                 samples->end());
}

// The entry of each series in the gathered map. A block's series come in
// label order (its ids are label ordinals), as the map's entries are: a
// cursor walks forward to each in a comparison or two instead of searching
// the map; a series out of order (heads number series by arrival) is
// searched for.
template <typename Value>
class MapCursor {
 public:
  explicit MapCursor(std::map<Labels, Value>* map) : map_(map), next_(map->begin()) {}

  Value& operator[](Labels labels) {
    if (next_ != map_->begin() && labels < std::prev(next_)->first) {
      next_ = map_->lower_bound(labels);
    }
    while (next_ != map_->end() && next_->first < labels) ++next_;
    if (next_ == map_->end() || labels < next_->first) {
      next_ = map_->emplace_hint(next_, std::move(labels), Value{});
    }
    return (next_++)->second;
  }

 private:
  std::map<Labels, Value>* map_;
  typename std::map<Labels, Value>::iterator next_;  // after the last entry returned
};

}  // namespace

Status MetricTable::Gather(const std::vector<LabelMatch>& matchers, int64_t min_t, int64_t max_t,
                           GatherMode mode, std::map<Labels, Gathered>* out) {
  std::vector<std::shared_ptr<const MetricBlock>> blocks;
  ChunkScratch scratch;
  {
    // The heads are read under the lock; blocks, immutable, after it, so
    // that reading pages from disk never holds appenders up.
    std::shared_lock lock(mu_);
    blocks = QueryBlocks();
    for (const MetricHead* head : {frozen_.get(), static_cast<const MetricHead*>(head_.get())}) {
      if (head == nullptr) continue;
      ASSIGN_OR_RETURN(std::vector<uint32_t> ids, head->index().Select(matchers));
      MapCursor<Gathered> series(out);
      for (uint32_t id : ids) {
        const HeadSeries& s = head->series(id);
        std::vector<Exemplar> exemplars;
        if (mode == GatherMode::kExemplars) {
          AddExemplars(s.exemplars, min_t, max_t, &exemplars);
          if (exemplars.empty()) continue;
        } else if (!Overlaps(s.min_t, s.max_t, min_t, max_t)) {
          continue;
        }
        Gathered& g = series[head->index().LabelsOf(id)];
        ++g.sources;
        if (mode == GatherMode::kSamples) {
          head->AppendSamples(id, min_t, max_t, &scratch, &g.samples);
        }
        for (Exemplar& e : exemplars) g.exemplars.push_back(std::move(e));
      }
    }
  }
  ValuePages pages;
  for (const auto& block : blocks) {
    const BlockMeta& meta = block->meta();
    if (mode != GatherMode::kExemplars &&
        !Overlaps(meta.min_time_ns, meta.max_time_ns, MsToNs(min_t), MsToNs(max_t))) {
      continue;
    }
    ASSIGN_OR_RETURN(std::vector<uint32_t> ids, block->index().Select(matchers));
    MapCursor<Gathered> series(out);
    Status damaged;
    for (uint32_t id : ids) {
      std::vector<Exemplar> exemplars;
      if (mode == GatherMode::kExemplars) {
        AddExemplars(block->exemplars(id), min_t, max_t, &exemplars);
        if (exemplars.empty()) continue;
      } else if (!Overlaps(block->series_min_t(id), block->series_max_t(id), min_t, max_t)) {
        continue;
      }
      Gathered& g = series[block->index().LabelsOf(id)];
      ++g.sources;
      if (mode == GatherMode::kSamples) {
        damaged = block->AppendSamples(id, min_t, max_t, &pages, &g.samples);
        if (!damaged.ok()) break;
      }
      for (Exemplar& e : exemplars) g.exemplars.push_back(std::move(e));
    }
    if (!damaged.ok()) SetAside(*block->catalog_block(), damaged);
  }
  for (auto it = out->begin(); it != out->end();) {
    Gathered& g = it->second;
    if (g.sources > 1) SortAndDedupe(&g.samples);
    if (g.sources > 1 && mode == GatherMode::kExemplars) {
      std::stable_sort(g.exemplars.begin(), g.exemplars.end(),
                       [](const Exemplar& a, const Exemplar& b) { return a.t_ms < b.t_ms; });
    }
    // A series whose samples in the range all lay in a damaged block.
    if (mode == GatherMode::kSamples && g.samples.empty()) {
      it = out->erase(it);
    } else {
      ++it;
    }
  }
  return Status::Ok();
}

Status MetricTable::Select(const std::vector<LabelMatch>& matchers, int64_t min_t_ms,
                           int64_t max_t_ms, const SeriesFn& fn) {
  std::map<Labels, Gathered> series;
  RETURN_IF_ERROR(Gather(matchers, min_t_ms, max_t_ms, GatherMode::kSamples, &series));
  for (const auto& [labels, g] : series) {
    if (!fn(labels, g.samples)) break;
  }
  return Status::Ok();
}

Status MetricTable::SelectExemplars(const std::vector<LabelMatch>& matchers, int64_t min_t_ms,
                                    int64_t max_t_ms, const ExemplarFn& fn) {
  std::map<Labels, Gathered> series;
  RETURN_IF_ERROR(Gather(matchers, min_t_ms, max_t_ms, GatherMode::kExemplars, &series));
  for (const auto& [labels, g] : series) {
    if (!fn(labels, g.exemplars)) break;
  }
  return Status::Ok();
}

Result<std::vector<Labels>> MetricTable::Series(const std::vector<LabelMatch>& matchers,
                                                int64_t min_t_ms, int64_t max_t_ms) {
  std::map<Labels, Gathered> series;
  RETURN_IF_ERROR(Gather(matchers, min_t_ms, max_t_ms, GatherMode::kLabels, &series));
  std::vector<Labels> out;
  out.reserve(series.size());
  for (auto& [labels, g] : series) out.push_back(labels);
  return out;
}

Result<std::vector<std::string>> MetricTable::LabelNames(const std::vector<LabelMatch>& matchers,
                                                         int64_t min_t_ms, int64_t max_t_ms) {
  std::map<Labels, Gathered> series;
  RETURN_IF_ERROR(Gather(matchers, min_t_ms, max_t_ms, GatherMode::kLabels, &series));
  std::set<std::string> names;
  for (const auto& [labels, g] : series) {
    for (const auto& [name, value] : labels) names.insert(name);
  }
  return std::vector<std::string>(names.begin(), names.end());
}

Result<std::vector<std::string>> MetricTable::LabelValues(std::string_view name,
                                                          const std::vector<LabelMatch>& matchers,
                                                          int64_t min_t_ms, int64_t max_t_ms) {
  std::vector<LabelMatch> with_name = matchers;
  with_name.push_back(LabelMatch{std::string(name), LabelMatch::Op::kNeq, ""});
  std::map<Labels, Gathered> series;
  RETURN_IF_ERROR(Gather(with_name, min_t_ms, max_t_ms, GatherMode::kLabels, &series));
  std::set<std::string> values;
  for (const auto& [labels, g] : series) values.insert(std::string(LabelValue(labels, name)));
  return std::vector<std::string>(values.begin(), values.end());
}

}  // namespace quartet::store

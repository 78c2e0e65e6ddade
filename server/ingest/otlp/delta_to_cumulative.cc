#include "server/ingest/otlp/delta_to_cumulative.h"

#include <algorithm>

namespace quartet::ingest {

DeltaToCumulative::DeltaToCumulative(DeltaToCumulativeOptions options) : options_(options) {}

void DeltaToCumulative::EvictIdle(int64_t now_ns) {
  // A sweep costs O(streams): do it at most every tenth of the idle time, or
  // when the limit is reached (so an idle stream never blocks a new one).
  if (now_ns < next_sweep_ns_ && streams_.size() < options_.max_streams) return;
  next_sweep_ns_ = now_ns + options_.max_idle_ns / 10;
  std::erase_if(streams_, [&](const auto& entry) {
    const bool idle = now_ns - entry.second.last_seen_ns > options_.max_idle_ns;
    if (idle) ++evicted_;
    return idle;
  });
}

DeltaToCumulative::Stream* DeltaToCumulative::Find(const std::string& key, int64_t now_ns,
                                                   bool* created) {
  EvictIdle(now_ns);
  auto it = streams_.find(key);
  *created = it == streams_.end();
  if (*created) {
    if (streams_.size() >= options_.max_streams) {
      ++over_limit_;
      return nullptr;
    }
    it = streams_.emplace(key, Stream{}).first;
  }
  it->second.last_seen_ns = now_ns;
  return &it->second;
}

DeltaToCumulative::Verdict DeltaToCumulative::AddSum(const std::string& key, uint64_t time_ns,
                                                     double* value, int64_t now_ns) {
  std::lock_guard lock(mu_);
  bool created = false;
  Stream* s = Find(key, now_ns, &created);
  if (s == nullptr) return Verdict::kOverLimit;
  if (!created && time_ns <= s->last_time_ns) {
    ++out_of_order_;
    return Verdict::kOutOfOrder;
  }
  s->total = created ? *value : s->total + *value;
  s->last_time_ns = time_ns;
  *value = s->total;
  return Verdict::kOk;
}

DeltaToCumulative::Verdict DeltaToCumulative::AddHistogram(const std::string& key, uint64_t time_ns,
                                                           std::span<const double> bounds,
                                                           std::vector<uint64_t>* bucket_counts,
                                                           uint64_t* count, double* sum,
                                                           int64_t now_ns) {
  std::lock_guard lock(mu_);
  bool created = false;
  Stream* s = Find(key, now_ns, &created);
  if (s == nullptr) return Verdict::kOverLimit;
  if (!created && time_ns <= s->last_time_ns) {
    ++out_of_order_;
    return Verdict::kOutOfOrder;
  }
  const bool same_buckets =
      !created && std::equal(bounds.begin(), bounds.end(), s->bounds.begin(), s->bounds.end()) &&
      s->buckets.size() == bucket_counts->size();
  if (!same_buckets) {
    s->bounds.assign(bounds.begin(), bounds.end());
    s->buckets = *bucket_counts;
    s->count = *count;
    s->total = *sum;
  } else {
    for (size_t i = 0; i < s->buckets.size(); ++i) s->buckets[i] += (*bucket_counts)[i];
    s->count += *count;
    s->total += *sum;
  }
  s->last_time_ns = time_ns;
  *bucket_counts = s->buckets;
  *count = s->count;
  *sum = s->total;
  return Verdict::kOk;
}

void DeltaToCumulative::Forget(const std::string& key) {
  std::lock_guard lock(mu_);
  streams_.erase(key);
}

DeltaToCumulativeStats DeltaToCumulative::stats() const {
  std::lock_guard lock(mu_);
  return DeltaToCumulativeStats{.streams = static_cast<int64_t>(streams_.size()),
                                .out_of_order = out_of_order_,
                                .over_limit = over_limit_,
                                .evicted = evicted_};
}

}  // namespace quartet::ingest

// The statistics the incident engine decides with: quantiles of latency
// samples, a two-proportion z test (is a share really higher in the incident
// than in the baseline?), lift with support for over-represented attribute
// values, a bounded uniform sample (reservoir) and a single change point in a
// bucketed rate (the onset). Chosen because they are robust on sampled,
// skewed latency data and cheap on 360k requests; docs/incident.md explains
// the thresholds. Pure functions and plain values; thread-safe as values are.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <utility>
#include <vector>

namespace quartet::incident {

// The q-quantile (0 <= q <= 1) of `sorted` (ascending) by linear
// interpolation between closest ranks; 0 when empty.
double Quantile(const std::vector<double>& sorted, double q);

// z statistic of "share a (hits_a / n_a) is greater than share b" with the
// pooled two-proportion test; 0 when either n is 0 or the pooled share is 0
// or 1 (no evidence either way).
double TwoProportionZ(int64_t hits_a, int64_t n_a, int64_t hits_b, int64_t n_b);

// How much more frequent a value is in a group than in the rest:
// (hits_a / n_a) / (hits_b / n_b), with add-one smoothing on the rest so a
// value never seen there has a finite lift rather than infinity.
double Lift(int64_t hits_a, int64_t n_a, int64_t hits_b, int64_t n_b);

// A uniform sample of at most `capacity` items of a stream (Vitter's
// algorithm R) with a fixed seed, so reports are reproducible.
template <typename T>
class Reservoir {
 public:
  explicit Reservoir(size_t capacity, uint64_t seed = 0x9e3779b97f4a7c15ull)
      : capacity_(capacity), state_(seed | 1) {}

  // Whether the next item of the stream is to be kept; when it is, the slot
  // to store it in is *slot (items_.size() for a new slot).
  bool Admit(size_t* slot) {
    ++seen_;
    if (items_.size() < capacity_) {
      *slot = items_.size();
      return true;
    }
    if (capacity_ == 0) return false;
    uint64_t r = Next() % seen_;
    if (r >= capacity_) return false;
    *slot = static_cast<size_t>(r);
    return true;
  }
  void Put(size_t slot, T item) {
    if (slot == items_.size()) {
      items_.push_back(std::move(item));
    } else {
      items_[slot] = std::move(item);
    }
  }
  // Puts the kept items in random order (Fisher-Yates): algorithm R leaves
  // them mostly in stream order, so without this a prefix (the first n read
  // in full) would be the earliest items, not a uniform sample of them.
  void Shuffle() {
    for (size_t i = items_.size(); i > 1; --i) {
      std::swap(items_[i - 1], items_[static_cast<size_t>(Next() % i)]);
    }
  }
  const std::vector<T>& items() const { return items_; }
  std::vector<T>& items() { return items_; }
  int64_t seen() const { return static_cast<int64_t>(seen_); }

 private:
  uint64_t Next() {  // xorshift64*
    state_ ^= state_ >> 12;
    state_ ^= state_ << 25;
    state_ ^= state_ >> 27;
    return state_ * 0x2545f4914f6cdd1dull;
  }
  size_t capacity_;
  uint64_t state_;
  uint64_t seen_ = 0;
  std::vector<T> items_;
};

// Counts of one bucket of a time series of requests.
struct RateBucket {
  int64_t total = 0;
  int64_t bad = 0;
};

// The index of the first bucket from which the bad share stays elevated: the
// first bucket whose share exceeds the midpoint between `baseline_share` and
// the share after it, and after which three of the next four buckets and half
// of all remaining buckets (with data) do too. Buckets with fewer than `min_total` requests are
// skipped. nullopt when no bucket qualifies.
std::optional<size_t> FindOnset(const std::vector<RateBucket>& buckets, double baseline_share,
                                int64_t min_total);

}  // namespace quartet::incident

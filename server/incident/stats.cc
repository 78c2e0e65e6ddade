#include "server/incident/stats.h"

#include <algorithm>
#include <cmath>

namespace quartet::incident {

double Quantile(const std::vector<double>& sorted, double q) {
  if (sorted.empty()) return 0;
  q = std::clamp(q, 0.0, 1.0);
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * frac;
}

double TwoProportionZ(int64_t hits_a, int64_t n_a, int64_t hits_b, int64_t n_b) {
  if (n_a <= 0 || n_b <= 0) return 0;
  const double pa = static_cast<double>(hits_a) / static_cast<double>(n_a);
  const double pb = static_cast<double>(hits_b) / static_cast<double>(n_b);
  const double pooled = static_cast<double>(hits_a + hits_b) / static_cast<double>(n_a + n_b);
  if (pooled <= 0 || pooled >= 1) return 0;
  const double se = std::sqrt(pooled * (1 - pooled) *
                              (1.0 / static_cast<double>(n_a) + 1.0 / static_cast<double>(n_b)));
  return (pa - pb) / se;
}

double Lift(int64_t hits_a, int64_t n_a, int64_t hits_b, int64_t n_b) {
  if (n_a <= 0) return 0;
  const double pa = static_cast<double>(hits_a) / static_cast<double>(n_a);
  const double pb = (static_cast<double>(hits_b) + 1) / (static_cast<double>(n_b) + 2);
  return pa / pb;
}

std::optional<size_t> FindOnset(const std::vector<RateBucket>& buckets, double baseline_share,
                                int64_t min_total) {
  auto share = [](const RateBucket& b) {
    return static_cast<double>(b.bad) / static_cast<double>(b.total);
  };
  for (size_t i = 0; i < buckets.size(); ++i) {
    if (buckets[i].total < min_total) continue;
    // The level after the candidate, pooled, so one noisy bucket does not set it.
    RateBucket after;
    for (size_t j = i; j < buckets.size(); ++j) {
      after.total += buckets[j].total;
      after.bad += buckets[j].bad;
    }
    const double level = share(after);
    if (level <= baseline_share) continue;
    const double mid = (baseline_share + level) / 2;
    if (share(buckets[i]) <= mid) continue;
    // Sustained: most of the next few buckets and half of all later ones
    // stay above the midpoint (a single noisy bucket is not an onset).
    int with_data = 0, elevated = 0, near = 0, near_elevated = 0;
    for (size_t j = i; j < buckets.size(); ++j) {
      if (buckets[j].total < min_total) continue;
      const bool up = share(buckets[j]) > mid;
      ++with_data;
      elevated += up;
      if (near < 4) ++near, near_elevated += up;
    }
    if (2 * elevated >= with_data && 4 * near_elevated >= 3 * near) return i;
  }
  return std::nullopt;
}

}  // namespace quartet::incident

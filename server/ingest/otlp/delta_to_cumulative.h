// DeltaToCumulative: running totals that turn OTLP delta-temporality sums and
// histograms into the cumulative series Prometheus stores, as the
// OpenTelemetry Collector's deltatocumulative processor (which Prometheus
// documents for its OTLP receiver) does:
//   - a stream (one output series: metric name + labels, and for histograms
//     the bucket bounds) starts at its first delta; each later delta adds to
//     the total and is written at its own time;
//   - a delta whose time is not after the stream's last one is dropped
//     (out of order or repeated: adding it twice would double count);
//   - a histogram whose bounds change starts over from that delta;
//   - memory is bounded: at most `max_streams` streams, those not updated for
//     `max_idle_ns` are forgotten (the next delta starts over, as after a
//     restart of the sender); a new stream over the limit is refused.
// Thread-safety: all methods are thread-safe (one mutex; the work under it
// is a hash lookup and a few additions).
#pragma once

#include <cstddef>
#include <cstdint>
#include <mutex>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

namespace quartet::ingest {

struct DeltaToCumulativeOptions {
  size_t max_streams = 100'000;
  int64_t max_idle_ns = 10LL * 60 * 1'000'000'000;  // 10 minutes
};

struct DeltaToCumulativeStats {
  int64_t streams = 0;
  int64_t out_of_order = 0;  // deltas dropped: not after the stream's last
  int64_t over_limit = 0;    // deltas of new streams refused at max_streams
  int64_t evicted = 0;       // streams forgotten after max_idle_ns
};

class DeltaToCumulative {
 public:
  enum class Verdict { kOk, kOutOfOrder, kOverLimit };

  explicit DeltaToCumulative(DeltaToCumulativeOptions options = {});

  // Adds a sum's delta `*value` at `time_ns` to the stream `key` and sets
  // `*value` to the running total. `now_ns` (monotonic) drives eviction.
  Verdict AddSum(const std::string& key, uint64_t time_ns, double* value, int64_t now_ns);

  // The same for a histogram: `bucket_counts`, `count` and `sum` are the
  // delta in, the running totals out. `bounds` identify the buckets.
  Verdict AddHistogram(const std::string& key, uint64_t time_ns, std::span<const double> bounds,
                       std::vector<uint64_t>* bucket_counts, uint64_t* count, double* sum,
                       int64_t now_ns);

  // Forgets `key` (a staleness marker ends the stream).
  void Forget(const std::string& key);

  DeltaToCumulativeStats stats() const;

 private:
  struct Stream {
    uint64_t last_time_ns = 0;
    int64_t last_seen_ns = 0;
    double total = 0;
    std::vector<double> bounds;
    std::vector<uint64_t> buckets;
    uint64_t count = 0;
  };

  // The stream of `key`, created when new; null over the limit.
  Stream* Find(const std::string& key, int64_t now_ns, bool* created);
  void EvictIdle(int64_t now_ns);

  const DeltaToCumulativeOptions options_;
  mutable std::mutex mu_;
  std::unordered_map<std::string, Stream> streams_;          // GUARDED_BY(mu_)
  int64_t next_sweep_ns_ = 0;                                // GUARDED_BY(mu_)
  int64_t out_of_order_ = 0, over_limit_ = 0, evicted_ = 0;  // GUARDED_BY(mu_)
};

}  // namespace quartet::ingest

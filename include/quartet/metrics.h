// Metrics: counters, gauges and histograms with exemplars, exposed in the
// Prometheus text 0.0.4 and OpenMetrics 1.0 formats.
//
//   auto& m = quartet::Metrics();
//   static auto requests = m.Counter("http_server_requests_total", "Requests served.",
//                                    {"method", "route", "status"});
//   static auto latency = m.Histogram("http_server_request_duration_seconds",
//                                     "Request latency.", {"route"});
//   quartet::Counter ok = requests.WithLabels({"GET", "/orders/:id", "200"});  // keep it
//   ok.Inc();                                             // hot path: no lookup, no lock
//   latency.WithLabels({"/orders/:id"}).Observe(0.042);   // exemplar if a sampled span is current
//
// Handles (Counter, Gauge, Histogram) and families are small values: copy them
// freely; they stay valid as long as their registry (the global one lives
// forever). Invalid registrations never throw: they return a no-op handle and
// the problem is printed once on stderr and kept in RegistrationErrors().
//
// Counters and histograms are written to per-thread cells (each thread writes
// only its own memory, a scrape sums across threads and the totals of exited
// threads), so increments from many threads do not contend. Gauges are one
// shared atomic (Set needs a single value).
//
// Exemplars: an Inc/Observe made while a *sampled* span is current on the
// calling thread (see trace.h's Scope) records {trace_id, span_id, value,
// time} for that counter series or histogram bucket; the latest one wins.
// When no span is current it costs one thread-local read.
//
// Thread-safety: everything here is thread-safe and noexcept.
#pragma once

#include <atomic>
#include <bit>
#include <concepts>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace quartet {

namespace context_internal {
struct Frame;
const Frame* Current() noexcept;  // sdk/context/current.h
}  // namespace context_internal

namespace metrics_internal {

// Per-thread cells: a series owns a few consecutive "slots"; each thread has
// its own 8-byte cell per slot, allocated in chunks on first touch.
inline constexpr uint32_t kChunkBits = 12;
inline constexpr uint32_t kChunkSize = 1u << kChunkBits;
inline constexpr uint32_t kMaxChunks = 1024;  // 4M slots in all
inline constexpr uint32_t kNoSlot = 0xffffffffu;
using Cell = std::atomic<uint64_t>;

struct ThreadCells {
  std::atomic<Cell*> chunks[kMaxChunks] = {};
};

// initial-exec + constinit: the hot path reads it with one %fs-relative load,
// no TLS wrapper call.
extern constinit thread_local ThreadCells* tls_cells __attribute__((tls_model("initial-exec")));

// The calling thread's cell for `slot` when it already exists, else null.
inline Cell* FastCell(uint32_t slot) noexcept {
  ThreadCells* t = tls_cells;
  if (t == nullptr) [[unlikely]]
    return nullptr;
  Cell* chunk = t->chunks[slot >> kChunkBits].load(std::memory_order_relaxed);
  if (chunk == nullptr) [[unlikely]]
    return nullptr;
  return chunk + (slot & (kChunkSize - 1));
}

// Only this thread writes its cells, so load+store (no locked RMW) is exact.
inline void AddTo(Cell* c, uint64_t n) noexcept {
  c->store(c->load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
}
inline void AddTo(Cell* c, double v) noexcept {
  double sum = std::bit_cast<double>(c->load(std::memory_order_relaxed)) + v;
  c->store(std::bit_cast<uint64_t>(sum), std::memory_order_relaxed);
}

struct CounterSeries;
struct GaugeSeries;
struct HistogramSeries;
struct FamilyImpl;

// Slow paths, out of line: first touch of a chunk by a thread, and exemplars.
void CounterAddSlow(uint32_t slot, uint64_t n, double v) noexcept;
void HistogramObserveSlow(uint32_t slot, uint32_t num_bounds, uint32_t bucket, double v) noexcept;
void CounterExemplar(CounterSeries* series, double v, const context_internal::Frame* f) noexcept;
void HistogramExemplar(HistogramSeries* series, uint32_t bucket, double v,
                       const context_internal::Frame* f) noexcept;
double ReadCounter(const CounterSeries* series) noexcept;
void GaugeAdd(GaugeSeries* series, double v) noexcept;
void GaugeSet(GaugeSeries* series, double v) noexcept;
double GaugeRead(const GaugeSeries* series) noexcept;
struct HistogramSnapshot;
struct RegistryAccess;  // sdk/metrics/collect.h: the SDK's exporters read the registry

}  // namespace metrics_internal

class MetricRegistry;

// A monotonic counter series. Default-constructed or from a failed
// registration: a no-op. Negative, NaN and infinite increments are ignored.
class Counter {
 public:
  Counter() = default;

  void Inc() noexcept { AddInt(1); }
  template <std::integral T>
  void Add(T n) noexcept {
    if (n > 0) AddInt(static_cast<uint64_t>(n));
  }
  void Add(double v) noexcept;
  // The current total across threads; takes a lock (for tests and tools).
  double Value() const noexcept;
  bool valid() const noexcept { return series_ != nullptr; }

 private:
  friend class MetricRegistry;
  friend class CounterFamily;
  Counter(uint32_t slot, metrics_internal::CounterSeries* series) : slot_(slot), series_(series) {}

  void AddInt(uint64_t n) noexcept {
    if (series_ == nullptr) return;
    // Layout: slot = integer increments, slot + 1 = float increments.
    if (metrics_internal::Cell* c = metrics_internal::FastCell(slot_)) [[likely]] {
      metrics_internal::AddTo(c, n);
    } else {
      metrics_internal::CounterAddSlow(slot_, n, 0);
    }
    if (const auto* f = context_internal::Current(); f != nullptr) [[unlikely]] {
      metrics_internal::CounterExemplar(series_, static_cast<double>(n), f);
    }
  }

  uint32_t slot_ = metrics_internal::kNoSlot;
  metrics_internal::CounterSeries* series_ = nullptr;
};

// A gauge series: a value that goes up and down. No-op when invalid.
class Gauge {
 public:
  Gauge() = default;

  void Set(double v) noexcept {
    if (series_ != nullptr) metrics_internal::GaugeSet(series_, v);
  }
  void Add(double v) noexcept {
    if (series_ != nullptr) metrics_internal::GaugeAdd(series_, v);
  }
  void Sub(double v) noexcept { Add(-v); }
  void Inc() noexcept { Add(1); }
  void Dec() noexcept { Add(-1); }
  double Value() const noexcept {
    return series_ != nullptr ? metrics_internal::GaugeRead(series_) : 0;
  }
  bool valid() const noexcept { return series_ != nullptr; }

 private:
  friend class MetricRegistry;
  friend class GaugeFamily;
  explicit Gauge(metrics_internal::GaugeSeries* series) : series_(series) {}
  metrics_internal::GaugeSeries* series_ = nullptr;
};

// A histogram series with explicit bucket bounds; a value v lands in the
// first bucket whose bound b satisfies v <= b (Prometheus' `le`). NaN lands
// in +Inf. No-op when invalid.
class Histogram {
 public:
  Histogram() = default;

  void Observe(double v) noexcept {
    if (series_ == nullptr) return;
    uint32_t i = 0;
    if (num_bounds_ <= 16) {
      while (i < num_bounds_ && !(v <= bounds_[i])) ++i;
    } else {
      // First bound >= v; NaN compares false everywhere and lands in +Inf.
      uint32_t hi = num_bounds_;
      while (i < hi) {
        uint32_t mid = i + (hi - i) / 2;
        if (v <= bounds_[mid]) {
          hi = mid;
        } else {
          i = mid + 1;
        }
      }
    }
    // Layout: slot + i = bucket i (bucket num_bounds is +Inf), then the sum.
    if (metrics_internal::Cell* c = metrics_internal::FastCell(slot_)) [[likely]] {
      metrics_internal::AddTo(c + i, uint64_t{1});
      metrics_internal::AddTo(c + num_bounds_ + 1, v);
    } else {
      metrics_internal::HistogramObserveSlow(slot_, num_bounds_, i, v);
    }
    if (const auto* f = context_internal::Current(); f != nullptr) [[unlikely]] {
      metrics_internal::HistogramExemplar(series_, i, v, f);
    }
  }
  // Total observations and their sum across threads; takes a lock.
  uint64_t Count() const noexcept;
  double Sum() const noexcept;
  bool valid() const noexcept { return series_ != nullptr; }

 private:
  friend class MetricRegistry;
  friend class HistogramFamily;
  explicit Histogram(metrics_internal::HistogramSeries* series);

  uint32_t slot_ = metrics_internal::kNoSlot;
  uint32_t num_bounds_ = 0;  // finite bounds; +Inf is implicit
  const double* bounds_ = nullptr;
  metrics_internal::HistogramSeries* series_ = nullptr;
};

// Families: one metric name with label names; WithLabels binds values (in
// label-name order) to a series handle, creating it on first use. It takes a
// lock and a hash lookup: call it once and keep the handle on hot paths.
// A wrong number of values or the family's series limit gives a no-op handle.
class CounterFamily {
 public:
  CounterFamily() = default;
  Counter WithLabels(std::initializer_list<std::string_view> values) const noexcept {
    return WithLabels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Counter WithLabels(std::span<const std::string_view> values) const noexcept;
  bool valid() const noexcept { return impl_ != nullptr; }

 private:
  friend class MetricRegistry;
  explicit CounterFamily(metrics_internal::FamilyImpl* impl) : impl_(impl) {}
  metrics_internal::FamilyImpl* impl_ = nullptr;
};

class GaugeFamily {
 public:
  GaugeFamily() = default;
  Gauge WithLabels(std::initializer_list<std::string_view> values) const noexcept {
    return WithLabels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Gauge WithLabels(std::span<const std::string_view> values) const noexcept;
  bool valid() const noexcept { return impl_ != nullptr; }

 private:
  friend class MetricRegistry;
  explicit GaugeFamily(metrics_internal::FamilyImpl* impl) : impl_(impl) {}
  metrics_internal::FamilyImpl* impl_ = nullptr;
};

class HistogramFamily {
 public:
  HistogramFamily() = default;
  Histogram WithLabels(std::initializer_list<std::string_view> values) const noexcept {
    return WithLabels(std::span<const std::string_view>(values.begin(), values.size()));
  }
  Histogram WithLabels(std::span<const std::string_view> values) const noexcept;
  bool valid() const noexcept { return impl_ != nullptr; }

 private:
  friend class MetricRegistry;
  explicit HistogramFamily(metrics_internal::FamilyImpl* impl) : impl_(impl) {}
  metrics_internal::FamilyImpl* impl_ = nullptr;
};

// Prometheus client defaults, suited to request durations in seconds.
std::vector<double> DefaultBuckets();  // 0.005 .. 10

enum class MetricsFormat { kText004, kOpenMetrics1 };

// Content negotiation for a scrape: OpenMetrics when the Accept header prefers
// application/openmetrics-text (as Prometheus >= 2.5 sends it), else 0.0.4.
MetricsFormat ChooseMetricsFormat(std::string_view accept_header) noexcept;
// "text/plain; version=0.0.4; charset=utf-8" or
// "application/openmetrics-text; version=1.0.0; charset=utf-8".
std::string_view MetricsContentType(MetricsFormat format) noexcept;

struct MetricRegistryOptions {
  // process_* metrics from /proc and quartet_sdk_build_info, at scrape time.
  bool runtime_metrics = false;
  // Series per family beyond which WithLabels returns a no-op handle (and
  // reports once): a guard against unbounded label values.
  size_t max_series_per_family = 10000;
  // Print each distinct registration error once on stderr.
  bool report_errors = true;
};

// A set of metric families and the code that renders them.
//
// Naming (Prometheus rules): metric names match [a-zA-Z_:][a-zA-Z0-9_:]*,
// label names [a-zA-Z_][a-zA-Z0-9_]*; names starting with "__" are reserved;
// "le" is reserved on histograms. A counter name may end in "_total" (it is
// written with exactly one "_total" either way). Registering the same name
// again with the same type, help, labels and buckets returns the same family;
// anything else under an existing name is an error.
class MetricRegistry {
 public:
  explicit MetricRegistry(MetricRegistryOptions options = {}) noexcept;
  ~MetricRegistry();
  MetricRegistry(const MetricRegistry&) = delete;
  MetricRegistry& operator=(const MetricRegistry&) = delete;

  ::quartet::Counter Counter(std::string_view name, std::string_view help) noexcept;
  CounterFamily Counter(std::string_view name, std::string_view help,
                        const std::vector<std::string>& label_names) noexcept;
  ::quartet::Gauge Gauge(std::string_view name, std::string_view help) noexcept;
  GaugeFamily Gauge(std::string_view name, std::string_view help,
                    const std::vector<std::string>& label_names) noexcept;
  // Buckets: strictly increasing finite bounds (a trailing +Inf is accepted and
  // dropped; it is always implied). Empty means DefaultBuckets().
  ::quartet::Histogram Histogram(std::string_view name, std::string_view help) noexcept;
  HistogramFamily Histogram(std::string_view name, std::string_view help,
                            const std::vector<std::string>& label_names,
                            const std::vector<double>& buckets = {}) noexcept;

  // Values read at scrape time, e.g. a component's atomic drop counter. The
  // callback runs on the scraping thread, must be quick and thread-safe, and
  // must stay callable until RemoveCallback(id) returns. Returns 0 when the
  // registration is invalid.
  uint64_t CallbackGauge(std::string_view name, std::string_view help,
                         std::function<double()> read) noexcept;
  uint64_t CallbackCounter(std::string_view name, std::string_view help,
                           std::function<double()> read) noexcept;
  void RemoveCallback(uint64_t id) noexcept;

  // Resource attributes, exposed on the `target_info` info metric with names
  // sanitised to label names ("service.name" -> service_name). Replaces any
  // previous set; an empty set removes target_info.
  void SetResource(const std::vector<std::pair<std::string, std::string>>& attributes) noexcept;

  // The whole registry in `format`; families sorted by name.
  std::string Render(MetricsFormat format) const noexcept;

  // Every registration problem so far, oldest first.
  std::vector<std::string> RegistrationErrors() const noexcept;

  struct Impl;

 private:
  friend struct metrics_internal::RegistryAccess;
  std::unique_ptr<Impl> impl_;
};

// The process-wide registry, with runtime metrics on. Usable before Init
// (Init adds the resource and serves it on the admin endpoint); never
// destroyed, so handles from it stay valid until exit.
MetricRegistry& Metrics() noexcept;

// What the admin server answers on GET /metrics: the global registry rendered
// in the format the Accept header asks for. The server gzips if it wants.
struct MetricsResponse {
  std::string content_type;
  std::string body;
};
MetricsResponse ServeMetrics(std::string_view accept_header) noexcept;

}  // namespace quartet

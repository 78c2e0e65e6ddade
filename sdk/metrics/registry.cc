#include <algorithm>
#include <cmath>
#include <cstdio>

#include "sdk/metrics/cells.h"
#include "sdk/metrics/registry_impl.h"
#include "sdk/metrics/validation.h"

namespace quartet {

using metrics_internal::CellKind;
using metrics_internal::CounterSeries;
using metrics_internal::FamilyImpl;
using metrics_internal::GaugeSeries;
using metrics_internal::HistogramSeries;
using metrics_internal::Kind;

namespace metrics_internal {

void ReportError(MetricRegistry::Impl* registry, std::string message) noexcept {
  try {
    std::lock_guard<std::mutex> lock(registry->mu);
    if (!registry->reported.insert(message).second) return;
    if (registry->options.report_errors) {
      std::fprintf(stderr, "quartet metrics: %s\n", message.c_str());
    }
    registry->errors.push_back(std::move(message));
  } catch (...) {
    // Out of memory while reporting: nothing better to do.
  }
}

void CounterAddSlow(uint32_t slot, uint64_t n, double v) noexcept {
  if (Cell* c = TouchCell(slot)) {
    if (n != 0) AddTo(c, n);
    if (v != 0) AddTo(c + 1, v);
    return;
  }
  if (n != 0) AddRetired(slot, n);
  if (v != 0) AddRetired(slot + 1, v);
}

void HistogramObserveSlow(uint32_t slot, uint32_t num_bounds, uint32_t bucket, double v) noexcept {
  if (Cell* c = TouchCell(slot)) {
    AddTo(c + bucket, uint64_t{1});
    AddTo(c + num_bounds + 1, v);
    return;
  }
  AddRetired(slot + bucket, uint64_t{1});
  AddRetired(slot + num_bounds + 1, v);
}

void CounterExemplar(CounterSeries* series, double v, const context_internal::Frame* f) noexcept {
  series->exemplar.RecordFromFrame(f, v);
}

void HistogramExemplar(HistogramSeries* series, uint32_t bucket, double v,
                       const context_internal::Frame* f) noexcept {
  series->exemplars[bucket].RecordFromFrame(f, v);
}

double ReadCounter(const CounterSeries* series) noexcept {
  CellReader reader;
  return static_cast<double>(reader.U64(series->slot)) + reader.F64(series->slot + 1);
}

void GaugeSet(GaugeSeries* series, double v) noexcept {
  series->bits.store(std::bit_cast<uint64_t>(v), std::memory_order_relaxed);
}

void GaugeAdd(GaugeSeries* series, double v) noexcept {
  uint64_t old = series->bits.load(std::memory_order_relaxed);
  while (!series->bits.compare_exchange_weak(
      old, std::bit_cast<uint64_t>(std::bit_cast<double>(old) + v), std::memory_order_relaxed)) {
  }
}

double GaugeRead(const GaugeSeries* series) noexcept {
  return std::bit_cast<double>(series->bits.load(std::memory_order_relaxed));
}

namespace {

// Appends the length-prefixed values: distinct value lists give distinct keys.
void BuildKey(std::span<const std::string_view> values, std::string* key) {
  key->clear();
  for (std::string_view v : values) {
    uint32_t n = static_cast<uint32_t>(v.size());
    key->append(reinterpret_cast<const char*>(&n), sizeof(n));
    key->append(v);
  }
}

// Finds or creates the series for `values`; null (after reporting) when the
// values are unusable or the family is full.
void* FindOrCreate(FamilyImpl* f, std::span<const std::string_view> values) noexcept {
  if (f == nullptr) return nullptr;
  if (values.size() != f->label_names.size()) {
    ReportError(f->registry, "metric \"" + f->name + "\": WithLabels got " +
                                 std::to_string(values.size()) + " values for " +
                                 std::to_string(f->label_names.size()) + " label names");
    return nullptr;
  }
  try {
    thread_local std::string key;  // reused: a hit allocates nothing
    BuildKey(values, &key);
    std::unique_lock<std::mutex> lock(f->mu);
    if (auto it = f->index.find(key); it != f->index.end()) return it->second;

    for (std::string_view v : values) {
      if (!IsValidUtf8(v)) {
        lock.unlock();
        ReportError(f->registry, "metric \"" + f->name + "\": label value is not valid UTF-8");
        return nullptr;
      }
    }
    if (f->index.size() >= f->max_series) {
      bool first = !f->reported_limit;
      f->reported_limit = true;
      lock.unlock();
      if (first) {
        ReportError(f->registry, "metric \"" + f->name + "\": more than " +
                                     std::to_string(f->max_series) +
                                     " series; new label values get a no-op handle");
      }
      return nullptr;
    }
    std::vector<std::string> owned(values.begin(), values.end());
    void* created = nullptr;
    switch (f->kind) {
      case Kind::kCounter: {
        CellKind kinds[] = {CellKind::kU64, CellKind::kF64};
        uint32_t slot = AllocateSlots(kinds);
        if (slot == kNoSlot) break;
        auto s = std::make_unique<CounterSeries>();
        s->label_values = std::move(owned);
        s->slot = slot;
        created = s.get();
        f->counters.push_back(std::move(s));
        break;
      }
      case Kind::kGauge: {
        auto s = std::make_unique<GaugeSeries>();
        s->label_values = std::move(owned);
        created = s.get();
        f->gauges.push_back(std::move(s));
        break;
      }
      case Kind::kHistogram: {
        uint32_t n = static_cast<uint32_t>(f->bounds.size());
        std::vector<CellKind> kinds(n + 1, CellKind::kU64);
        kinds.push_back(CellKind::kF64);
        uint32_t slot = AllocateSlots(kinds);
        if (slot == kNoSlot) break;
        auto s = std::make_unique<HistogramSeries>();
        s->label_values = std::move(owned);
        s->slot = slot;
        s->num_bounds = n;
        s->bounds = f->bounds.data();
        s->exemplars = std::make_unique<ExemplarSlot[]>(n + 1);
        created = s.get();
        f->histograms.push_back(std::move(s));
        break;
      }
    }
    if (created == nullptr) {
      lock.unlock();
      ReportError(f->registry, "metric \"" + f->name + "\": out of metric slots");
      return nullptr;
    }
    f->index.emplace(key, created);
    return created;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace
}  // namespace metrics_internal

// ---- Handles -------------------------------------------------------------

void Counter::Add(double v) noexcept {
  if (series_ == nullptr || !(v > 0) || std::isinf(v)) return;
  if (metrics_internal::Cell* c = metrics_internal::FastCell(slot_)) {
    metrics_internal::AddTo(c + 1, v);
  } else {
    metrics_internal::CounterAddSlow(slot_, 0, v);
  }
  if (const auto* f = context_internal::Current(); f != nullptr) {
    metrics_internal::CounterExemplar(series_, v, f);
  }
}

double Counter::Value() const noexcept {
  return series_ != nullptr ? metrics_internal::ReadCounter(series_) : 0;
}

Histogram::Histogram(metrics_internal::HistogramSeries* series)
    : slot_(series->slot),
      num_bounds_(series->num_bounds),
      bounds_(series->bounds),
      series_(series) {}

uint64_t Histogram::Count() const noexcept {
  if (series_ == nullptr) return 0;
  metrics_internal::CellReader reader;
  uint64_t n = 0;
  for (uint32_t i = 0; i <= num_bounds_; ++i) n += reader.U64(slot_ + i);
  return n;
}

double Histogram::Sum() const noexcept {
  if (series_ == nullptr) return 0;
  metrics_internal::CellReader reader;
  return reader.F64(slot_ + num_bounds_ + 1);
}

Counter CounterFamily::WithLabels(std::span<const std::string_view> values) const noexcept {
  auto* s = static_cast<CounterSeries*>(metrics_internal::FindOrCreate(impl_, values));
  return s == nullptr ? Counter() : Counter(s->slot, s);
}

Gauge GaugeFamily::WithLabels(std::span<const std::string_view> values) const noexcept {
  auto* s = static_cast<GaugeSeries*>(metrics_internal::FindOrCreate(impl_, values));
  return s == nullptr ? Gauge() : Gauge(s);
}

Histogram HistogramFamily::WithLabels(std::span<const std::string_view> values) const noexcept {
  auto* s = static_cast<HistogramSeries*>(metrics_internal::FindOrCreate(impl_, values));
  return s == nullptr ? Histogram() : Histogram(s);
}

std::vector<double> DefaultBuckets() {
  return {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10};
}

// ---- Registration ----------------------------------------------------------

namespace {

// The series names a family of `kind` and base name writes.
std::vector<std::string> SampleNames(Kind kind, const std::string& base) {
  switch (kind) {
    case Kind::kCounter:
      return {base + "_total"};
    case Kind::kGauge:
      return {base};
    case Kind::kHistogram:
      return {base + "_bucket", base + "_sum", base + "_count"};
  }
  return {};
}

std::string_view KindName(Kind kind) {
  switch (kind) {
    case Kind::kCounter:
      return "counter";
    case Kind::kGauge:
      return "gauge";
    case Kind::kHistogram:
      return "histogram";
  }
  return "?";
}

}  // namespace

namespace metrics_internal {

// Validates and registers; null after reporting when invalid. A second
// registration with an identical description returns the first family.
FamilyImpl* RegisterFamily(MetricRegistry::Impl* r, Kind kind, std::string_view name,
                           std::string_view help, const std::vector<std::string>& labels,
                           const std::vector<double>* buckets) noexcept {
  try {
    std::string where = std::string(KindName(kind)) + " \"" + std::string(name) + "\": ";
    if (Status st = ValidateMetricName(name); !st.ok()) {
      ReportError(r, std::string(st.message()));
      return nullptr;
    }
    if (!IsValidUtf8(help)) {
      ReportError(r, where + "help is not valid UTF-8");
      return nullptr;
    }
    for (size_t i = 0; i < labels.size(); ++i) {
      if (Status st = ValidateLabelName(labels[i], kind == Kind::kHistogram); !st.ok()) {
        ReportError(r, where + std::string(st.message()));
        return nullptr;
      }
      for (size_t j = 0; j < i; ++j) {
        if (labels[j] == labels[i]) {
          ReportError(r, where + "label name \"" + labels[i] + "\" appears twice");
          return nullptr;
        }
      }
    }
    std::vector<double> bounds;
    if (kind == Kind::kHistogram) {
      bounds = (buckets == nullptr || buckets->empty()) ? DefaultBuckets() : *buckets;
      if (!bounds.empty() && std::isinf(bounds.back()) && bounds.back() > 0) bounds.pop_back();
      for (size_t i = 0; i < bounds.size(); ++i) {
        if (!std::isfinite(bounds[i])) {
          ReportError(r, where + "bucket bounds must be finite (+Inf is implied)");
          return nullptr;
        }
        if (i > 0 && !(bounds[i] > bounds[i - 1])) {
          ReportError(r, where + "bucket bounds must be strictly increasing");
          return nullptr;
        }
      }
      if (bounds.size() + 2 > kChunkSize) {
        ReportError(r, where + "too many buckets");
        return nullptr;
      }
    }
    std::string base(name);
    if (kind == Kind::kCounter && base.ends_with("_total")) base.resize(base.size() - 6);
    if (base.empty()) {
      ReportError(r, where + "name is only the \"_total\" suffix");
      return nullptr;
    }

    std::unique_lock<std::mutex> lock(r->mu);
    if (auto it = r->families.find(base); it != r->families.end()) {
      FamilyImpl* f = it->second.get();
      if (f->kind == kind && f->help == help && f->label_names == labels && f->bounds == bounds) {
        return f;
      }
      lock.unlock();
      ReportError(r, where + "already registered with a different type, help, labels or buckets");
      return nullptr;
    }
    std::vector<std::string> samples = SampleNames(kind, base);
    samples.push_back(base);
    for (const std::string& s : samples) {
      if (r->sample_names.count(s) != 0) {
        lock.unlock();
        ReportError(r, where + "series name \"" + s + "\" clashes with another metric");
        return nullptr;
      }
    }
    auto f = std::make_unique<FamilyImpl>();
    f->registry = r;
    f->kind = kind;
    f->name = base;
    f->help = std::string(help);
    f->label_names = labels;
    f->bounds = std::move(bounds);
    f->max_series = labels.empty() ? 1 : r->options.max_series_per_family;
    for (std::string& s : samples) r->sample_names.insert(std::move(s));
    FamilyImpl* raw = f.get();
    r->families.emplace(base, std::move(f));
    return raw;
  } catch (...) {
    return nullptr;
  }
}

}  // namespace metrics_internal

MetricRegistry::MetricRegistry(MetricRegistryOptions options) noexcept : impl_(new Impl) {
  impl_->options = options;
  if (options.runtime_metrics) {
    // Names render.cc writes itself; user metrics must not take them.
    for (const char* n : {"process_cpu_seconds_total", "process_resident_memory_bytes",
                          "process_virtual_memory_bytes", "process_virtual_memory_max_bytes",
                          "process_open_fds", "process_max_fds", "process_start_time_seconds",
                          "quartet_process_threads", "quartet_sdk_build_info"}) {
      impl_->sample_names.insert(n);
    }
  }
  impl_->sample_names.insert("target_info");
}

MetricRegistry::~MetricRegistry() = default;

::quartet::Counter MetricRegistry::Counter(std::string_view name, std::string_view help) noexcept {
  return Counter(name, help, {}).WithLabels({});
}

CounterFamily MetricRegistry::Counter(std::string_view name, std::string_view help,
                                      const std::vector<std::string>& label_names) noexcept {
  return CounterFamily(metrics_internal::RegisterFamily(impl_.get(), Kind::kCounter, name, help,
                                                        label_names, nullptr));
}

::quartet::Gauge MetricRegistry::Gauge(std::string_view name, std::string_view help) noexcept {
  return Gauge(name, help, {}).WithLabels({});
}

GaugeFamily MetricRegistry::Gauge(std::string_view name, std::string_view help,
                                  const std::vector<std::string>& label_names) noexcept {
  return GaugeFamily(metrics_internal::RegisterFamily(impl_.get(), Kind::kGauge, name, help,
                                                      label_names, nullptr));
}

::quartet::Histogram MetricRegistry::Histogram(std::string_view name,
                                               std::string_view help) noexcept {
  return Histogram(name, help, {}, {}).WithLabels({});
}

HistogramFamily MetricRegistry::Histogram(std::string_view name, std::string_view help,
                                          const std::vector<std::string>& label_names,
                                          const std::vector<double>& buckets) noexcept {
  return HistogramFamily(metrics_internal::RegisterFamily(impl_.get(), Kind::kHistogram, name, help,
                                                          label_names, &buckets));
}

std::vector<std::string> MetricRegistry::RegistrationErrors() const noexcept {
  try {
    std::lock_guard<std::mutex> lock(impl_->mu);
    return impl_->errors;
  } catch (...) {
    return {};
  }
}

}  // namespace quartet

// Exposition: turns the registry's families, callbacks, runtime metrics and
// resource into wire/prometheus families and text. Also the global registry
// and the /metrics entry point for the admin server.
#include <algorithm>
#include <cmath>

#include "sdk/metrics/cells.h"
#include "sdk/metrics/collect.h"
#include "sdk/metrics/process_metrics.h"
#include "sdk/metrics/registry_impl.h"
#include "sdk/metrics/validation.h"
#include "wire/prometheus/content_type.h"
#include "wire/prometheus/text_format.h"

namespace quartet {

namespace {

constexpr const char* kSdkVersion = "0.1.0";

using metrics_internal::CellReader;
using metrics_internal::ExemplarValue;
using metrics_internal::FamilyImpl;
using metrics_internal::Kind;

std::vector<prometheus::Label> Labels(const FamilyImpl& f, const std::vector<std::string>& values) {
  std::vector<prometheus::Label> out;
  out.reserve(values.size());
  for (size_t i = 0; i < values.size(); ++i) out.push_back({f.label_names[i], values[i]});
  return out;
}

std::optional<prometheus::Exemplar> ToExemplar(const metrics_internal::ExemplarSlot& slot) {
  ExemplarValue v;
  if (!slot.Read(&v)) return std::nullopt;
  prometheus::Exemplar e;
  e.labels = {{"trace_id", v.trace_id.ToHex()}, {"span_id", v.span_id.ToHex()}};
  e.value = v.value;
  e.unix_nanos = v.unix_nanos;
  return e;
}

template <typename SeriesPtr>
std::vector<SeriesPtr> SortedSeries(
    const std::vector<std::unique_ptr<std::remove_pointer_t<SeriesPtr>>>& all) {
  std::vector<SeriesPtr> out;
  out.reserve(all.size());
  for (const auto& s : all) out.push_back(s.get());
  std::sort(out.begin(), out.end(),
            [](SeriesPtr a, SeriesPtr b) { return a->label_values < b->label_values; });
  return out;
}

// A series whose value lives in the per-thread cells, read in a second pass.
struct PendingRead {
  size_t family;
  size_t point;
  const metrics_internal::CounterSeries* counter = nullptr;
  const metrics_internal::HistogramSeries* histogram = nullptr;
};

// Copies the family's description and label sets (under its lock; the cell
// store's lock must not be held here: WithLabels takes family -> store).
prometheus::Family Describe(const FamilyImpl& f, size_t index, std::vector<PendingRead>* pending) {
  prometheus::Family out;
  out.name = f.name;
  out.help = f.help;
  std::lock_guard<std::mutex> lock(f.mu);
  switch (f.kind) {
    case Kind::kCounter:
      out.type = prometheus::MetricType::kCounter;
      for (auto* s : SortedSeries<metrics_internal::CounterSeries*>(f.counters)) {
        pending->push_back({index, out.points.size(), s, nullptr});
        out.points.push_back({});
        out.points.back().labels = Labels(f, s->label_values);
        out.points.back().exemplar = ToExemplar(s->exemplar);
      }
      break;
    case Kind::kGauge:
      out.type = prometheus::MetricType::kGauge;
      for (auto* s : SortedSeries<metrics_internal::GaugeSeries*>(f.gauges)) {
        out.points.push_back({});
        out.points.back().labels = Labels(f, s->label_values);
        out.points.back().value = metrics_internal::GaugeRead(s);
      }
      break;
    case Kind::kHistogram:
      out.type = prometheus::MetricType::kHistogram;
      for (auto* s : SortedSeries<metrics_internal::HistogramSeries*>(f.histograms)) {
        pending->push_back({index, out.points.size(), nullptr, s});
        out.points.push_back({});
        out.points.back().labels = Labels(f, s->label_values);
      }
      break;
  }
  return out;
}

void ReadValue(const PendingRead& r, const CellReader& reader, prometheus::Point* p) {
  if (r.counter != nullptr) {
    p->value = static_cast<double>(reader.U64(r.counter->slot)) + reader.F64(r.counter->slot + 1);
    return;
  }
  const metrics_internal::HistogramSeries* s = r.histogram;
  uint64_t cumulative = 0;
  p->buckets.reserve(s->num_bounds + 1);
  for (uint32_t i = 0; i <= s->num_bounds; ++i) {
    cumulative += reader.U64(s->slot + i);
    double le = i < s->num_bounds ? s->bounds[i] : HUGE_VAL;
    p->buckets.push_back({le, cumulative, std::nullopt});
  }
  // _count is the bucket total, so +Inf == _count in every scrape.
  p->count = cumulative;
  p->sum = reader.F64(s->slot + s->num_bounds + 1);
}

}  // namespace

std::vector<prometheus::Family> metrics_internal::RegistryAccess::Collect(
    const MetricRegistry& registry) {
  const std::unique_ptr<MetricRegistry::Impl>& impl_ = registry.impl_;
  {
    std::vector<const FamilyImpl*> families;
    std::vector<std::pair<std::string, std::string>> resource;
    {
      std::lock_guard<std::mutex> lock(impl_->mu);
      for (const auto& [name, f] : impl_->families) families.push_back(f.get());
      resource = impl_->resource;
    }
    std::vector<prometheus::Family> out;
    std::vector<PendingRead> pending;
    for (const FamilyImpl* f : families) out.push_back(Describe(*f, out.size(), &pending));
    {
      CellReader reader;  // one pass over the per-thread cells, under one lock
      for (const PendingRead& r : pending) ReadValue(r, reader, &out[r.family].points[r.point]);
    }
    // Exemplar slots are seqlocks of their own: read outside the cell lock.
    for (const PendingRead& r : pending) {
      if (r.histogram == nullptr) continue;
      auto& buckets = out[r.family].points[r.point].buckets;
      for (size_t i = 0; i < buckets.size(); ++i) {
        buckets[i].exemplar = ToExemplar(r.histogram->exemplars[i]);
      }
    }
    {
      std::lock_guard<std::mutex> lock(impl_->callback_mu);
      for (const auto& [id, cb] : impl_->callbacks) {
        double v;
        try {
          v = cb.read();
        } catch (...) {
          continue;  // a throwing callback loses its sample, not the scrape
        }
        prometheus::Family f;
        f.name = cb.name;
        f.help = cb.help;
        f.type = cb.counter ? prometheus::MetricType::kCounter : prometheus::MetricType::kGauge;
        prometheus::Point p;
        p.value = v;
        f.points.push_back(std::move(p));
        out.push_back(std::move(f));
      }
    }
    if (impl_->options.runtime_metrics) {
      metrics_internal::AppendProcessFamilies(&out);
      prometheus::Family build{"quartet_sdk_build_info",
                               "The quartet SDK in this process.",
                               prometheus::MetricType::kGauge,
                               {}};
      prometheus::Point p;
      p.labels = {{"language", "cpp"}, {"version", kSdkVersion}};
      p.value = 1;
      build.points.push_back(std::move(p));
      out.push_back(std::move(build));
    }
    if (!resource.empty()) {
      prometheus::Family info{"target", "Target metadata.", prometheus::MetricType::kInfo, {}};
      prometheus::Point p;
      for (auto& [k, v] : resource) p.labels.push_back({k, v});
      info.points.push_back(std::move(p));
      out.push_back(std::move(info));
    }
    std::stable_sort(
        out.begin(), out.end(),
        [](const prometheus::Family& a, const prometheus::Family& b) { return a.name < b.name; });
    return out;
  }
}

std::string MetricRegistry::Render(MetricsFormat format) const noexcept {
  try {
    std::vector<prometheus::Family> out = metrics_internal::RegistryAccess::Collect(*this);
    return format == MetricsFormat::kOpenMetrics1 ? prometheus::WriteOpenMetrics(out)
                                                  : prometheus::WriteText004(out);
  } catch (...) {
    return format == MetricsFormat::kOpenMetrics1 ? "# EOF\n" : "";
  }
}

void MetricRegistry::SetResource(
    const std::vector<std::pair<std::string, std::string>>& attributes) noexcept {
  try {
    // Keys that sanitise to the same label name are joined with ';', as
    // Prometheus' OTLP translation does.
    std::map<std::string, std::string> merged;
    for (const auto& [key, value] : attributes) {
      if (!metrics_internal::IsValidUtf8(value)) {
        metrics_internal::ReportError(impl_.get(),
                                      "resource attribute \"" + key + "\": value is not UTF-8");
        continue;
      }
      std::string name = metrics_internal::SanitizeLabelName(key);
      auto [it, inserted] = merged.emplace(name, value);
      if (!inserted) it->second += ";" + value;
    }
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->resource.assign(merged.begin(), merged.end());
  } catch (...) {
  }
}

namespace {

uint64_t AddCallback(MetricRegistry::Impl* r, bool counter, std::string_view name,
                     std::string_view help, std::function<double()> read) noexcept {
  try {
    std::string kind = counter ? "callback counter" : "callback gauge";
    if (!read) {
      metrics_internal::ReportError(r, kind + " \"" + std::string(name) + "\": no function");
      return 0;
    }
    if (Status st = metrics_internal::ValidateMetricName(name); !st.ok()) {
      metrics_internal::ReportError(r, kind + ": " + std::string(st.message()));
      return 0;
    }
    std::string base(name);
    if (counter && base.ends_with("_total")) base.resize(base.size() - 6);
    std::string sample = counter ? base + "_total" : base;
    bool clash = false;
    {
      std::lock_guard<std::mutex> lock(r->mu);
      clash = r->families.count(base) != 0 || r->sample_names.count(sample) != 0 ||
              r->sample_names.count(base) != 0;
      if (!clash) {
        r->sample_names.insert(sample);
        r->sample_names.insert(base);
      }
    }
    if (!clash) {
      // Not nested in mu: Render runs callbacks under callback_mu, and a
      // callback may register metrics.
      std::lock_guard<std::mutex> cb_lock(r->callback_mu);
      uint64_t id = r->next_callback_id++;
      r->callbacks.emplace(
          id, MetricRegistry::Impl::Callback{base, std::string(help), counter, std::move(read)});
      return id;
    }
    metrics_internal::ReportError(
        r, kind + " \"" + std::string(name) + "\": name clashes with another metric");
    return 0;
  } catch (...) {
    return 0;
  }
}

}  // namespace

uint64_t MetricRegistry::CallbackGauge(std::string_view name, std::string_view help,
                                       std::function<double()> read) noexcept {
  return AddCallback(impl_.get(), false, name, help, std::move(read));
}

uint64_t MetricRegistry::CallbackCounter(std::string_view name, std::string_view help,
                                         std::function<double()> read) noexcept {
  return AddCallback(impl_.get(), true, name, help, std::move(read));
}

void MetricRegistry::RemoveCallback(uint64_t id) noexcept {
  try {
    std::string base, sample;
    {
      std::lock_guard<std::mutex> cb_lock(impl_->callback_mu);
      auto it = impl_->callbacks.find(id);
      if (it == impl_->callbacks.end()) return;
      base = it->second.name;
      sample = it->second.counter ? base + "_total" : base;
      impl_->callbacks.erase(it);
    }
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->sample_names.erase(base);
    impl_->sample_names.erase(sample);
  } catch (...) {
  }
}

MetricsFormat ChooseMetricsFormat(std::string_view accept_header) noexcept {
  return prometheus::ChooseFormat(accept_header) == prometheus::Format::kOpenMetrics1
             ? MetricsFormat::kOpenMetrics1
             : MetricsFormat::kText004;
}

std::string_view MetricsContentType(MetricsFormat format) noexcept {
  return prometheus::ContentType(format == MetricsFormat::kOpenMetrics1
                                     ? prometheus::Format::kOpenMetrics1
                                     : prometheus::Format::kText004);
}

MetricRegistry& Metrics() noexcept {
  // Leaked on purpose: handles and other threads may use it during exit.
  static MetricRegistry* registry =
      new MetricRegistry(MetricRegistryOptions{.runtime_metrics = true});
  return *registry;
}

MetricsResponse ServeMetrics(std::string_view accept_header) noexcept {
  MetricsFormat format = ChooseMetricsFormat(accept_header);
  MetricsResponse response;
  try {
    response.content_type = std::string(MetricsContentType(format));
    response.body = Metrics().Render(format);
  } catch (...) {
  }
  return response;
}

}  // namespace quartet

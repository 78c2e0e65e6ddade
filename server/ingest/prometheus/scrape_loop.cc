#include "server/ingest/prometheus/scrape_loop.h"

#include <algorithm>
#include <cstring>
#include <utility>

#include "server/ingest/prometheus/scrape_relabel.h"
#include "wire/prometheus/exposition_parser.h"

namespace quartet::ingest {
namespace {

constexpr const char* kReportNames[] = {"up", "scrape_duration_seconds", "scrape_samples_scraped",
                                        "scrape_samples_post_metric_relabeling",
                                        "scrape_series_added"};

bool Has(const store::Labels& labels, std::string_view name) {
  return !GetLabel(labels, name).empty();
}

std::string Truncated(std::string_view s) { return std::string(s.substr(0, 50)); }

// Prometheus's verifyLabelLimits, in its words.
Status CheckLabelLimits(const store::Labels& labels, const server::ScrapeConfig& c) {
  const std::string metric = Truncated(GetLabel(labels, "__name__"));
  if (c.label_limit > 0 && labels.size() > c.label_limit) {
    return Status::InvalidArgument("label_limit exceeded (metric: " + metric +
                                   ", number of labels: " + std::to_string(labels.size()) +
                                   ", limit: " + std::to_string(c.label_limit) + ")");
  }
  for (const auto& [name, value] : labels) {
    if (c.label_name_length_limit > 0 && name.size() > c.label_name_length_limit) {
      return Status::InvalidArgument("label_name_length_limit exceeded (metric: " + metric +
                                     ", label name: " + Truncated(name) +
                                     ", length: " + std::to_string(name.size()) +
                                     ", limit: " + std::to_string(c.label_name_length_limit) + ")");
    }
    if (c.label_value_length_limit > 0 && value.size() > c.label_value_length_limit) {
      return Status::InvalidArgument(
          "label_value_length_limit exceeded (metric: " + metric +
          ", label name: " + Truncated(name) + ", value: \"" + Truncated(value) +
          "\", length: " + std::to_string(value.size()) +
          ", limit: " + std::to_string(c.label_value_length_limit) + ")");
    }
  }
  return Status::Ok();
}

}  // namespace

double StaleNaN() {
  double d;
  std::memcpy(&d, &kStaleNaNBits, sizeof d);
  return d;
}

bool IsStaleNaN(double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  return bits == kStaleNaNBits;
}

std::string SeriesKey(const store::Labels& labels) {
  std::string key;
  for (const auto& [name, value] : labels) {
    key += name;
    key += '\xff';
    key += value;
    key += '\xff';
  }
  return key;
}

ScrapeLoop::ScrapeLoop(const server::ScrapeConfig* config, ScrapeTarget target)
    : config_(config), target_(std::move(target)) {}

void ScrapeLoop::MergeTargetLabels(store::Labels* labels) const {
  const store::Labels& target = target_.labels;
  if (config_->honor_labels) {
    for (const auto& [name, value] : target) {
      if (!Has(*labels, name)) SetLabel(labels, name, value);
    }
    return;
  }
  const store::Labels exposed = *labels;
  store::Labels conflicting;  // exposed labels the target overrides, renamed below
  for (const auto& [name, value] : target) {
    if (std::string_view v = GetLabel(exposed, name); !v.empty()) {
      conflicting.emplace_back(name, std::string(v));
    }
    SetLabel(labels, name, value);
  }
  if (conflicting.empty()) return;
  // Prometheus's resolveConflictingExposedLabels: shortest names first, each
  // prefixed with exported_ until the name is free.
  std::stable_sort(conflicting.begin(), conflicting.end(),
                   [](const auto& a, const auto& b) { return a.first.size() < b.first.size(); });
  for (size_t i = 0; i < conflicting.size(); ++i) {
    std::string name = conflicting[i].first;
    while (true) {
      name = "exported_" + name;
      const bool taken_earlier =
          std::any_of(conflicting.begin(), conflicting.begin() + static_cast<ptrdiff_t>(i),
                      [&](const auto& l) { return l.first == name; });
      if (!Has(exposed, name) && !Has(target, name) && !taken_earlier) break;
    }
    conflicting[i].first = name;
  }
  for (const auto& [name, value] : conflicting) SetLabel(labels, name, value);
}

Status ScrapeLoop::AppendBody(int64_t start_ms, std::string_view body,
                              std::string_view content_type, store::MetricBatch* batch,
                              ScrapeReport* report, SeriesMap* seen,
                              std::map<std::string, store::MetricMetadata>* metadata) {
  prometheus::ExpositionParser parser(body, prometheus::FormatForScrapeContentType(content_type));
  prometheus::ExpositionEntry e;
  Status limit_error;
  while (parser.Next(&e)) {
    if (e.kind != prometheus::EntryKind::kSample) {
      store::MetricMetadata& m = (*metadata)[std::string(e.name)];
      m.family = e.name;
      if (e.kind == prometheus::EntryKind::kHelp) m.help = e.text;
      if (e.kind == prometheus::EntryKind::kUnit) m.unit = e.text;
      if (e.kind == prometheus::EntryKind::kType) m.type = static_cast<store::MetricType>(e.type);
      continue;
    }
    ++report->samples_scraped;
    store::Labels labels;
    labels.reserve(e.labels.size() + target_.labels.size() + 1);
    labels.emplace_back("__name__", std::string(e.name));
    for (const prometheus::LabelRef& l : e.labels) {
      if (!l.value.empty()) labels.emplace_back(std::string(l.name), std::string(l.value));
    }
    std::sort(labels.begin(), labels.end());
    for (size_t i = 1; i < labels.size(); ++i) {
      if (labels[i].first == labels[i - 1].first) {
        return Status::InvalidArgument("label name \"" + labels[i].first +
                                       "\" is not unique: invalid sample");
      }
    }
    MergeTargetLabels(&labels);
    if (!Relabel(config_->metric_relabel_configs, &labels)) continue;
    if (!Has(labels, "__name__"))
      return Status::InvalidArgument("missing metric name (__name__ label)");
    ++report->samples_post_relabel;
    RETURN_IF_ERROR(CheckLabelLimits(labels, *config_));
    if (config_->sample_limit > 0 &&
        static_cast<uint64_t>(report->samples_post_relabel) > config_->sample_limit) {
      // Keep counting, as Prometheus reports how many there were.
      limit_error = Status::InvalidArgument("sample limit exceeded");
    }
    if (!limit_error.ok()) continue;

    const bool own_timestamp = config_->honor_timestamps && e.has_timestamp;
    const int64_t t = own_timestamp ? e.timestamp_ms : start_ms;
    std::string key = SeriesKey(labels);
    auto [it, inserted] = seen->try_emplace(std::move(key));
    store::SeriesSamples* series;
    if (inserted) {
      it->second.track_staleness = !own_timestamp;
      it->second.index = batch->series.size();
      if (!last_series_.contains(it->first)) ++report->series_added;
      series = &batch->series.emplace_back();
      series->labels = labels;
      it->second.labels = std::move(labels);
    } else {
      // The same series twice in one body: Prometheus keeps the first
      // sample for a timestamp; a later timestamp is a new sample.
      series = &batch->series[it->second.index];
      if (series->samples.back().t_ms >= t) continue;
    }
    series->samples.push_back({.t_ms = t, .v = e.value});
    if (e.has_exemplar) {
      store::Exemplar& x = series->exemplars.emplace_back();
      for (const prometheus::LabelRef& l : e.exemplar_labels) {
        x.labels.emplace_back(std::string(l.name), std::string(l.value));
      }
      std::sort(x.labels.begin(), x.labels.end());
      x.value = e.exemplar_value;
      x.t_ms = e.exemplar_has_timestamp ? e.exemplar_timestamp_ms : t;
      ++report->exemplars;
    }
  }
  RETURN_IF_ERROR(parser.status());
  return limit_error;
}

void ScrapeLoop::AppendStale(int64_t t_ms, const SeriesMap& current, store::MetricBatch* batch,
                             ScrapeReport* report) const {
  for (const auto& [key, state] : last_series_) {
    if (!state.track_staleness || current.contains(key)) continue;
    batch->series.push_back({.labels = state.labels, .samples = {{t_ms, StaleNaN()}}});
    ++report->stale_markers;
  }
}

void ScrapeLoop::AppendReport(int64_t t_ms, const ScrapeReport& r,
                              store::MetricBatch* batch) const {
  const double values[] = {
      r.up ? 1.0 : 0.0, r.duration_seconds, static_cast<double>(r.samples_scraped),
      static_cast<double>(r.samples_post_relabel), static_cast<double>(r.series_added)};
  for (size_t i = 0; i < std::size(kReportNames); ++i) {
    store::SeriesSamples& s = batch->series.emplace_back();
    s.labels = target_.labels;
    SetLabel(&s.labels, "__name__", kReportNames[i]);
    s.samples.push_back({t_ms, values[i]});
  }
}

store::MetricBatch ScrapeLoop::Scrape(int64_t start_ms, double duration_seconds,
                                      std::string_view body, std::string_view content_type,
                                      const Status& fetch_error, ScrapeReport* report) {
  *report = ScrapeReport{};
  report->duration_seconds = duration_seconds;
  store::MetricBatch batch;
  SeriesMap seen;
  std::map<std::string, store::MetricMetadata> metadata;
  Status status = fetch_error;
  if (status.ok()) {
    status = AppendBody(start_ms, body, content_type, &batch, report, &seen, &metadata);
  }
  report->up = status.ok();
  if (!status.ok()) {
    // Nothing of a failed scrape is written; its series all go stale.
    report->error = status;
    batch.series.clear();
    report->exemplars = 0;
    seen.clear();
  } else {
    for (auto& [family, m] : metadata) {
      auto it = last_metadata_.find(family);
      if (it == last_metadata_.end() || it->second.type != m.type || it->second.help != m.help ||
          it->second.unit != m.unit) {
        batch.metadata.push_back(m);
      }
    }
    last_metadata_ = std::move(metadata);
  }
  AppendStale(start_ms, seen, &batch, report);
  last_series_ = std::move(seen);
  AppendReport(start_ms, *report, &batch);
  return batch;
}

store::MetricBatch ScrapeLoop::StaleBatch(int64_t t_ms) {
  store::MetricBatch batch;
  ScrapeReport ignored;
  AppendStale(t_ms, {}, &batch, &ignored);
  for (const char* name : kReportNames) {
    store::SeriesSamples& s = batch.series.emplace_back();
    s.labels = target_.labels;
    SetLabel(&s.labels, "__name__", name);
    s.samples.push_back({t_ms, StaleNaN()});
  }
  last_series_.clear();
  return batch;
}

}  // namespace quartet::ingest

#include "sdk/metrics/otlp_metric_exporter.h"

#include <cmath>

#include "base/clock.h"
#include "base/hex.h"
#include "sdk/metrics/collect.h"
#include "wire/otlp/encode.h"

namespace quartet {
namespace {

using prometheus::Family;
using prometheus::MetricType;

// Owns what the views of one point point at.
struct PointViews {
  std::vector<otlp::KeyValueView> attributes;
  std::vector<otlp::ExemplarView> exemplars;
  std::vector<std::vector<otlp::KeyValueView>> exemplar_attributes;
  std::vector<uint64_t> bucket_counts;
  std::vector<double> bounds;
};

void AddLabels(const std::vector<prometheus::Label>& labels, std::vector<otlp::KeyValueView>* out) {
  for (const auto& l : labels) out->push_back({l.name, otlp::AnyValueView::String(l.value)});
}

// trace_id/span_id labels become the exemplar's ids; the rest stay attributes.
void AddExemplar(const prometheus::Exemplar& e, PointViews* views) {
  otlp::ExemplarView x;
  x.time_unix_nano = static_cast<uint64_t>(e.unix_nanos);
  x.as_double = e.value;
  auto& attrs = views->exemplar_attributes.emplace_back();
  for (const auto& l : e.labels) {
    if (l.name == "trace_id" && HexDecode(l.value, x.trace_id.bytes.data(), 16)) continue;
    if (l.name == "span_id" && HexDecode(l.value, x.span_id.bytes.data(), 8)) continue;
    attrs.push_back({l.name, otlp::AnyValueView::String(l.value)});
  }
  views->exemplars.push_back(x);
}

void FixExemplarAttributes(PointViews* views) {
  // The vectors stopped moving: now the spans may point into them.
  for (size_t i = 0; i < views->exemplars.size(); ++i)
    views->exemplars[i].filtered_attributes = views->exemplar_attributes[i];
}

}  // namespace

OtlpMetricExporter::OtlpMetricExporter(OtlpMetricExporterOptions options)
    : options_(std::move(options)),
      transport_(MakeTransport()),
      start_unix_nanos_(static_cast<uint64_t>(UnixNanos())) {
  if (options_.registry == nullptr) options_.registry = &Metrics();
  thread_ = std::thread([this] { Loop(); });
}

OtlpMetricExporter::~OtlpMetricExporter() { Shutdown(std::chrono::milliseconds(0)); }

std::unique_ptr<exporter::Transport> OtlpMetricExporter::MakeTransport() const {
  if (options_.transport) return options_.transport(options_.retry);
  return std::make_unique<exporter::Sender>(
      options_.retry, exporter::HttpClient::Options{.ca_file = options_.endpoint.ca_file});
}

std::string OtlpMetricExporter::Encode() {
  const std::vector<otlp::KeyValueView> resource = otlp::ScalarViews(options_.resource);
  otlp::MetricRequestBuilder builder(resource, "quartet", QUARTET_VERSION_STRING);
  const uint64_t now = static_cast<uint64_t>(UnixNanos());
  for (const Family& family : metrics_internal::RegistryAccess::Collect(*options_.registry)) {
    otlp::MetricView metric{.name = family.name, .description = family.help};
    switch (family.type) {
      case MetricType::kInfo:
        continue;  // target_info: the resource says it
      case MetricType::kCounter:
        metric.type = otlp::Metric::Type::kSum;
        metric.is_monotonic = true;
        break;
      case MetricType::kHistogram:
        metric.type = otlp::Metric::Type::kHistogram;
        break;
      case MetricType::kGauge:
      case MetricType::kUnknown:
        metric.type = otlp::Metric::Type::kGauge;
        break;
    }
    if (!builder.BeginMetric(metric)) continue;
    for (const prometheus::Point& p : family.points) {
      PointViews v;
      AddLabels(p.labels, &v.attributes);
      if (family.type == MetricType::kHistogram) {
        uint64_t below = 0;
        for (const prometheus::Bucket& b : p.buckets) {
          if (std::isfinite(b.upper_bound)) v.bounds.push_back(b.upper_bound);
          v.bucket_counts.push_back(b.cumulative_count - below);  // OTLP counts per bucket
          below = b.cumulative_count;
          if (b.exemplar) AddExemplar(*b.exemplar, &v);
        }
        FixExemplarAttributes(&v);
        otlp::HistogramPointView point{.attributes = v.attributes,
                                       .start_time_unix_nano = start_unix_nanos_,
                                       .time_unix_nano = now,
                                       .count = p.count,
                                       .sum = p.sum,
                                       .bucket_counts = v.bucket_counts,
                                       .explicit_bounds = v.bounds,
                                       .exemplars = v.exemplars};
        builder.AddHistogramPoint(point);
      } else {
        if (p.exemplar) AddExemplar(*p.exemplar, &v);
        FixExemplarAttributes(&v);
        otlp::NumberPointView point{.attributes = v.attributes,
                                    .start_time_unix_nano = start_unix_nanos_,
                                    .time_unix_nano = now,
                                    .as_double = p.value,
                                    .exemplars = v.exemplars};
        builder.AddNumberPoint(point);
      }
    }
    builder.EndMetric();
  }
  return builder.Finish();
}

bool OtlpMetricExporter::Push(exporter::Transport& transport,
                              std::chrono::steady_clock::time_point deadline) {
  exporter::ExportRequest request = exporter::OtlpProtobufRequest(options_.endpoint);
  try {
    request.body = Encode();
  } catch (...) {  // out of memory: skip this round
    failures_.fetch_add(1, std::memory_order_relaxed);
    return false;
  }
  bool ok = transport.Send(request, deadline).result == exporter::ExportResult::kSuccess;
  (ok ? exports_ : failures_).fetch_add(1, std::memory_order_relaxed);
  return ok;
}

void OtlpMetricExporter::Loop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!cv_.wait_for(lock, options_.interval, [&] { return stopping_; })) {
    lock.unlock();
    Push(*transport_,
         std::chrono::steady_clock::now() + std::min(options_.endpoint.timeout, options_.interval));
    lock.lock();
  }
}

bool OtlpMetricExporter::Shutdown(std::chrono::milliseconds timeout) noexcept {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return true;
    stopping_ = true;
  }
  transport_->Cancel();  // a periodic push still retrying gives way to the final one
  cv_.notify_all();
  thread_.join();
  // The periodic transport is cancelled for good; the final push gets its own.
  if (timeout.count() <= 0) return false;
  std::unique_ptr<exporter::Transport> final_transport = MakeTransport();
  return Push(*final_transport, std::chrono::steady_clock::now() + timeout);
}

}  // namespace quartet

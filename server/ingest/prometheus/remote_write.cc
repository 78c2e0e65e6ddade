#include "server/ingest/prometheus/remote_write.h"

#include <string>
#include <utility>

#include "wire/prometheus/remote_write_body.h"

namespace quartet::ingest {

using server::HttpRequest;
using server::HttpResponse;

namespace {

store::Labels ToLabels(std::vector<prometheus::Label> labels) {
  store::Labels out;
  out.reserve(labels.size());
  for (prometheus::Label& l : labels) out.emplace_back(std::move(l.name), std::move(l.value));
  return out;
}

}  // namespace

store::MetricBatch MetricBatchFromWriteRequest(prometheus::rw::WriteRequest request) {
  store::MetricBatch batch;
  batch.series.reserve(request.timeseries.size());
  for (prometheus::rw::TimeSeries& ts : request.timeseries) {
    if (ts.samples.empty() && ts.exemplars.empty()) continue;
    store::SeriesSamples& series = batch.series.emplace_back();
    series.labels = ToLabels(std::move(ts.labels));  // validated and sorted by the decoder
    series.samples.reserve(ts.samples.size());
    for (const prometheus::rw::Sample& s : ts.samples) {
      series.samples.push_back({.t_ms = s.timestamp_ms, .v = s.value});
    }
    // Freed as we go: holding both forms of a 10,000-series request at once
    // doubled its transient heap, which the allocator keeps as RSS.
    std::vector<prometheus::Label>().swap(ts.labels);
    std::vector<prometheus::rw::Sample>().swap(ts.samples);
    for (prometheus::rw::Exemplar& e : ts.exemplars) {
      store::Labels labels = ToLabels(std::move(e.labels));
      std::sort(labels.begin(), labels.end());
      series.exemplars.push_back({std::move(labels), e.value, e.timestamp_ms});
    }
  }
  for (prometheus::rw::Metadata& m : request.metadata) {
    // The proto's MetricType numbers are the store's MetricType values.
    const auto type = static_cast<int32_t>(m.type);
    batch.metadata.push_back(store::MetricMetadata{
        .family = std::move(m.metric_family_name),
        .type = type >= 0 && type <= store::kMaxMetricType ? static_cast<store::MetricType>(type)
                                                           : store::MetricType::kUnknown,
        .help = std::move(m.help),
        .unit = std::move(m.unit)});
  }
  return batch;
}

RemoteWriteIngest::RemoteWriteIngest(store::MetricStore* metrics, size_t max_body_bytes,
                                     int retry_after_seconds)
    : metrics_(metrics),
      max_body_bytes_(max_body_bytes),
      retry_after_seconds_(retry_after_seconds) {}

void RemoteWriteIngest::Register(server::Router* router) {
  router->Handle("POST", "/api/v1/write", [this](const HttpRequest& r) { return Write(r); });
}

HttpResponse RemoteWriteIngest::Write(const HttpRequest& request) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  Result<prometheus::rw::WriteRequest> decoded = prometheus::rw::DecodeRemoteWriteBody(
      request.Header("content-type"), request.Header("content-encoding"), request.body,
      max_body_bytes_);
  if (!decoded.ok()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    int status = 400;
    if (decoded.status().code() == StatusCode::kFailedPrecondition) status = 415;
    if (decoded.status().code() == StatusCode::kResourceExhausted) status = 413;
    return HttpResponse::Text(status, std::string(decoded.status().message()) + "\n");
  }
  native_histograms_.fetch_add(static_cast<int64_t>(decoded->native_histograms),
                               std::memory_order_relaxed);
  Result<store::MetricAppendResult> appended =
      metrics_->Append(MetricBatchFromWriteRequest(std::move(*decoded)));
  if (!appended.ok()) {
    if (appended.status().code() == StatusCode::kInvalidArgument) {
      bad_requests_.fetch_add(1, std::memory_order_relaxed);
      return HttpResponse::Text(400, std::string(appended.status().message()) + "\n");
    }
    pushed_back_.fetch_add(1, std::memory_order_relaxed);
    const bool busy = appended.status().code() == StatusCode::kResourceExhausted;
    HttpResponse response =
        HttpResponse::Text(busy ? 429 : 503, std::string(appended.status().message()) + "\n");
    response.headers.emplace_back("Retry-After", std::to_string(retry_after_seconds_));
    return response;
  }
  samples_accepted_.fetch_add(appended->accepted_samples, std::memory_order_relaxed);
  exemplars_accepted_.fetch_add(appended->accepted_exemplars, std::memory_order_relaxed);
  samples_rejected_.fetch_add(appended->rejected_samples(), std::memory_order_relaxed);
  // Prometheus answers a request with refused samples 400 (the others are
  // stored): the sender drops the batch instead of retrying it forever.
  if (!appended->error.ok()) {
    return HttpResponse::Text(400, std::string(appended->error.message()) + "\n");
  }
  return HttpResponse{.status = 204};
}

RemoteWriteStats RemoteWriteIngest::stats() const {
  return RemoteWriteStats{.requests = requests_.load(),
                          .samples_accepted = samples_accepted_.load(),
                          .exemplars_accepted = exemplars_accepted_.load(),
                          .samples_rejected = samples_rejected_.load(),
                          .native_histograms_dropped = native_histograms_.load(),
                          .bad_requests = bad_requests_.load(),
                          .pushed_back = pushed_back_.load()};
}

}  // namespace quartet::ingest

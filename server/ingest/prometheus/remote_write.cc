#include "server/ingest/prometheus/remote_write.h"

#include <algorithm>
#include <span>
#include <string>
#include <utility>

#include "wire/compress/snappy.h"
#include "wire/prometheus/remote_write_body.h"
#include "wire/prometheus/remote_write_view_decode.h"

namespace quartet::ingest {

using server::HttpRequest;
using server::HttpResponse;

namespace {

store::Labels ToLabels(std::span<const prometheus::rw::LabelView> labels) {
  store::Labels out;
  out.reserve(labels.size());
  for (const prometheus::rw::LabelView& l : labels) out.emplace_back(l.name, l.value);
  return out;
}

store::MetricMetadata ToMetadata(const prometheus::rw::MetadataView& m) {
  // The proto's MetricType numbers are the store's MetricType values.
  const auto type = static_cast<int32_t>(m.type);
  return store::MetricMetadata{.family = std::string(m.metric_family_name),
                               .type = type >= 0 && type <= store::kMaxMetricType
                                           ? static_cast<store::MetricType>(type)
                                           : store::MetricType::kUnknown,
                               .help = std::string(m.help),
                               .unit = std::string(m.unit)};
}

}  // namespace

RemoteWriteIngest::RemoteWriteIngest(store::MetricStore* metrics, size_t max_body_bytes,
                                     int retry_after_seconds)
    : metrics_(metrics),
      max_body_bytes_(max_body_bytes),
      retry_after_seconds_(retry_after_seconds) {}

Result<store::MetricAppendResult> RemoteWriteIngest::AppendRefs(const RequestView& request) {
  // Flat arrays over the whole request: the store borrows the label bytes
  // from the request body and copies those of new series only.
  std::vector<store::Sample> samples;
  samples.reserve(request.samples.size());
  for (const prometheus::rw::Sample& s : request.samples) {
    samples.push_back({.t_ms = s.timestamp_ms, .v = s.value});
  }
  std::vector<store::Exemplar> exemplars;
  exemplars.reserve(request.exemplars.size());
  std::vector<store::SeriesSamplesRef> series;
  series.reserve(request.series.size());
  for (const prometheus::rw::SeriesView& ts : request.series) {
    if (ts.samples_begin == ts.samples_end && ts.exemplars_begin == ts.exemplars_end) continue;
    const size_t first_exemplar = exemplars.size();
    for (const prometheus::rw::ExemplarView& e : request.ExemplarsOf(ts)) {
      store::Labels l = ToLabels(request.LabelsOf(e));
      std::sort(l.begin(), l.end());
      exemplars.push_back({std::move(l), e.value, e.timestamp_ms});
    }
    series.push_back(store::SeriesSamplesRef{
        .labels = request.LabelsOf(ts),
        .samples = std::span(samples).subspan(ts.samples_begin, ts.samples_end - ts.samples_begin),
        .exemplars = std::span(exemplars).subspan(first_exemplar)});
  }
  // `exemplars` was reserved whole: the spans into it stay valid.
  std::vector<store::MetricMetadata> metadata;
  metadata.reserve(request.metadata.size());
  for (const prometheus::rw::MetadataView& m : request.metadata) metadata.push_back(ToMetadata(m));
  return metrics_->AppendRefs(series, metadata);
}

void RemoteWriteIngest::Register(server::Router* router) {
  router->Handle("POST", "/api/v1/write", [this](const HttpRequest& r) { return Write(r); });
}

HttpResponse RemoteWriteIngest::Write(const HttpRequest& request) {
  requests_.fetch_add(1, std::memory_order_relaxed);
  // The decoded request points into `raw`.
  Result<std::string> raw = std::string();
  RequestView decoded;
  Status st = prometheus::rw::CheckRemoteWriteHeaders(request.Header("content-type"),
                                                      request.Header("content-encoding"));
  if (st.ok()) {
    // SnappyDecompress refuses a claimed length over the limit before
    // allocating anything.
    raw = compress::SnappyDecompress(request.body, max_body_bytes_);
    st = raw.ok() ? prometheus::rw::DecodeWriteRequestInto(*raw, &decoded)
                  : raw.status().Annotate("remote_write body");
  }
  if (!st.ok()) {
    bad_requests_.fetch_add(1, std::memory_order_relaxed);
    int status = 400;
    if (st.code() == StatusCode::kFailedPrecondition) status = 415;
    if (st.code() == StatusCode::kResourceExhausted) status = 413;
    return HttpResponse::Text(status, std::string(st.message()) + "\n");
  }
  native_histograms_.fetch_add(static_cast<int64_t>(decoded.native_histograms),
                               std::memory_order_relaxed);
  Result<store::MetricAppendResult> appended = AppendRefs(decoded);
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

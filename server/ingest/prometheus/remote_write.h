// RemoteWriteIngest: Prometheus's remote_write 1.0 receiver (POST
// /api/v1/write), so a Prometheus server, Grafana Agent/Alloy or any
// remote_write client can send samples, metadata and exemplars to quartetd.
// Status codes as Prometheus's own receiver answers them (senders retry only
// 5xx and 429): 204 stored; 400 bad data (the message names the series and
// the problem) or samples the store refused (out of order, too many series);
// 413 body too large; 415 another Content-Type/Encoding or remote_write 2.0;
// 429/503 with Retry-After when the store pushes back.
//
// Thread-safety: handlers may run concurrently; counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"
#include "wire/prometheus/remote_write.h"

namespace quartet::ingest {

struct RemoteWriteStats {
  int64_t requests = 0;
  int64_t samples_accepted = 0;
  int64_t exemplars_accepted = 0;
  int64_t samples_rejected = 0;  // refused by the store (out of order, limits)
  int64_t native_histograms_dropped = 0;
  int64_t bad_requests = 0;
  int64_t pushed_back = 0;
};

class RemoteWriteIngest {
 public:
  // `metrics` must outlive this object.
  RemoteWriteIngest(store::MetricStore* metrics, size_t max_body_bytes,
                    int retry_after_seconds = 1);

  void Register(server::Router* router);
  server::HttpResponse Write(const server::HttpRequest& request);
  RemoteWriteStats stats() const;

 private:
  // The request decoded straight into the store's LabelRef (the store
  // borrows the label bytes from the body and copies those of new series).
  using RequestView = prometheus::rw::BasicWriteRequestView<store::LabelRef>;
  Result<store::MetricAppendResult> AppendRefs(const RequestView& request);

  store::MetricStore* metrics_;
  size_t max_body_bytes_;
  int retry_after_seconds_;
  std::atomic<int64_t> requests_{0}, samples_accepted_{0}, exemplars_accepted_{0},
      samples_rejected_{0}, native_histograms_{0}, bad_requests_{0}, pushed_back_{0};
};

}  // namespace quartet::ingest

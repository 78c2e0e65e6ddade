// LokiPushIngest: Loki's push API (POST /loki/api/v1/push, also the legacy
// /api/prom/push) for clients such as Promtail, Alloy, pino-loki and
// winston-loki: JSON bodies, or protobuf bodies that are snappy-compressed
// whether or not they say so (docs/formats/loki_push.md). Each line is
// linked to its trace (structured metadata trace_id, or the line's own
// trace_id) for the correlation index. Success is 204 as in Loki; bad input
// is a 400 whose text names the problem; store push-back is 429 with
// Retry-After.
//
// Thread-safety: handlers may run concurrently; counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "server/store/interface.h"
#include "wire/loki/push.h"

namespace quartet::ingest {

struct LokiIngestStats {
  int64_t lines_accepted = 0;
  int64_t bad_requests = 0;
  int64_t pushed_back = 0;
};

class LokiPushIngest {
 public:
  // `logs` must outlive this object. `max_body_bytes` bounds the snappy
  // decompressed size.
  LokiPushIngest(store::LogStore* logs, loki::Limits limits, size_t max_body_bytes,
                 int retry_after_seconds = 1);

  void Register(server::Router* router);
  server::HttpResponse Push(const server::HttpRequest& request);
  LokiIngestStats stats() const;

 private:
  store::LogStore* logs_;
  loki::Limits limits_;
  size_t max_body_bytes_;
  int retry_after_seconds_;
  std::atomic<int64_t> lines_accepted_{0}, bad_requests_{0}, pushed_back_{0};
};

// Converts a decoded push into store streams (metadata sorted, trace links
// found).
std::vector<store::LogStream> LogStreamsFromPush(loki::PushRequest push);

}  // namespace quartet::ingest

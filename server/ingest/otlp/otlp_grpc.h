// OtlpGrpcServer: the OTLP/gRPC receiver (default 127.0.0.1:4317) for
// opentelemetry.proto.collector.{trace,logs,metrics}.v1.{TraceService,
// LogsService,MetricsService}/Export. It is a generic gRPC service over raw bytes: the protobuf is
// decoded by wire/otlp like OTLP/HTTP's, through the same OtlpIngest::Export,
// so both transports store and refuse alike. Status codes per the OTLP spec:
// INVALID_ARGUMENT for bad data (not retried), RESOURCE_EXHAUSTED for a
// message too large to decode (no RetryInfo, so not retried), UNAVAILABLE
// when the store pushes back (retried with backoff); a partial success is
// OK with partial_success set. Other methods are UNIMPLEMENTED.
//
// Thread-safety: gRPC runs handlers on its own threads; OtlpIngest is
// thread-safe. Stop() is idempotent.
#pragma once

#include <memory>
#include <string>

#include "base/status.h"
#include "server/ingest/otlp/otlp_ingest.h"

namespace quartet::ingest {

class OtlpGrpcServer {
 public:
  // Listens on `listen` ("host:port"; port 0 picks one). `ingest` must
  // outlive the server. `max_message_bytes` bounds a request.
  static Result<std::unique_ptr<OtlpGrpcServer>> Start(const std::string& listen,
                                                       OtlpIngest* ingest,
                                                       size_t max_message_bytes);
  ~OtlpGrpcServer();

  int port() const;
  // Stops accepting and waits for running calls (up to a second).
  void Stop();

  struct Impl;

 private:
  explicit OtlpGrpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace quartet::ingest

// Transport: how an OTLP exporter hands one encoded export request to the
// network. The exporters (traces, logs, metrics) build the protobuf body and
// call a Transport; which wire carries it is chosen once, in quartet::Init:
// OTLP/HTTP (Sender, sender.h, always built) or OTLP/gRPC (GrpcSender,
// grpc/grpc_sender.h, built with QUARTET_WITH_GRPC). Both follow the same
// OpenTelemetry retry rules (RetryPolicy), never run past the deadline given
// to Send(), and report the outcome in the same shape: on success
// `response.status` is 200 and `response.body` holds the Export*Response
// protobuf (partial_success), read the same way whichever wire carried it.
//
// Thread-safety: Send() is called from one thread at a time (the exporter's);
// Cancel() and stats() may be called from any thread.
#pragma once

#include <chrono>
#include <functional>
#include <memory>

namespace quartet::exporter {

struct ExportRequest;
struct RetryPolicy;
struct SendOutcome;
struct SendStats;

class Transport {
 public:
  virtual ~Transport() = default;

  // Delivers `request` (body uncompressed; compressed here when request.gzip)
  // with retries until `deadline`.
  virtual SendOutcome Send(const ExportRequest& request,
                           std::chrono::steady_clock::time_point deadline) noexcept = 0;

  // Aborts a request in flight and any backoff wait (shutdown). Idempotent;
  // a Send() after Cancel() makes one attempt at most.
  virtual void Cancel() noexcept = 0;

  virtual SendStats stats() const noexcept = 0;
};

// Makes the transport an exporter sends with, given its retry policy. An
// exporter whose factory is empty uses OTLP/HTTP (Sender).
using TransportFactory = std::function<std::unique_ptr<Transport>(const RetryPolicy&)>;

}  // namespace quartet::exporter

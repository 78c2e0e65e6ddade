// GrpcSender: the OTLP/gRPC Transport (built with QUARTET_WITH_GRPC). One
// unary call to <Signal>Service/Export per attempt over a long-lived channel,
// through gRPC's generic API: the body is the protobuf our wire/otlp
// encoders wrote, sent as raw bytes, so neither protoc-generated code nor
// libprotobuf is involved. The retry rules are the OTLP spec's for gRPC (see
// ClassifyGrpcStatus in grpc_endpoint.h) with the same RetryPolicy as the
// HTTP Sender: exponential backoff with jitter, google.rpc.RetryInfo's
// retry_delay when the server sends one, never past the deadline (which is
// also each call's gRPC deadline). Permanent failures are reported through
// the diagnostic hook once per status code. Request headers become call
// metadata (names lowercased, as gRPC requires); gzip uses gRPC message
// compression; http:// endpoints get an insecure channel, https:// TLS with
// the system roots or `ca_file`.
//
// The constructor never blocks or fails: the channel connects lazily, and a
// bad endpoint makes every Send() fail permanently with the reason.
//
// Thread-safety: Send() from one thread at a time; Cancel() (which cancels
// the call in flight with ClientContext::TryCancel) and stats() from any.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <random>
#include <string>

#include "sdk/export/otlp_endpoint.h"
#include "sdk/export/sender.h"
#include "sdk/export/transport.h"

namespace grpc {
class ClientContext;
}  // namespace grpc

namespace quartet::exporter {

struct GrpcSenderOptions {
  std::string url;  // http[s]://host:port (any path is ignored)
  Signal signal = Signal::kTraces;
  std::string ca_file;                   // PEM roots for https; "" = gRPC's default roots
  std::string user_agent;                // "" = quartet-sdk/<version>
  size_t max_response_body = 64 * 1024;  // larger responses fail the call (RESOURCE_EXHAUSTED)
};

class GrpcSender final : public Transport {
 public:
  using Diagnostic = Sender::Diagnostic;

  explicit GrpcSender(GrpcSenderOptions options, RetryPolicy policy = {},
                      Diagnostic diagnostic = nullptr) noexcept;
  ~GrpcSender() override;
  GrpcSender(const GrpcSender&) = delete;
  GrpcSender& operator=(const GrpcSender&) = delete;

  // request.url and content_type are not used: the channel was made from
  // options.url, and the method from options.signal.
  SendOutcome Send(const ExportRequest& request,
                   std::chrono::steady_clock::time_point deadline) noexcept override;
  void Cancel() noexcept override;
  SendStats stats() const noexcept override;

  // The channel target ("host:port"); "" when the URL was rejected.
  const std::string& target() const noexcept;

  struct Channel;  // gRPC objects, kept out of this header

 private:
  struct Attempt {
    int code = 0;  // gRPC status code; 0 = OK
    std::string message;
    std::string details;   // serialized google.rpc.Status, "" when absent
    std::string response;  // the response message on OK
  };
  Attempt Call(const ExportRequest& request, std::chrono::steady_clock::time_point deadline);
  bool WaitUntil(std::chrono::steady_clock::time_point until);
  void ReportPermanent(const Status& error, int code);

  GrpcSenderOptions options_;
  RetryPolicy policy_;
  Diagnostic diagnostic_;
  std::unique_ptr<Channel> channel_;
  Status setup_error_;  // why there is no channel
  std::minstd_rand rng_;
  uint32_t reported_codes_ = 0;  // bit per gRPC code already reported
  bool reported_setup_ = false;
  bool reported_bad_header_ = false;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool cancelled_ = false;                 // guarded by mu_
  grpc::ClientContext* active_ = nullptr;  // guarded by mu_: the call in flight

  SendCounters counters_;
};

}  // namespace quartet::exporter

// Test support: a scripted OTLP/gRPC peer for the exporter's tests. A
// generic callback service on 127.0.0.1:<port 0> that records every call
// (method, body as received — decompressed by gRPC —, client metadata) and
// answers each from a script of replies: a status code with message and
// details, or OK with a response message, optionally after holding the call
// until Release() or a timeout (a slow or hung collector). Once the script
// is used up it answers OK with an empty response.
//
// Thread-safety: gRPC runs the handlers on its threads; every method here
// may be called from any thread.
#pragma once

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace quartet::exporter::testing {

struct ScriptedReply {
  grpc::StatusCode code = grpc::StatusCode::OK;
  std::string message;
  std::string details;                // serialized google.rpc.Status (grpc-status-details-bin)
  std::string response;               // the response message on OK
  std::chrono::milliseconds hold{0};  // answer only after Release() or this long
};

struct RecordedCall {
  std::string method;
  std::string body;
  std::multimap<std::string, std::string> metadata;
  std::chrono::steady_clock::time_point at;
};

class ScriptedGrpcServer {
 public:
  ScriptedGrpcServer();
  ~ScriptedGrpcServer();

  int port() const { return port_; }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }

  void Script(std::vector<ScriptedReply> replies);
  std::vector<RecordedCall> calls() const;
  // Waits until at least `n` calls have arrived, at most `timeout`.
  bool WaitForCalls(size_t n, std::chrono::milliseconds timeout) const;
  // Lets every held call answer now.
  void Release();

 private:
  class Reactor;
  class Service;
  ScriptedReply Next(RecordedCall call);
  void Hold(std::chrono::milliseconds hold);

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  std::deque<ScriptedReply> script_;
  std::vector<RecordedCall> calls_;
  bool released_ = false;

  std::unique_ptr<Service> service_;
  std::unique_ptr<grpc::Server> server_;
  int port_ = 0;
};

}  // namespace quartet::exporter::testing

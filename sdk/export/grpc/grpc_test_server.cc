#include "sdk/export/grpc/grpc_test_server.h"

namespace quartet::exporter::testing {

class ScriptedGrpcServer::Reactor final : public grpc::ServerGenericBidiReactor {
 public:
  Reactor(grpc::GenericCallbackServerContext* context, ScriptedGrpcServer* server)
      : context_(context), server_(server) {
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    RecordedCall call;
    call.method = context_->method();
    call.at = std::chrono::steady_clock::now();
    std::vector<grpc::Slice> slices;
    if (request_.Dump(&slices).ok()) {
      for (const grpc::Slice& s : slices)
        call.body.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    for (const auto& [k, v] : context_->client_metadata()) {
      call.metadata.emplace(std::string(k.data(), k.size()), std::string(v.data(), v.size()));
    }
    ScriptedReply reply = server_->Next(std::move(call));
    // Holding a callback thread is acceptable in a test peer: gRPC has more.
    if (reply.hold.count() > 0) server_->Hold(reply.hold);
    if (reply.code != grpc::StatusCode::OK) {
      Finish(grpc::Status(reply.code, reply.message, reply.details));
      return;
    }
    grpc::Slice slice(reply.response.data(), reply.response.size());
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  grpc::GenericCallbackServerContext* context_;
  ScriptedGrpcServer* server_;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class ScriptedGrpcServer::Service final : public grpc::CallbackGenericService {
 public:
  explicit Service(ScriptedGrpcServer* server) : server_(server) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new Reactor(context, server_);
  }

 private:
  ScriptedGrpcServer* server_;
};

ScriptedGrpcServer::ScriptedGrpcServer() : service_(std::make_unique<Service>(this)) {
  grpc::ServerBuilder builder;
  builder.AddListeningPort("127.0.0.1:0", grpc::InsecureServerCredentials(), &port_);
  builder.RegisterCallbackGenericService(service_.get());
  server_ = builder.BuildAndStart();
}

ScriptedGrpcServer::~ScriptedGrpcServer() {
  Release();
  if (server_) {
    server_->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
    server_->Wait();
  }
}

void ScriptedGrpcServer::Script(std::vector<ScriptedReply> replies) {
  std::lock_guard<std::mutex> lock(mu_);
  script_.assign(replies.begin(), replies.end());
}

std::vector<RecordedCall> ScriptedGrpcServer::calls() const {
  std::lock_guard<std::mutex> lock(mu_);
  return calls_;
}

bool ScriptedGrpcServer::WaitForCalls(size_t n, std::chrono::milliseconds timeout) const {
  std::unique_lock<std::mutex> lock(mu_);
  return cv_.wait_for(lock, timeout, [&] { return calls_.size() >= n; });
}

void ScriptedGrpcServer::Release() {
  std::lock_guard<std::mutex> lock(mu_);
  released_ = true;
  cv_.notify_all();
}

ScriptedReply ScriptedGrpcServer::Next(RecordedCall call) {
  std::lock_guard<std::mutex> lock(mu_);
  calls_.push_back(std::move(call));
  cv_.notify_all();
  if (script_.empty()) return ScriptedReply{};
  ScriptedReply reply = std::move(script_.front());
  script_.pop_front();
  return reply;
}

void ScriptedGrpcServer::Hold(std::chrono::milliseconds hold) {
  std::unique_lock<std::mutex> lock(mu_);
  cv_.wait_for(lock, hold, [&] { return released_; });
}

}  // namespace quartet::exporter::testing

#include "server/ingest/otlp/otlp_grpc.h"

#include <grpcpp/generic/async_generic_service.h>
#include <grpcpp/grpcpp.h>

#include <chrono>

#include "wire/otlp/response.h"

namespace quartet::ingest {
namespace {

constexpr std::string_view kTraceExport =
    "/opentelemetry.proto.collector.trace.v1.TraceService/Export";
constexpr std::string_view kLogsExport =
    "/opentelemetry.proto.collector.logs.v1.LogsService/Export";
constexpr std::string_view kMetricsExport =
    "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export";

grpc::Status ToGrpcStatus(const ExportOutcome& outcome) {
  using Kind = ExportOutcome::Kind;
  switch (outcome.kind) {
    case Kind::kOk:
      return grpc::Status::OK;
    case Kind::kBadData:
      return grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, outcome.message);
    case Kind::kTooLarge:
      return grpc::Status(grpc::StatusCode::RESOURCE_EXHAUSTED, outcome.message);
    case Kind::kBusy:
    case Kind::kUnavailable:
      return grpc::Status(grpc::StatusCode::UNAVAILABLE, outcome.message);
  }
  return grpc::Status(grpc::StatusCode::INTERNAL, "unknown outcome");
}

// One unary call on the generic (byte-level) service: read the request
// message, export it, write the response, finish.
class ExportReactor final : public grpc::ServerGenericBidiReactor {
 public:
  ExportReactor(grpc::GenericCallbackServerContext* context, OtlpIngest* ingest) : ingest_(ingest) {
    const std::string& method = context->method();
    if (method == kTraceExport) {
      signal_ = OtlpSignal::kTraces;
    } else if (method == kLogsExport) {
      signal_ = OtlpSignal::kLogs;
    } else if (method == kMetricsExport) {
      signal_ = OtlpSignal::kMetrics;
    } else {
      Finish(grpc::Status(grpc::StatusCode::UNIMPLEMENTED,
                          "quartetd serves TraceService/Export, LogsService/Export and "
                          "MetricsService/Export, not " +
                              method));
      return;
    }
    StartRead(&request_);
  }

  void OnReadDone(bool ok) override {
    if (!ok) {
      Finish(grpc::Status(grpc::StatusCode::INVALID_ARGUMENT, "no request message"));
      return;
    }
    std::vector<grpc::Slice> slices;
    grpc::Status dumped = request_.Dump(&slices);
    if (!dumped.ok()) {
      Finish(dumped);
      return;
    }
    std::string body;
    body.reserve(request_.Length());
    for (const grpc::Slice& s : slices) {
      body.append(reinterpret_cast<const char*>(s.begin()), s.size());
    }
    const ExportOutcome outcome = ingest_->Export(signal_, OtlpFormat::kProtobuf, body);
    if (outcome.kind != ExportOutcome::Kind::kOk) {
      Finish(ToGrpcStatus(outcome));
      return;
    }
    otlp::ExportResponse response;
    if (outcome.result.rejected > 0) {
      response.partial_success =
          otlp::ExportPartialSuccess{outcome.result.rejected, outcome.result.rejection_message};
    }
    const std::string bytes = otlp::EncodeExportResponse(response);
    grpc::Slice slice(bytes.data(), bytes.size());
    response_ = grpc::ByteBuffer(&slice, 1);
    StartWriteAndFinish(&response_, grpc::WriteOptions(), grpc::Status::OK);
  }

  void OnDone() override { delete this; }

 private:
  OtlpIngest* ingest_;
  OtlpSignal signal_ = OtlpSignal::kTraces;
  grpc::ByteBuffer request_;
  grpc::ByteBuffer response_;
};

class ExportService final : public grpc::CallbackGenericService {
 public:
  explicit ExportService(OtlpIngest* ingest) : ingest_(ingest) {}
  grpc::ServerGenericBidiReactor* CreateReactor(
      grpc::GenericCallbackServerContext* context) override {
    return new ExportReactor(context, ingest_);
  }

 private:
  OtlpIngest* ingest_;
};

}  // namespace

struct OtlpGrpcServer::Impl {
  explicit Impl(OtlpIngest* ingest) : service(ingest) {}
  ExportService service;
  std::unique_ptr<grpc::Server> server;
  int port = 0;
  bool stopped = false;
};

OtlpGrpcServer::OtlpGrpcServer(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}

OtlpGrpcServer::~OtlpGrpcServer() { Stop(); }

Result<std::unique_ptr<OtlpGrpcServer>> OtlpGrpcServer::Start(const std::string& listen,
                                                              OtlpIngest* ingest,
                                                              size_t max_message_bytes) {
  auto impl = std::make_unique<Impl>(ingest);
  grpc::ServerBuilder builder;
  builder.AddListeningPort(listen, grpc::InsecureServerCredentials(), &impl->port);
  builder.RegisterCallbackGenericService(&impl->service);
  builder.SetMaxReceiveMessageSize(static_cast<int>(max_message_bytes));
  impl->server = builder.BuildAndStart();
  if (impl->server == nullptr || impl->port == 0) {
    return Status::InvalidArgument("cannot listen for OTLP/gRPC on " + listen);
  }
  return std::unique_ptr<OtlpGrpcServer>(new OtlpGrpcServer(std::move(impl)));
}

int OtlpGrpcServer::port() const { return impl_->port; }

void OtlpGrpcServer::Stop() {
  if (impl_->stopped) return;
  impl_->stopped = true;
  impl_->server->Shutdown(std::chrono::system_clock::now() + std::chrono::seconds(1));
  impl_->server->Wait();
}

}  // namespace quartet::ingest

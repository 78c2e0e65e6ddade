#include "sdk/export/grpc/grpc_sender.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <fstream>
#include <sstream>

#include "base/clock.h"
#include "sdk/export/grpc/grpc_endpoint.h"

namespace quartet::exporter {

struct GrpcSender::Channel {
  std::shared_ptr<grpc::Channel> channel;
  std::unique_ptr<grpc::GenericStub> stub;
  std::string target;
};

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

void DefaultDiagnostic(std::string_view message) {
  std::fprintf(stderr, "quartet export: %.*s\n", static_cast<int>(message.size()), message.data());
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::FailedPrecondition("cannot read CA file '" + path + "'");
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

// gRPC metadata keys are lowercase [0-9a-z_.-]; keys it reserves for itself
// (":path", "grpc-*", "content-type", "te", "user-agent") must not be set by
// a caller.
bool IsValidMetadataKey(std::string_view key) {
  if (key.empty() || key.starts_with("grpc-")) return false;
  if (key == "content-type" || key == "te" || key == "user-agent") return false;
  return std::all_of(key.begin(), key.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.';
  });
}

// Values of text metadata are printable ASCII; "-bin" keys carry any bytes.
bool IsValidMetadataValue(std::string_view key, std::string_view value) {
  if (key.ends_with("-bin")) return true;
  return std::all_of(value.begin(), value.end(), [](char c) { return c >= 0x20 && c <= 0x7e; });
}

std::string Lowercase(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

Result<std::unique_ptr<GrpcSender::Channel>> MakeChannel(const GrpcSenderOptions& options,
                                                         const RetryPolicy& policy) {
  ASSIGN_OR_RETURN(GrpcTarget target, ParseGrpcEndpoint(options.url));
  std::shared_ptr<grpc::ChannelCredentials> credentials;
  if (target.tls) {
    grpc::SslCredentialsOptions ssl;
    if (!options.ca_file.empty()) {
      ASSIGN_OR_RETURN(ssl.pem_root_certs, ReadFile(options.ca_file));
    }
    credentials = grpc::SslCredentials(ssl);
  } else {
    credentials = grpc::InsecureChannelCredentials();
  }
  grpc::ChannelArguments args;
  args.SetUserAgentPrefix(options.user_agent.empty() ? "quartet-sdk/" QUARTET_VERSION_STRING
                                                     : options.user_agent);
  // Retries are ours (RetryPolicy, RetryInfo, the deadline); gRPC's own would
  // multiply them.
  args.SetInt(GRPC_ARG_ENABLE_RETRIES, 0);
  args.SetMaxReceiveMessageSize(static_cast<int>(options.max_response_body));
  // While a collector is down, gRPC waits between connection attempts; keep
  // that wait within our own backoff so a retry finds a fresh attempt.
  int max_reconnect = static_cast<int>(std::clamp<int64_t>(policy.max_backoff.count(), 100, 60000));
  args.SetInt(GRPC_ARG_INITIAL_RECONNECT_BACKOFF_MS, std::min(max_reconnect, 1000));
  args.SetInt(GRPC_ARG_MIN_RECONNECT_BACKOFF_MS, std::min(max_reconnect, 1000));
  args.SetInt(GRPC_ARG_MAX_RECONNECT_BACKOFF_MS, max_reconnect);
  auto channel = std::make_unique<GrpcSender::Channel>();
  channel->channel = grpc::CreateCustomChannel(target.target, credentials, args);
  channel->stub = std::make_unique<grpc::GenericStub>(channel->channel);
  channel->target = target.target;
  return channel;
}

std::string Flatten(const grpc::ByteBuffer& buffer) {
  std::string out;
  std::vector<grpc::Slice> slices;
  if (!buffer.Dump(&slices).ok()) return out;
  out.reserve(buffer.Length());
  for (const grpc::Slice& s : slices)
    out.append(reinterpret_cast<const char*>(s.begin()), s.size());
  return out;
}

}  // namespace

GrpcSender::GrpcSender(GrpcSenderOptions options, RetryPolicy policy,
                       Diagnostic diagnostic) noexcept
    : options_(std::move(options)),
      policy_(policy),
      diagnostic_(diagnostic ? std::move(diagnostic) : Diagnostic(DefaultDiagnostic)),
      rng_(static_cast<uint32_t>(MonotonicNanos())) {
  try {
    Result<std::unique_ptr<Channel>> channel = MakeChannel(options_, policy_);
    if (channel.ok()) {
      channel_ = std::move(*channel);
    } else {
      setup_error_ = channel.status();
    }
  } catch (...) {
    setup_error_ = Status::Internal("OTLP/gRPC channel: out of memory");
  }
}

GrpcSender::~GrpcSender() = default;

const std::string& GrpcSender::target() const noexcept {
  static const std::string kNone;
  return channel_ ? channel_->target : kNone;
}

void GrpcSender::Cancel() noexcept {
  std::lock_guard<std::mutex> lock(mu_);
  cancelled_ = true;
  if (active_ != nullptr) active_->TryCancel();
  cv_.notify_all();
}

SendStats GrpcSender::stats() const noexcept { return counters_.Snapshot(); }

bool GrpcSender::WaitUntil(Clock::time_point until) {
  std::unique_lock<std::mutex> lock(mu_);
  return !cv_.wait_until(lock, until, [this] { return cancelled_; });
}

void GrpcSender::ReportPermanent(const Status& error, int code) {
  uint32_t bit = uint32_t{1} << (static_cast<uint32_t>(code) & 31);
  if (reported_codes_ & bit) return;
  reported_codes_ |= bit;
  diagnostic_("OTLP/gRPC export to " + target() +
              " rejected (not retried; further rejections with this code are not logged): " +
              error.ToString());
}

GrpcSender::Attempt GrpcSender::Call(const ExportRequest& request, Clock::time_point deadline) {
  grpc::ClientContext context;
  // Clamped so that a far-future deadline cannot overflow the clock arithmetic.
  auto left = std::min<Clock::duration>(deadline - Clock::now(), std::chrono::hours(24));
  context.set_deadline(std::chrono::system_clock::now() +
                       std::chrono::duration_cast<std::chrono::system_clock::duration>(left));
  if (request.gzip) context.set_compression_algorithm(GRPC_COMPRESS_GZIP);
  for (const auto& [name, value] : request.headers) {
    std::string key = Lowercase(name);
    if (IsValidMetadataKey(key) && IsValidMetadataValue(key, value)) {
      context.AddMetadata(key, value);
    } else if (!reported_bad_header_) {
      reported_bad_header_ = true;
      diagnostic_("OTLP/gRPC: header '" + name +
                  "' cannot be gRPC metadata (reserved or invalid name, or a non-ASCII value); "
                  "it is not sent");
    }
  }
  grpc::Slice slice(request.body.data(), request.body.size());
  grpc::ByteBuffer message(&slice, 1);
  grpc::ByteBuffer response;

  std::mutex done_mu;
  std::condition_variable done_cv;
  bool done = false;
  grpc::Status status;
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = &context;
    if (cancelled_) context.TryCancel();  // Send() after Cancel(): fail fast
  }
  channel_->stub->UnaryCall(&context, std::string(GrpcExportMethod(options_.signal)),
                            grpc::StubOptions(), &message, &response, [&](grpc::Status s) {
                              std::lock_guard<std::mutex> lock(done_mu);
                              status = std::move(s);
                              done = true;
                              done_cv.notify_one();
                            });
  {
    std::unique_lock<std::mutex> lock(done_mu);
    // The gRPC deadline ends the call; Cancel() ends it sooner.
    done_cv.wait(lock, [&] { return done; });
  }
  {
    std::lock_guard<std::mutex> lock(mu_);
    active_ = nullptr;
  }
  Attempt attempt;
  attempt.code = static_cast<int>(status.error_code());
  if (status.ok()) {
    attempt.response = Flatten(response);
  } else {
    attempt.message = status.error_message();
    attempt.details = status.error_details();
  }
  return attempt;
}

SendOutcome GrpcSender::Send(const ExportRequest& request, Clock::time_point deadline) noexcept {
  SendOutcome outcome;
  counters_.exports.fetch_add(1, std::memory_order_relaxed);
  try {
    if (!channel_) {
      outcome.result = ExportResult::kPermanentFailure;
      outcome.last_error = setup_error_;
      if (!reported_setup_) {
        reported_setup_ = true;
        diagnostic_("OTLP/gRPC exporter not usable: " + setup_error_.ToString());
      }
      counters_.failures.fetch_add(1, std::memory_order_relaxed);
      return outcome;
    }
    for (;;) {
      if (deadline <= Clock::now()) {
        outcome.result =
            outcome.attempts == 0 ? ExportResult::kTimeout : ExportResult::kRetryableFailure;
        break;
      }
      ++outcome.attempts;
      counters_.CountAttempt(outcome.attempts, request.body.size());

      Attempt attempt = Call(request, deadline);
      if (attempt.code == 0) {
        outcome.result = ExportResult::kSuccess;
        outcome.last_error = Status::Ok();
        outcome.response.status = 200;
        outcome.response.content_type = "application/grpc";
        outcome.response.body = std::move(attempt.response);
        break;
      }
      outcome.last_error = GrpcFailure(attempt.code, attempt.message);
      GrpcRetryDecision decision = ClassifyGrpcStatus(attempt.code, attempt.details);
      if (!decision.retryable) {
        outcome.result = ExportResult::kPermanentFailure;
        ReportPermanent(outcome.last_error, attempt.code);
        break;
      }
      // Our own deadline ran out with the call (as opposed to a server's
      // DEADLINE_EXCEEDED about something of its own): nothing is left.
      if (Clock::now() >= deadline) {
        outcome.result = ExportResult::kTimeout;
        break;
      }
      outcome.result = ExportResult::kRetryableFailure;
      if (policy_.max_attempts > 0 && outcome.attempts >= policy_.max_attempts) break;
      milliseconds wait = decision.server_delay ? *decision.server_delay
                                                : BackoffDelay(policy_, outcome.attempts - 1, rng_);
      auto resume = Clock::now() + wait;
      if (resume >= deadline) break;  // waiting only to give up then helps nobody
      if (!WaitUntil(resume)) break;  // cancelled
    }
  } catch (...) {
    outcome.result = ExportResult::kPermanentFailure;
    outcome.last_error = Status::Internal("export: out of memory");
  }
  counters_.CountResult(outcome.result == ExportResult::kSuccess);
  return outcome;
}

}  // namespace quartet::exporter

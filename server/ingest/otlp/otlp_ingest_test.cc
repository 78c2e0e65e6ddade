// OTLP/HTTP ingest over the real trace and log tables: the JavaScript SDK's
// captured requests are stored exactly as sent; bad requests get the OTLP
// error codes with a message naming the problem and lose nothing stored.
#include "server/ingest/otlp/otlp_ingest.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "server/store/logs/log_table.h"
#include "server/store/traces/trace_table.h"
#include "tests/support/fixtures.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/decode_json.h"
#include "wire/otlp/encode_model.h"
#include "wire/otlp/response.h"

namespace quartet::ingest {
namespace {

using server::HttpRequest;
using server::HttpResponse;

using testing::ReadFixture;

HttpRequest Post(std::string path, std::string content_type, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = std::move(path);
  r.headers = {{"content-type", std::move(content_type)}};
  r.body = std::move(body);
  return r;
}

class OtlpIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("otlp_ingest_test_" + std::to_string(std::random_device{}()));
    Open(1u << 30);
  }
  void TearDown() override {
    ingest_.reset();
    traces_.reset();
    logs_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(size_t memory_limit) {
    ingest_.reset();
    traces_.reset();
    logs_.reset();
    store::TableOptions options;
    options.memory_limit_bytes = memory_limit;
    options.dir = (dir_ / "traces").string();
    auto traces = store::TraceTable::Open(options);
    ASSERT_TRUE(traces.ok());
    traces_ = std::move(*traces);
    options.dir = (dir_ / "logs").string();
    auto logs = store::LogTable::Open(options);
    ASSERT_TRUE(logs.ok());
    logs_ = std::move(*logs);
    ingest_ = std::make_unique<OtlpIngest>(traces_.get(), logs_.get());
  }
  // Every span of `sent` is stored, equal to what was sent.
  void ExpectStored(const otlp::ExportTraceServiceRequest& sent) {
    for (const auto& rs : sent.resource_spans) {
      for (const auto& ss : rs.scope_spans) {
        for (const otlp::Span& span : ss.spans) {
          Result<otlp::ExportTraceServiceRequest> trace = traces_->GetTrace(span.trace_id);
          ASSERT_TRUE(trace.ok()) << span.trace_id.ToHex();
          bool found = false;
          for (const auto& got_rs : trace->resource_spans) {
            for (const auto& got_ss : got_rs.scope_spans) {
              for (const otlp::Span& got : got_ss.spans) {
                if (got.span_id == span.span_id) {
                  EXPECT_EQ(got, span);
                  EXPECT_EQ(got_rs.resource, rs.resource);
                  EXPECT_EQ(got_ss.scope, ss.scope);
                  found = true;
                }
              }
            }
          }
          EXPECT_TRUE(found) << span.name;
        }
      }
    }
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::TraceTable> traces_;
  std::unique_ptr<store::LogTable> logs_;
  std::unique_ptr<OtlpIngest> ingest_;
};

TEST_F(OtlpIngestTest, JavaScriptSdkTracesInJsonAndProtobufAreStoredAsSent) {
  for (const char* name : {"otel/0001.bin", "otel/0002.bin"}) {
    const std::string body = ReadFixture(name);
    HttpResponse r = ingest_->Traces(Post("/v1/traces", "application/json", body));
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/json");
    EXPECT_EQ(r.body, "{}");
    ExpectStored(*otlp::DecodeTracesJson(body));
  }
  for (const char* name : {"otel/0003.bin", "otel/0004.bin", "grpc/1.bin", "grpc/2.bin"}) {
    const std::string body = ReadFixture(name);
    HttpResponse r = ingest_->Traces(Post("/v1/traces", "application/x-protobuf", body));
    EXPECT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/x-protobuf");
    EXPECT_TRUE(r.body.empty());  // full success
    ExpectStored(*otlp::DecodeTraces(body));
  }
  EXPECT_GT(ingest_->stats().spans_accepted, 4);
}

TEST_F(OtlpIngestTest, JavaScriptSdkLogsBecomeLokiStyleStreams) {
  HttpResponse r =
      ingest_->Logs(Post("/v1/logs", "application/x-protobuf", ReadFixture("otel/0005.bin")));
  ASSERT_EQ(r.status, 200) << r.body;
  store::LogScan scan;
  scan.matchers = {{"service_name", store::LabelMatch::Op::kEq, "peer-test"}};
  int rows = 0;
  ASSERT_TRUE(logs_
                  ->Scan(scan,
                         [&](const store::LogRow& row) {
                           ++rows;
                           EXPECT_EQ(*row.stream, (store::Labels{{"deployment_environment", "lab"},
                                                                 {"service_name", "peer-test"}}));
                           EXPECT_EQ(row.line, "hello log");
                           EXPECT_EQ(row.timestamp_ns, 1795479849385000000);
                           const store::Labels& md = *row.structured_metadata;
                           auto has = [&](std::string k, std::string v) {
                             return std::find(md.begin(), md.end(), std::pair(k, v)) != md.end();
                           };
                           EXPECT_TRUE(has("severity_text", "ERROR"));
                           EXPECT_TRUE(has("user_id", "7"));
                           EXPECT_TRUE(has("scope_name", "lab-logger"));
                           return true;
                         })
                  .ok());
  EXPECT_EQ(rows, 1);
}

TEST_F(OtlpIngestTest, BadRequestsGetPreciseErrorsAndLoseNothing) {
  const std::string good = ReadFixture("otel/0003.bin");
  ASSERT_EQ(ingest_->Traces(Post("/v1/traces", "application/x-protobuf", good)).status, 200);
  const int64_t stored = traces_->stats().spans;

  // Truncated protobuf: 400 with a google.rpc.Status in protobuf.
  HttpResponse r = ingest_->Traces(
      Post("/v1/traces", "application/x-protobuf", good.substr(0, good.size() - 7)));
  EXPECT_EQ(r.status, 400);
  Result<otlp::RpcStatus> status = otlp::DecodeRpcStatus(r.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 3);
  EXPECT_FALSE(status->message.empty());

  // Invalid JSON: 400 with a JSON status.
  r = ingest_->Traces(Post("/v1/traces", "application/json", "{\"resourceSpans\":[{]}"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"code\":3"), std::string::npos) << r.body;

  // Wrong content type: 415 naming what is accepted.
  r = ingest_->Traces(Post("/v1/traces", "text/plain", "hello"));
  EXPECT_EQ(r.status, 415);
  EXPECT_NE(r.body.find("application/x-protobuf"), std::string::npos);

  // A huge attribute value: 400 naming its path.
  otlp::ExportTraceServiceRequest huge = *otlp::DecodeTraces(good);
  huge.resource_spans[0].scope_spans[0].spans[0].attributes.push_back(
      {"db.statement", otlp::AnyValue::String(std::string(300 * 1024, 'x'))});
  r = ingest_->Traces(Post("/v1/traces", "application/x-protobuf", otlp::EncodeTraces(huge)));
  EXPECT_EQ(r.status, 400);
  status = otlp::DecodeRpcStatus(r.body);
  ASSERT_TRUE(status.ok());
  EXPECT_NE(status->message.find("resource_spans[0].scope_spans[0].spans[0].attributes["
                                 "\"db.statement\"]: value is 307200 bytes"),
            std::string::npos)
      << status->message;

  EXPECT_EQ(traces_->stats().spans, stored);
  EXPECT_EQ(ingest_->stats().bad_requests, 4);
}

TEST_F(OtlpIngestTest, PartialSuccessCountsSpansWithoutIds) {
  otlp::ExportTraceServiceRequest request = *otlp::DecodeTraces(ReadFixture("otel/0004.bin"));
  otlp::Span bad = request.resource_spans[0].scope_spans[0].spans[0];
  bad.span_id = SpanId{};
  request.resource_spans[0].scope_spans[0].spans.push_back(bad);
  HttpResponse r =
      ingest_->Traces(Post("/v1/traces", "application/x-protobuf", otlp::EncodeTraces(request)));
  ASSERT_EQ(r.status, 200);
  Result<otlp::ExportResponse> response = otlp::DecodeExportResponse(r.body);
  ASSERT_TRUE(response.ok());
  ASSERT_TRUE(response->partial_success.has_value());
  EXPECT_EQ(response->partial_success->rejected, 1);
  r = ingest_->Traces(Post("/v1/traces", "application/json",
                           R"({"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":)"
                           R"("0102030405060708090a0b0c0d0e0f10","spanId":"0000000000000000",)"
                           R"("name":"x"}]}]}]})"));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"rejectedSpans\":\"1\""), std::string::npos) << r.body;
}

TEST_F(OtlpIngestTest, StorePushBackIs429WithRetryAfter) {
  Open(1);  // every append is over the memory limit once anything is stored
  const std::string body = ReadFixture("otel/0003.bin");
  ASSERT_EQ(ingest_->Traces(Post("/v1/traces", "application/x-protobuf", body)).status, 200);
  HttpResponse r = ingest_->Traces(Post("/v1/traces", "application/x-protobuf", body));
  EXPECT_EQ(r.status, 429);
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
  Result<otlp::RpcStatus> status = otlp::DecodeRpcStatus(r.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 8);
  EXPECT_EQ(ingest_->stats().pushed_back, 1);
}

// The received protobuf bytes are the WAL record (not the request encoded
// again); after a restart the replayed spans equal what was sent, for
// protobuf and JSON bodies alike.
TEST_F(OtlpIngestTest, ReceivedProtobufIsTheWalRecordAndReplaysAsSent) {
  const std::string protobuf = ReadFixture("otel/0003.bin");
  const std::string json = ReadFixture("otel/0001.bin");
  Result<otlp::ExportTraceServiceRequest> from_protobuf = otlp::DecodeTraces(protobuf);
  Result<otlp::ExportTraceServiceRequest> from_json = otlp::DecodeTracesJson(json);
  ASSERT_TRUE(from_protobuf.ok() && from_json.ok());
  ASSERT_EQ(ingest_->Traces(Post("/v1/traces", "application/x-protobuf", protobuf)).status, 200);
  ASSERT_EQ(ingest_->Traces(Post("/v1/traces", "application/json", json)).status, 200);
  Open(1u << 30);  // closes the tables without a flush: the WAL replays
  EXPECT_EQ(traces_->stats().replayed_records, 2);
  ExpectStored(*from_protobuf);
  ExpectStored(*from_json);
  std::string wal;
  for (const auto& entry : std::filesystem::directory_iterator(dir_ / "traces" / "wal")) {
    std::ifstream in(entry.path(), std::ios::binary);
    wal += std::string(std::istreambuf_iterator<char>(in), {});
  }
  EXPECT_NE(wal.find(protobuf), std::string::npos) << "the body is not in the WAL verbatim";
}

// An observer that records what it was shown and what was committed.
class RecordingObserver final : public SpanObserver {
 public:
  struct Seen final : Pending {
    size_t spans = 0;
  };
  std::unique_ptr<Pending> Observe(
      const otlp::ExportTraceServiceRequest& request) noexcept override {
    auto seen = std::make_unique<Seen>();
    for (const auto& rs : request.resource_spans) {
      for (const auto& ss : rs.scope_spans) seen->spans += ss.spans.size();
    }
    ++observed;
    return seen;
  }
  void Commit(std::unique_ptr<Pending> pending) noexcept override {
    committed_spans += static_cast<Seen&>(*pending).spans;
    ++commits;
  }
  int observed = 0, commits = 0;
  size_t committed_spans = 0;
};

// The store takes the spans, so the observer reads them before the append
// and counts them only when the store accepted them (not on a 429).
TEST_F(OtlpIngestTest, SpanObserverCountsOnlyStoredBatches) {
  Open(1);  // every append is over the memory limit once anything is stored
  RecordingObserver observer;
  ingest_->SetSpanObserver(&observer);
  const std::string body = ReadFixture("otel/0003.bin");
  Result<otlp::ExportTraceServiceRequest> sent = otlp::DecodeTraces(body);
  ASSERT_TRUE(sent.ok());
  size_t spans = 0;
  for (const auto& rs : sent->resource_spans) {
    for (const auto& ss : rs.scope_spans) spans += ss.spans.size();
  }
  ASSERT_GT(spans, 0u);
  ASSERT_EQ(ingest_->Traces(Post("/v1/traces", "application/x-protobuf", body)).status, 200);
  ASSERT_EQ(ingest_->Traces(Post("/v1/traces", "application/x-protobuf", body)).status, 429);
  EXPECT_EQ(observer.observed, 2);
  EXPECT_EQ(observer.commits, 1);
  EXPECT_EQ(observer.committed_spans, spans);
  ingest_->SetSpanObserver(nullptr);
}

}  // namespace
}  // namespace quartet::ingest

// OTLP metrics over HTTP and gRPC into the real metric table: the JavaScript
// SDK's captured export is stored as Prometheus series; JSON bodies, partial
// success, bad data (400 naming the field), 415 and store push back (429)
// answer as /v1/traces does; gRPC MetricsService/Export stores the same and
// answers INVALID_ARGUMENT for bad data.
#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "server/ingest/otlp/otlp_grpc.h"
#include "server/ingest/otlp/otlp_ingest.h"
#include "server/store/metrics/metric_table.h"
#include "tests/support/fixtures.h"
#include "wire/otlp/decode.h"
#include "wire/otlp/encode_model.h"
#include "wire/otlp/response.h"

namespace quartet::ingest {
namespace {

using server::HttpRequest;
using server::HttpResponse;
using testing::ReadFixture;

HttpRequest Post(std::string content_type, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/v1/metrics";
  r.headers = {{"content-type", std::move(content_type)}};
  r.body = std::move(body);
  return r;
}

class OtlpMetricsIngestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("otlp_metrics_ingest_test_" + std::to_string(std::random_device{}()));
    Open(1u << 30);
  }
  void TearDown() override {
    ingest_.reset();
    metrics_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Open(size_t memory_limit) {
    ingest_.reset();
    metrics_.reset();
    store::MetricTableOptions options;
    options.table.memory_limit_bytes = memory_limit;
    options.table.dir = (dir_ / "metrics").string();
    auto metrics = store::MetricTable::Open(options, /*background=*/false);
    ASSERT_TRUE(metrics.ok()) << metrics.status().message();
    metrics_ = std::move(*metrics);
    ingest_ = std::make_unique<OtlpIngest>(nullptr, nullptr, metrics_.get());
  }
  // Every sample of every series `request` maps to is stored (among others).
  void ExpectStored(const otlp::ExportMetricsServiceRequest& request) {
    DeltaToCumulative deltas;
    Result<MappedMetrics> want = MapOtlpMetrics(request, &deltas, 0);
    ASSERT_TRUE(want.ok());
    ASSERT_FALSE(want->batch.series.empty());
    for (const store::SeriesSamples& s : want->batch.series) {
      std::vector<store::LabelMatch> matchers;
      for (const auto& [n, v] : s.labels) matchers.push_back({n, store::LabelMatch::Op::kEq, v});
      int found = 0;
      ASSERT_TRUE(
          metrics_
              ->Select(matchers, 0, INT64_MAX,
                       [&](const store::Labels& labels, std::span<const store::Sample> got) {
                         if (labels != s.labels) return true;
                         ++found;
                         for (const store::Sample& want : s.samples) {
                           EXPECT_TRUE(std::any_of(got.begin(), got.end(), [&](auto g) {
                             return g.t_ms == want.t_ms && g.v == want.v;
                           })) << want.t_ms;
                         }
                         return true;
                       })
              .ok());
      EXPECT_EQ(found, 1) << s.labels[0].second;
    }
  }
  // The samples of the one series named `name` with `job`.
  std::vector<store::Sample> Samples(const std::string& name) {
    std::vector<store::Sample> out;
    EXPECT_TRUE(metrics_
                    ->Select({{"__name__", store::LabelMatch::Op::kEq, name}}, 0, INT64_MAX,
                             [&](const store::Labels&, std::span<const store::Sample> got) {
                               out.insert(out.end(), got.begin(), got.end());
                               return true;
                             })
                    .ok());
    return out;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::MetricTable> metrics_;
  std::unique_ptr<OtlpIngest> ingest_;
};

TEST_F(OtlpMetricsIngestTest, JavaScriptSdkExportIsStoredAsPrometheusSeries) {
  for (const char* name : {"otel/0006.bin", "otel/0007.bin"}) {
    const std::string body = ReadFixture(name);
    HttpResponse r = ingest_->Metrics(Post("application/x-protobuf", body));
    ASSERT_EQ(r.status, 200) << name << ": " << r.body;
    EXPECT_EQ(r.content_type, "application/x-protobuf");
    EXPECT_TRUE(r.body.empty()) << "full success";
    ExpectStored(*otlp::DecodeMetrics(body));
  }
  EXPECT_GT(ingest_->stats().metric_points_accepted, 2);
  EXPECT_EQ(ingest_->stats().metric_points_rejected, 0);
  // The SDK's counter "req_total" keeps one _total; its metadata is a counter.
  const std::vector<store::MetricMetadata> meta = metrics_->Metadata("req_total");
  ASSERT_EQ(meta.size(), 1u);
  EXPECT_EQ(meta[0].type, store::MetricType::kCounter);
  EXPECT_FALSE(Samples("req_total").empty());
  EXPECT_FALSE(Samples("target_info").empty()) << "deployment.environment";
}

constexpr std::string_view kJsonGauge = R"({"resourceMetrics":[{
  "resource":{"attributes":[{"key":"service.name","value":{"stringValue":"svc"}}]},
  "scopeMetrics":[{"metrics":[{"name":"room.temp","unit":"Cel","gauge":{"dataPoints":[
    {"timeUnixNano":"1700000000000000000","asDouble":21.5,
     "attributes":[{"key":"room","value":{"stringValue":"lab"}}]},
    {"asDouble":1}]}}]}]}]})";

TEST_F(OtlpMetricsIngestTest, JsonWithPartialSuccess) {
  HttpResponse r =
      ingest_->Metrics(Post("application/json; charset=utf-8", std::string(kJsonGauge)));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_EQ(r.content_type, "application/json");
  EXPECT_EQ(r.body,
            R"({"partialSuccess":{"rejectedDataPoints":"1","errorMessage":"data point without )"
            R"(time_unix_nano"}})");
  const std::vector<store::Sample> got = Samples("room_temp_celsius");
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].t_ms, 1'700'000'000'000);
  EXPECT_EQ(got[0].v, 21.5);
  EXPECT_EQ(ingest_->stats().metric_points_rejected, 1);
}

TEST_F(OtlpMetricsIngestTest, BadDataIs400NamingTheProblemAndLosesNothing) {
  const std::string good = ReadFixture("otel/0006.bin");
  ASSERT_EQ(ingest_->Metrics(Post("application/x-protobuf", good)).status, 200);
  const int64_t samples = metrics_->stats().head_samples;

  HttpResponse r =
      ingest_->Metrics(Post("application/x-protobuf", good.substr(0, good.size() - 5)));
  EXPECT_EQ(r.status, 400);
  Result<otlp::RpcStatus> status = otlp::DecodeRpcStatus(r.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 3);
  EXPECT_FALSE(status->message.empty());

  otlp::ExportMetricsServiceRequest bad = *otlp::DecodeMetrics(good);
  bad.resource_metrics[0].scope_metrics[0].metrics[0].name = "%%";
  r = ingest_->Metrics(Post("application/x-protobuf", otlp::EncodeMetrics(bad)));
  EXPECT_EQ(r.status, 400);
  status = otlp::DecodeRpcStatus(r.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->message,
            "resource_metrics[0].scope_metrics[0].metrics[0].name: \"%%\" has no letter or digit "
            "to make a Prometheus name of");

  r = ingest_->Metrics(Post("application/json", R"({"resourceMetrics":[{"scopeMetrics":[}]})"));
  EXPECT_EQ(r.status, 400);
  EXPECT_NE(r.body.find("\"code\":3"), std::string::npos) << r.body;

  r = ingest_->Metrics(Post("text/plain", "x"));
  EXPECT_EQ(r.status, 415);

  EXPECT_EQ(metrics_->stats().head_samples, samples);
  EXPECT_EQ(ingest_->stats().bad_requests, 4);
}

TEST_F(OtlpMetricsIngestTest, StorePushBackIs429WithRetryAfter) {
  Open(1);  // the metric table refuses every append over its memory limit
  HttpResponse r = ingest_->Metrics(Post("application/x-protobuf", ReadFixture("otel/0007.bin")));
  EXPECT_EQ(r.status, 429) << r.body;
  ASSERT_EQ(r.headers.size(), 1u);
  EXPECT_EQ(r.headers[0], (std::pair<std::string, std::string>{"Retry-After", "1"}));
  Result<otlp::RpcStatus> status = otlp::DecodeRpcStatus(r.body);
  ASSERT_TRUE(status.ok());
  EXPECT_EQ(status->code, 8);
  EXPECT_EQ(ingest_->stats().pushed_back, 1);
  EXPECT_EQ(metrics_->stats().head_samples, 0);
}

TEST_F(OtlpMetricsIngestTest, WithoutMetricStoreExportsAre503) {
  OtlpIngest no_metrics(nullptr, nullptr);
  HttpResponse r = no_metrics.Metrics(Post("application/x-protobuf", ReadFixture("otel/0006.bin")));
  EXPECT_EQ(r.status, 503);
}

grpc::Status CallExport(int port, const std::string& body, std::string* response) {
  auto channel =
      grpc::CreateChannel("127.0.0.1:" + std::to_string(port), grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext context;
  context.set_deadline(std::chrono::system_clock::now() + std::chrono::seconds(10));
  grpc::Slice slice(body.data(), body.size());
  grpc::ByteBuffer request(&slice, 1), reply;
  std::mutex mu;
  std::condition_variable cv;
  bool done = false;
  grpc::Status result;
  stub.UnaryCall(&context, "/opentelemetry.proto.collector.metrics.v1.MetricsService/Export",
                 grpc::StubOptions(), &request, &reply, [&](grpc::Status s) {
                   std::lock_guard lock(mu);
                   result = std::move(s);
                   done = true;
                   cv.notify_one();
                 });
  std::unique_lock lock(mu);
  cv.wait(lock, [&] { return done; });
  std::vector<grpc::Slice> slices;
  response->clear();
  if (result.ok() && reply.Dump(&slices).ok()) {
    for (const grpc::Slice& s : slices)
      response->append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  return result;
}

TEST_F(OtlpMetricsIngestTest, GrpcMetricsServiceExport) {
  auto server = OtlpGrpcServer::Start("127.0.0.1:0", ingest_.get(), 4 << 20);
  ASSERT_TRUE(server.ok()) << server.status().message();
  const std::string body = ReadFixture("otel/0007.bin");
  std::string response;
  grpc::Status s = CallExport((*server)->port(), body, &response);
  ASSERT_TRUE(s.ok()) << s.error_message();
  EXPECT_TRUE(response.empty()) << "full success";
  ExpectStored(*otlp::DecodeMetrics(body));

  s = CallExport((*server)->port(), body.substr(0, body.size() - 3), &response);
  EXPECT_EQ(s.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_FALSE(s.error_message().empty());
  (*server)->Stop();
}

}  // namespace
}  // namespace quartet::ingest

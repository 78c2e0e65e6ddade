// Loki push ingest over the real log table: pino-loki (JSON) and
// winston-loki (protobuf + snappy without Content-Encoding) captures are
// stored with their labels, timestamps, lines and structured metadata.
#include "server/ingest/loki/loki_push.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "base/hex.h"
#include "server/store/label_match.h"
#include "server/store/logs/log_table.h"
#include "tests/support/fixtures.h"
#include "wire/compress/snappy.h"

namespace quartet::ingest {
namespace {

using server::HttpRequest;
using server::HttpResponse;

using testing::ReadFixture;

HttpRequest Post(std::string content_type, std::string body) {
  HttpRequest r;
  r.method = "POST";
  r.path = "/loki/api/v1/push";
  r.headers = {{"content-type", std::move(content_type)}};
  r.body = std::move(body);
  return r;
}

class LokiPushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("loki_push_test_" + std::to_string(std::random_device{}()));
    store::TableOptions options;
    options.dir = dir_.string();
    auto logs = store::LogTable::Open(options);
    ASSERT_TRUE(logs.ok());
    logs_ = std::move(*logs);
    ingest_ = std::make_unique<LokiPushIngest>(logs_.get(), loki::Limits{}, 20u << 20);
  }
  void TearDown() override {
    ingest_.reset();
    logs_.reset();
    std::filesystem::remove_all(dir_);
  }
  struct Row {
    store::Labels stream;
    int64_t ts;
    std::string line;
    store::Labels metadata;
  };
  std::vector<Row> All() {
    std::vector<Row> rows;
    store::LogScan scan;
    scan.direction = store::Direction::kForward;
    EXPECT_TRUE(logs_
                    ->Scan(scan,
                           [&](const store::LogRow& r) {
                             rows.push_back({*r.stream, r.timestamp_ns, std::string(r.line),
                                             *r.structured_metadata});
                             return true;
                           })
                    .ok());
    return rows;
  }

  std::filesystem::path dir_;
  std::unique_ptr<store::LogTable> logs_;
  std::unique_ptr<LokiPushIngest> ingest_;
};

TEST_F(LokiPushTest, PinoLokiJsonWithNumericLabelAndMetadata) {
  HttpResponse r = ingest_->Push(Post("application/json", ReadFixture("loki/0001.bin")));
  ASSERT_EQ(r.status, 204) << r.body;
  std::vector<Row> rows = All();
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].stream,
            (store::Labels{{"app", "pino-app"}, {"hostname", "vm"}, {"level", "30"}}));
  EXPECT_EQ(rows[0].ts, 1795479939694000000);
  EXPECT_NE(rows[0].line.find("hello from pino"), std::string::npos);
  EXPECT_EQ(rows[0].metadata, (store::Labels{{"trace_id", "abc123"}}));
}

TEST_F(LokiPushTest, WinstonLokiProtobufSnappyWithoutContentEncoding) {
  HttpResponse r = ingest_->Push(Post("application/x-protobuf", ReadFixture("loki/0003.bin")));
  ASSERT_EQ(r.status, 204) << r.body;
  r = ingest_->Push(Post("application/json", ReadFixture("loki/0004.bin")));
  ASSERT_EQ(r.status, 204) << r.body;
  std::vector<Row> rows = All();
  ASSERT_EQ(rows.size(), 2u);
  // 0003 is the protobuf one: mode="proto".
  const Row& proto = store::LabelValue(rows[0].stream, "mode") == "proto" ? rows[0] : rows[1];
  EXPECT_EQ(proto.stream,
            (store::Labels{
                {"app", "winston-app"}, {"extra", "x"}, {"level", "info"}, {"mode", "proto"}}));
  EXPECT_EQ(proto.line, "hello from winston {\"user\":\"bob\",\"level\":\"info\"}");
  const Row& json = &proto == &rows[0] ? rows[1] : rows[0];
  EXPECT_EQ(json.ts, 1795479942725000000);
  EXPECT_EQ(json.metadata, (store::Labels{{"level", "info"}, {"user", "bob"}}));
}

TEST_F(LokiPushTest, LinesCarryingATraceIdAreIndexedForTheirTrace) {
  const std::string trace = "4bf92f3577b34da6a3ce929d0e0e4736";
  loki::PushRequest push;
  push.streams.push_back(loki::Stream{
      {{"service_name", "checkout"}},
      {loki::Entry{1, R"({"message":"scan","trace_id":")" + trace + R"(","rows":60000})", {}},
       loki::Entry{2, "metadata link", {{"trace_id", trace}}}, loki::Entry{3, "unrelated", {}}}});
  HttpResponse r = ingest_->Push(Post("application/json", loki::EncodePushJson(push)));
  ASSERT_EQ(r.status, 204) << r.body;
  TraceId id;
  ASSERT_TRUE(HexDecode(trace, id.bytes.data(), 16));
  EXPECT_EQ(logs_->CountLogsOfTrace(id), 2);
}

TEST_F(LokiPushTest, BadPushesGet4xxAndLoseNothing) {
  ASSERT_EQ(ingest_->Push(Post("application/json", ReadFixture("loki/0002.bin"))).status, 204);
  const size_t before = All().size();
  struct Case {
    std::string type, body;
    int status;
    std::string message;
  };
  const Case cases[] = {
      {"application/json", "{\"streams\":[{\"stream\":{}", 400, ""},
      {"application/json", R"({"streams":[{"stream":{"a":"b"},"values":[["abc","x"]]}]})", 400,
       "timestamp"},
      {"application/json", R"({"streams":[{"stream":{},"values":[["1","x"]]}]})", 400, "label"},
      {"application/x-protobuf", "not snappy at all", 400, "snappy"},
      {"application/x-protobuf", compress::SnappyCompress("\x0a\x05garbage"), 400, ""},
      {"text/plain", "x", 415, "application/json"},
  };
  for (const Case& c : cases) {
    HttpResponse r = ingest_->Push(Post(c.type, c.body));
    EXPECT_EQ(r.status, c.status) << c.body << " -> " << r.body;
    EXPECT_NE(r.body.find(c.message), std::string::npos) << r.body;
    EXPECT_GT(r.body.size(), 1u);
  }
  EXPECT_EQ(All().size(), before);
  EXPECT_EQ(ingest_->stats().bad_requests, 6);
}

}  // namespace
}  // namespace quartet::ingest

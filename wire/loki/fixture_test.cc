// Decodes the real-client Loki captures in fixtures/real-clients/loki/
// (pino-loki 3.0.0 JSON with structured metadata and numeric label values;
// winston-loki 6.1.7 protobuf + snappy sent without Content-Encoding, and
// JSON) to exactly the streams, labels, timestamps and lines they contain.
// A missing fixture fails the test.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "wire/compress/snappy.h"
#include "wire/loki/push.h"

namespace quartet::loki {
namespace {

std::string ReadFixture(const std::string& name) {
  const char* src = std::getenv("QUARTET_SOURCE_DIR");
  std::string path = std::string(src ? src : ".") + "/../shared/fixtures/real-clients/loki/" + name;
  std::ifstream in(path, std::ios::binary);
  EXPECT_TRUE(in.good()) << "missing fixture " << path;
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

PushRequest DecodeJsonFixture(const std::string& name) {
  std::string body = ReadFixture(name);
  Result<PushRequest> push = DecodePushJson(body);
  EXPECT_TRUE(push.ok()) << name << ": " << push.status().ToString();
  if (!push.ok()) return {};
  EXPECT_TRUE(Validate(*push, Limits{}).ok());
  return *push;
}

TEST(LokiFixtureTest, PinoJsonWithStructuredMetadataAndNumericLevel) {
  PushRequest want{{Stream{
      {{"app", "pino-app"}, {"hostname", "vm"}, {"level", "30"}},
      {Entry{
          1795479939694000000,
          R"({"level":30,"time":1795479939694,"pid":7555,"reqId":"r1","meta":{"trace_id":"abc123"},"msg":"hello from pino"})",
          {{"trace_id", "abc123"}}}}}}};
  EXPECT_EQ(DecodeJsonFixture("0001.bin"), want);
}

TEST(LokiFixtureTest, PinoJsonWithoutMetadata) {
  PushRequest want{
      {Stream{{{"app", "pino-app"}, {"hostname", "vm"}, {"level", "50"}},
              {Entry{1795479939694000000,
                     R"({"level":50,"time":1795479939694,"pid":7555,"msg":"pino error line"})",
                     {}}}}}};
  EXPECT_EQ(DecodeJsonFixture("0002.bin"), want);
}

TEST(LokiFixtureTest, WinstonProtobufSnappyWithoutContentEncoding) {
  std::string body = ReadFixture("0003.bin");
  Result<std::string> raw = compress::SnappyDecompress(body, 1 << 20);
  ASSERT_TRUE(raw.ok()) << raw.status().ToString();
  EXPECT_EQ(*raw, ReadFixture("0003.pb"));
  Result<PushRequest> push = DecodePushProtobuf(*raw);
  ASSERT_TRUE(push.ok()) << push.status().ToString();
  PushRequest want{{Stream{
      {{"app", "winston-app"}, {"extra", "x"}, {"level", "info"}, {"mode", "proto"}},
      {Entry{1795479941217000000, R"(hello from winston {"user":"bob","level":"info"})", {}}}}}};
  EXPECT_EQ(*push, want);
  EXPECT_TRUE(Validate(*push, Limits{}).ok());
}

TEST(LokiFixtureTest, WinstonJson) {
  PushRequest want{
      {Stream{{{"app", "winston-app"}, {"extra", "x"}, {"level", "info"}, {"mode", "json"}},
              {Entry{1795479942725000000,
                     R"(hello from winston {"user":"bob","level":"info"})",
                     {{"user", "bob"}, {"level", "info"}}}}}}};
  EXPECT_EQ(DecodeJsonFixture("0004.bin"), want);
}

TEST(LokiFixtureTest, CapturesSurviveOurEncodersBothWays) {
  for (const char* name : {"0001.bin", "0002.bin", "0004.bin"}) {
    PushRequest push = DecodeJsonFixture(name);
    Result<PushRequest> via_proto = DecodePushProtobuf(EncodePushProtobuf(push));
    ASSERT_TRUE(via_proto.ok()) << name << ": " << via_proto.status().ToString();
    EXPECT_EQ(*via_proto, push) << name;
    Result<PushRequest> via_json = DecodePushJson(EncodePushJson(push));
    ASSERT_TRUE(via_json.ok()) << name << ": " << via_json.status().ToString();
    EXPECT_EQ(*via_json, push) << name;
  }
}

}  // namespace
}  // namespace quartet::loki

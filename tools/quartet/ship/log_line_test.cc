#include "tools/quartet/ship/log_line.h"

#include <gtest/gtest.h>

namespace quartet::ship {
namespace {

TEST(LogLineTest, ParsesRfc3339) {
  struct Case {
    std::string_view text;
    std::optional<int64_t> want;
  };
  const Case cases[] = {
      {"1970-01-01T00:00:00Z", 0},
      {"2026-11-25T23:41:07.123456789Z", 1795650067123456789},
      {"2026-11-25T23:41:07.1Z", 1795650067100000000},
      {"2026-11-25T23:41:07Z", 1795650067000000000},
      {"2026-11-26T01:41:07.5+02:00", 1795650067500000000},
      {"2026-11-25T22:41:07-01:00", 1795650067000000000},
      {"2026-11-25T23:41:07.1234567891Z", 1795650067123456789},  // > ns: cut
      {"2000-02-29T00:00:00Z", 951782400000000000},
      {"2026-11-25T23:41:07", std::nullopt},
      {"2026-11-25 23:41:07Z", 1795650067000000000},
      {"2026-13-25T23:41:07Z", std::nullopt},
      {"2026-11-25T23:41:07.Z", std::nullopt},
      {"2026-11-25T23:41:07Zjunk", std::nullopt},
      {"1969-12-31T23:59:59Z", std::nullopt},
      {"yesterday", std::nullopt},
      {"", std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseRfc3339Nanos(c.text), c.want) << c.text;
}

TEST(LogLineTest, SdkLineBecomesLabelsMetadataAndTimestamp) {
  const loki::Labels statics = {{"env", "prod"}};
  std::string text =
      R"({"time":"2026-11-25T23:41:07.123456789Z","level":"ERROR","message":"boom",)"
      R"("service":"checkout","rows":3,"trace_id":"4bf92f3577b34da6a3ce929d0e0e4736",)"
      R"("span_id":"00f067aa0ba902b7","sampled":true,"request_id":"req-7"})";
  ShippedLine got = ParseLine(text, 42, statics);
  EXPECT_EQ(got.labels,
            (loki::Labels{{"env", "prod"}, {"level", "error"}, {"service_name", "checkout"}}));
  EXPECT_EQ(got.entry.timestamp_ns, 1795650067123456789);
  EXPECT_EQ(got.entry.line, text);  // shipped unchanged
  EXPECT_EQ(got.entry.structured_metadata, (std::vector<std::pair<std::string, std::string>>{
                                               {"trace_id", "4bf92f3577b34da6a3ce929d0e0e4736"},
                                               {"span_id", "00f067aa0ba902b7"},
                                               {"request_id", "req-7"}}));
}

TEST(LogLineTest, StaticLabelsWinOverTheLine) {
  ShippedLine got = ParseLine(R"({"service":"other","level":"INFO"})", 42,
                              {{"level", "fixed"}, {"service_name", "checkout"}});
  EXPECT_EQ(got.labels, (loki::Labels{{"level", "fixed"}, {"service_name", "checkout"}}));
  EXPECT_EQ(got.entry.timestamp_ns, 42);  // no time: the read time
}

TEST(LogLineTest, NonSdkLinesShipAsIsWithTheReadTime) {
  const loki::Labels statics = {{"service_name", "checkout"}};
  for (std::string text : {"plain text line", "{not json", "[1,2]", "", R"({"time":5})",
                           R"({"time":"bad","trace_id":7})"}) {
    ShippedLine got = ParseLine(text, 42, statics);
    EXPECT_EQ(got.labels, statics) << text;
    EXPECT_EQ(got.entry.timestamp_ns, 42) << text;
    EXPECT_EQ(got.entry.line, text);
    EXPECT_TRUE(got.entry.structured_metadata.empty()) << text;
  }
}

TEST(LogLineTest, LabelsFlag) {
  Result<loki::Labels> ok = ParseLabelsFlag("service_name=checkout,env=prod,,empty=");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ(*ok, (loki::Labels{{"empty", ""}, {"env", "prod"}, {"service_name", "checkout"}}));
  for (std::string_view bad : {"noequals", "1a=b", "a=b,a=c", "=v"}) {
    EXPECT_FALSE(ParseLabelsFlag(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace quartet::ship

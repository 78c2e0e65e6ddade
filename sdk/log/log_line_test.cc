#include "sdk/log/log_line.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "wire/json/json_parser.h"

namespace quartet::log_internal {
namespace {

TEST(LogLineTest, Rfc3339Nanos) {
  struct Case {
    int64_t nanos;
    const char* text;
  };
  const Case cases[] = {
      {0, "\"1970-01-01T00:00:00.000000000Z\""},
      {1, "\"1970-01-01T00:00:00.000000001Z\""},
      {-1, "\"1969-12-31T23:59:59.999999999Z\""},
      {951782400'000000000, "\"2000-02-29T00:00:00.000000000Z\""},  // leap day
      {1795736467'123456789, "\"2026-11-26T23:41:07.123456789Z\""},
      {4102444799'999999999, "\"2099-12-31T23:59:59.999999999Z\""},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendRfc3339Nanos(c.nanos, &out);
    EXPECT_EQ(out, c.text) << c.nanos;
  }
}

TEST(LogLineTest, AttributeRendering) {
  struct Case {
    LogAttr attr;
    const char* json;
  };
  const std::string owned = "owned";
  const Case cases[] = {
      {LogAttr("s", "text"), R"(,"s":"text")"},
      {LogAttr("s", owned), R"(,"s":"owned")"},
      {LogAttr("s", static_cast<const char*>(nullptr)), R"(,"s":"")"},
      {LogAttr("i", -42), R"(,"i":-42)"},
      {LogAttr("i8", int8_t{-8}), R"(,"i8":-8)"},
      {LogAttr("u", uint64_t{18446744073709551615u}), R"(,"u":18446744073709551615)"},
      {LogAttr("u16", uint16_t{7}), R"(,"u16":7)"},
      {LogAttr("d", 0.25), R"(,"d":0.25)"},
      {LogAttr("f", 1.5f), R"(,"f":1.5)"},
      {LogAttr("nan", std::nan("")), R"(,"nan":"NaN")"},
      {LogAttr("inf", -std::numeric_limits<double>::infinity()), R"(,"inf":"-Infinity")"},
      {LogAttr("b", true), R"(,"b":true)"},
      {LogAttr("b", false), R"(,"b":false)"},
      {LogAttr("dur", std::chrono::milliseconds(1500)), R"(,"dur":1.5)"},
      {LogAttr("dur", std::chrono::microseconds(12)), R"(,"dur":1.2e-05)"},
      {LogAttr("dur", std::chrono::duration<double>(0.25)), R"(,"dur":0.25)"},
      {LogAttr("dur", std::chrono::hours(-1)), R"(,"dur":-3600)"},
      // Reserved keys are renamed; others are escaped like values.
      {LogAttr("message", "x"), R"(,"attr.message":"x")"},
      {LogAttr("time", 1), R"(,"attr.time":1)"},
      {LogAttr("trace_id", "t"), R"(,"attr.trace_id":"t")"},
      {LogAttr("request_id", "r"), R"(,"attr.request_id":"r")"},
      {LogAttr("messages", 1), R"(,"messages":1)"},
      {LogAttr("k\"\n", "v\x01\xff"), ",\"k\\\"\\n\":\"v\\u0001\xEF\xBF\xBD\""},
  };
  for (const Case& c : cases) {
    std::string out;
    AppendAttr(c.attr, &out);
    EXPECT_EQ(out, c.json);
  }
}

TEST(LogLineTest, FullLineIsValidJsonInFieldOrder) {
  const LogAttr attrs[] = {LogAttr("rows", 42), LogAttr("query", "SELECT \"x\"\n")};
  LineFields f;
  f.time_unix_nano = 1795736467'123456789;
  f.level = LogLevel::kWarn;
  f.message = "db \"slow\"\xC3";
  f.service_json = "\"checkout\"";
  f.bound_json = R"(,"component":"db")";
  f.attrs = attrs;
  f.has_span = true;
  for (int i = 0; i < 16; ++i) f.trace_id.bytes[i] = static_cast<uint8_t>(0xA0 + i);
  for (int i = 0; i < 8; ++i) f.span_id.bytes[i] = static_cast<uint8_t>(i);
  f.sampled = true;
  f.request_id = "req-1";
  std::string line;
  AppendLogLine(f, &line);
  EXPECT_EQ(line,
            "{\"time\":\"2026-11-26T23:41:07.123456789Z\",\"level\":\"WARN\","
            "\"message\":\"db \\\"slow\\\"\xEF\xBF\xBD\",\"service\":\"checkout\","
            "\"component\":\"db\",\"rows\":42,\"query\":\"SELECT \\\"x\\\"\\n\","
            "\"trace_id\":\"a0a1a2a3a4a5a6a7a8a9aaabacadaeaf\",\"span_id\":\"0001020304050607\","
            "\"sampled\":true,\"request_id\":\"req-1\"}\n");
  auto parsed = json::Parse(std::string_view(line).substr(0, line.size() - 1));
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  const char* order[] = {"time",  "level",    "message", "service", "component", "rows",
                         "query", "trace_id", "span_id", "sampled", "request_id"};
  ASSERT_EQ(parsed->members().size(), std::size(order));
  for (size_t i = 0; i < std::size(order); ++i) EXPECT_EQ(parsed->members()[i].key, order[i]);

  // No span: no trace fields; no request id: no request_id field.
  f.has_span = false;
  f.request_id = {};
  line.clear();
  AppendLogLine(f, &line);
  EXPECT_EQ(line.find("trace_id"), std::string::npos);
  EXPECT_EQ(line.find("sampled"), std::string::npos);
  EXPECT_EQ(line.find("request_id"), std::string::npos);
}

}  // namespace
}  // namespace quartet::log_internal

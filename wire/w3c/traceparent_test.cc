// Conformance table for traceparent, following the cases of the
// w3c/trace-context test suite (test/test.py) and spec section 3.2.
#include "wire/w3c/traceparent.h"

#include <gtest/gtest.h>

#include <string>

namespace quartet::w3c {
namespace {

constexpr char kTrace[] = "12345678901234567890123456789012";
constexpr char kSpan[] = "1234567890123456";

std::string Tp(std::string version, std::string trace, std::string span, std::string flags) {
  return version + "-" + trace + "-" + span + "-" + flags;
}

TEST(TraceparentTest, ConformanceTable) {
  struct Case {
    const char* name;
    std::string header;
    bool valid;
  };
  const std::string t = kTrace, s = kSpan;
  const Case cases[] = {
      {"basic sampled", Tp("00", t, s, "01"), true},
      {"basic not sampled", Tp("00", t, s, "00"), true},
      {"unknown flags accepted", Tp("00", t, s, "ff"), true},
      {"ows leading space", " " + Tp("00", t, s, "01"), true},
      {"ows leading tab", "\t" + Tp("00", t, s, "01"), true},
      {"ows trailing", Tp("00", t, s, "01") + " \t", true},
      {"empty", "", false},
      {"garbage", "0", false},
      {"version too short", Tp("0", t, s, "01"), false},
      {"version too long", Tp("000", t, s, "01"), false},
      {"version 0000", Tp("0000", t, s, "01"), false},
      {"version illegal .0", Tp(".0", t, s, "01"), false},
      {"version illegal 0.", Tp("0.", t, s, "01"), false},
      {"version uppercase", Tp("0A", t, s, "01"), false},
      {"version ff", Tp("ff", t, s, "01"), false},
      {"future version", Tp("cc", t, s, "01"), true},
      {"future version with extra field", Tp("cc", t, s, "01") + "-what-the-future-will-be-like",
       true},
      {"future version extra without dash", Tp("cc", t, s, "01") + ".what-the-future-will-be-like",
       false},
      {"version 00 with extra field", Tp("00", t, s, "01") + "-what-the-future-will-be-like",
       false},
      {"version 00 trailing char", Tp("00", t, s, "01") + ".", false},
      {"trace id all zero", Tp("00", std::string(32, '0'), s, "01"), false},
      {"trace id uppercase", Tp("00", "ABCDEF78901234567890123456789012", s, "01"), false},
      {"trace id illegal char", Tp("00", "1234567890123456789012345678901.", s, "01"), false},
      {"trace id too long", Tp("00", t + "3", s, "01"), false},
      {"trace id too short", Tp("00", t.substr(1), s, "01"), false},
      {"parent id all zero", Tp("00", t, std::string(16, '0'), "01"), false},
      {"parent id uppercase", Tp("00", t, "ABCDEF7890123456", "01"), false},
      {"parent id illegal char", Tp("00", t, "123456789012345.", "01"), false},
      {"parent id too long", Tp("00", t, s + "7", "01"), false},
      {"parent id too short", Tp("00", t, s.substr(1), "01"), false},
      {"flags illegal char", Tp("00", t, s, "0."), false},
      {"flags uppercase", Tp("00", t, s, "0A"), false},
      {"flags too long", Tp("00", t, s, "001"), false},
      {"flags too short", Tp("00", t, s, "1"), false},
      {"wrong separator", "00_" + t + "-" + s + "-01", false},
      {"future version too short", Tp("cc", t, s, "1"), false},
  };
  for (const Case& c : cases) {
    Result<SpanContext> r = ParseTraceparent(c.header);
    EXPECT_EQ(r.ok(), c.valid) << c.name << ": " << c.header << " -> " << r.status().ToString();
    if (r.ok()) {
      EXPECT_TRUE(r->is_remote) << c.name;
      EXPECT_TRUE(r->valid()) << c.name;
    } else {
      EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.name;
      EXPECT_FALSE(r.status().message().empty()) << c.name;
    }
  }
}

TEST(TraceparentTest, DecodesFields) {
  auto r = ParseTraceparent("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->trace_id.bytes[0], 0x0a);
  EXPECT_EQ(r->trace_id.bytes[15], 0x9c);
  EXPECT_EQ(r->span_id.bytes[0], 0xb7);
  EXPECT_EQ(r->span_id.bytes[7], 0x31);
  EXPECT_TRUE(r->sampled());
}

TEST(TraceparentTest, FormatRoundTripPropagatesOnlySampledBit) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00",
       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-ff",
       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
      {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-fe",
       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"},
      // A higher version is answered in the version we speak.
      {"cc-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01-extra",
       "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"},
  };
  for (const Case& c : cases) {
    auto r = ParseTraceparent(c.in);
    ASSERT_TRUE(r.ok()) << c.in;
    EXPECT_EQ(FormatTraceparent(*r), c.out);
  }
}

}  // namespace
}  // namespace quartet::w3c

#include "tools/quartet/incident/incident_command.h"

#include <gtest/gtest.h>

#include "tools/quartet/incident/render.h"
#include "tools/quartet/incident/time_spec.h"
#include "wire/json/json_parser.h"

namespace quartet::cli {
namespace {

constexpr int64_t kSec = 1000000000;
constexpr int64_t kNow = 1764151200 * kSec;  // 2025-11-26T10:00:00Z

TEST(TimeSpecTest, AcceptedForms) {
  struct Case {
    const char* text;
    int64_t want;
  };
  for (const Case& c :
       {Case{"now", kNow}, Case{"now-15m", kNow - 900 * kSec},
        Case{"now-1h30m", kNow - 5400 * kSec}, Case{"now-2d", kNow - 172800 * kSec},
        Case{"1764151200", kNow}, Case{"1764151200.25", kNow + kSec / 4},
        Case{"2025-11-26T10:00:00Z", kNow}, Case{"2025-11-26T11:00:00+01:00", kNow},
        Case{"2025-11-26T09:30:00-00:30", kNow}, Case{"2025-11-26T10:00:00.5Z", kNow + kSec / 2},
        Case{"1970-01-01T00:00:00Z", 0}}) {
    Result<int64_t> t = ParseTimeSpec(c.text, kNow);
    ASSERT_TRUE(t.ok()) << c.text << ": " << t.status().ToString();
    EXPECT_EQ(*t, c.want) << c.text;
  }
}

TEST(TimeSpecTest, RejectedFormsQuoteTheText) {
  for (const char* text :
       {"", "yesterday", "now-", "now-15", "now-15x", "now+5m", "1.2.3", "2025-11-26",
        "2025-11-26T10:00:00", "2025-13-26T10:00:00Z", "2025-11-26T10:00:00Zjunk", "99999999999"}) {
    Result<int64_t> t = ParseTimeSpec(text, kNow);
    ASSERT_FALSE(t.ok()) << text;
    EXPECT_NE(t.status().message().find(std::string("\"") + text + "\""), std::string::npos)
        << t.status().message();
  }
}

TEST(FindAlertInTest, PicksTheFiringAlertsServiceAndActiveAt) {
  Result<json::Value> doc = json::Parse(R"({"status":"success","data":{"alerts":[
    {"labels":{"alertname":"Other","service":"x"},"state":"firing","activeAt":"2025-11-26T09:00:00Z"},
    {"labels":{"alertname":"HighCheckoutLatency","job":"checkout"},"state":"pending",
     "activeAt":"2025-11-26T09:59:00Z"},
    {"labels":{"alertname":"HighCheckoutLatency","service":"checkout"},"state":"firing",
     "activeAt":"2025-11-26T09:55:00.000Z"}]}})");
  ASSERT_TRUE(doc.ok());
  Result<AlertRef> ref = FindAlertIn(*doc, "HighCheckoutLatency");
  ASSERT_TRUE(ref.ok()) << ref.status().ToString();
  EXPECT_EQ(ref->service, "checkout");
  EXPECT_EQ(ref->active_ns, kNow - 300 * kSec);
  EXPECT_EQ(FindAlertIn(*doc, "Nope").status().code(), StatusCode::kNotFound);
  Result<json::Value> bad = json::Parse(R"({"status":"success","data":{}})");
  EXPECT_EQ(FindAlertIn(*bad, "x").status().code(), StatusCode::kInvalidArgument);
}

TEST(RenderTest, FourQuestionsThenTheConclusionAndNoEscapes) {
  Result<json::Value> doc = json::Parse(R"({"service":"checkout",
    "window":{"from":1764151200,"to":1764152100},"baseline":{"from":1764150300,"to":1764151200},
    "onset":1764151500,
    "broken":[{"summary":"/checkout is slow: p99 4 ms -> 812 ms","signal":"latency p99",
      "subject":{"route":"/checkout"},"baseline":4,"incident":812,"unit":"ms","score":0.9,
      "links":["/ui/explore/traces?q=x"]}],
    "who":[{"summary":"user_id=42\u001b[31m evil","signal":"attribute","subject":{},
      "baseline":0.05,"incident":1,"unit":"share","score":0.9,"links":[]}],
    "where":[],"why":[],"requests":{"baseline":7000,"incident":7100},
    "conclusion":"It is the index."})");
  ASSERT_TRUE(doc.ok());
  const std::string text = RenderIncidentText(*doc, "http://h:1");
  EXPECT_NE(text.find("Incident report for checkout"), std::string::npos) << text;
  EXPECT_NE(text.find("onset     2025-11-26T10:05:00Z"), std::string::npos) << text;
  EXPECT_NE(text.find(" 1. /checkout is slow"), std::string::npos) << text;
  EXPECT_NE(text.find("[latency p99: 4 -> 812 ms; score 0.9]"), std::string::npos) << text;
  EXPECT_NE(text.find("http://h:1/ui/explore/traces?q=x"), std::string::npos) << text;
  EXPECT_NE(text.find("No span stands out."), std::string::npos) << text;
  EXPECT_EQ(text.find('\x1b'), std::string::npos);
  EXPECT_NE(text.find("user_id=42?[31m evil"), std::string::npos) << text;
  const size_t conclusion = text.find("Conclusion\n  It is the index.\n");
  ASSERT_NE(conclusion, std::string::npos) << text;
  EXPECT_EQ(conclusion + std::string("Conclusion\n  It is the index.\n").size(), text.size());
}

TEST(IncidentCommandTest, FlagErrorsExitTwo) {
  for (const std::vector<std::string>& args : std::vector<std::vector<std::string>>{
           {},
           {"--server", "http://127.0.0.1:1"},
           {"--server", "http://127.0.0.1:1", "--service", "x"},
           {"--server", "http://127.0.0.1:1", "--service", "x", "--from", "soon"},
           {"--server", "http://127.0.0.1:1", "--service", "x", "--from", "now-1h", "--format",
            "xml"},
           {"--server", "ftp://h", "--service", "x", "--from", "now-1h"},
           {"--server", "http://127.0.0.1:1", "--service", "x", "--from", "now-1h",
            "--baseline-from", "now-2h"},
           {"--server", "http://127.0.0.1:1", "--bogus", "1"}}) {
    EXPECT_EQ(RunIncidentCommand(args), 2) << ::testing::PrintToString(args);
  }
  // A server that is not there is a runtime error, not a flag error.
  EXPECT_EQ(RunIncidentCommand({"--server", "http://127.0.0.1:1", "--service", "x", "--from",
                                "now-1h", "--timeout", "2"}),
            1);
}

}  // namespace
}  // namespace quartet::cli

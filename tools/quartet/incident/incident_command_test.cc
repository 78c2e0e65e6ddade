#include "tools/quartet/incident/incident_command.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <map>
#include <mutex>
#include <thread>

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

// A quartetd stand-in that records the report requests it is asked.
class FakeQuartetd {
 public:
  FakeQuartetd() {
    server_.Get("/api/v1/incident", [this](const httplib::Request& r, httplib::Response& res) {
      std::lock_guard l(mu_);
      params_ = r.params;
      res.set_content(R"({"service":"checkout","window":{"from":1,"to":2},
        "baseline":{"from":0,"to":1},"onset":null,"broken":[],"who":[],"where":[],"why":[],
        "requests":{"baseline":1,"incident":1},"conclusion":"Nothing is broken."})",
                      "application/json");
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~FakeQuartetd() {
    server_.stop();
    thread_.join();
  }
  std::string url() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::multimap<std::string, std::string> params() {
    std::lock_guard l(mu_);
    return {params_.begin(), params_.end()};
  }

 private:
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  httplib::Params params_;
};

TEST(IncidentCommandTest, AlertGoesToTheServerWhichDecidesTheWindow) {
  FakeQuartetd q;
  ASSERT_EQ(RunIncidentCommand({"--server", q.url(), "--alert", "High Latency&x"}), 0);
  EXPECT_EQ(q.params(), (std::multimap<std::string, std::string>{{"alert", "High Latency&x"}}));
  // Flags given beside --alert override the server's choice.
  ASSERT_EQ(RunIncidentCommand({"--server", q.url(), "--alert", "A", "--service", "s", "--from",
                                "1764151200", "--format", "json"}),
            0);
  EXPECT_EQ(q.params(), (std::multimap<std::string, std::string>{
                            {"alert", "A"}, {"from", "1764151200.000000000"}, {"service", "s"}}));
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

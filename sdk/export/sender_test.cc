#include "sdk/export/sender.h"

#include <curl/curl.h>
#include <gtest/gtest.h>

#include <atomic>
#include <mutex>
#include <vector>

#include "base/clock.h"
#include "tests/support/http_server.h"

namespace quartet::exporter {
namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;
using testing::FreeLoopbackPort;
using testing::TestHttpServer;

// Fast backoff so tests exercise retries in milliseconds, not seconds.
RetryPolicy FastPolicy() {
  RetryPolicy p;
  p.initial_backoff = milliseconds(20);
  p.max_backoff = milliseconds(80);
  return p;
}

ExportRequest Request(const std::string& url, bool gzip = false) {
  ExportRequest r;
  r.url = url;
  r.body = "payload";
  r.content_type = "application/x-protobuf";
  r.gzip = gzip;
  return r;
}

// Replies with the given statuses in order, then 200 forever.
struct ScriptedServer {
  explicit ScriptedServer(std::vector<int> statuses, std::string retry_after = "")
      : script(std::move(statuses)) {
    server.server().Post("/v1/traces",
                         [this, retry_after](const httplib::Request& req, httplib::Response& res) {
                           std::lock_guard<std::mutex> lock(mu);
                           arrivals.push_back(Clock::now());
                           bodies.push_back(req.body);
                           size_t i = arrivals.size() - 1;
                           res.status = i < script.size() ? script[i] : 200;
                           if (res.status != 200 && !retry_after.empty())
                             res.set_header("Retry-After", retry_after);
                           res.set_content("status " + std::to_string(res.status), "text/plain");
                         });
    started = server.Start();
  }
  size_t count() {
    std::lock_guard<std::mutex> lock(mu);
    return arrivals.size();
  }

  TestHttpServer server;
  std::vector<int> script;
  std::mutex mu;
  std::vector<Clock::time_point> arrivals;
  std::vector<std::string> bodies;
  bool started = false;
};

TEST(SenderTest, SuccessOnFirstAttempt) {
  ScriptedServer s({});
  ASSERT_TRUE(s.started);
  Sender sender(FastPolicy());
  auto out = sender.Send(Request(s.server.Url("/v1/traces")), Clock::now() + milliseconds(5000));
  EXPECT_EQ(out.result, ExportResult::kSuccess);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_EQ(out.response.status, 200);
  EXPECT_EQ(out.response.body, "status 200");  // left to the caller (partial_success)
  SendStats st = sender.stats();
  EXPECT_EQ(st.exports, 1u);
  EXPECT_EQ(st.requests, 1u);
  EXPECT_EQ(st.retries, 0u);
  EXPECT_EQ(st.successes, 1u);
  EXPECT_EQ(st.failures, 0u);
  EXPECT_EQ(st.bytes_sent, 7u);
}

TEST(SenderTest, RetriesOnlyRetryableStatuses) {
  struct Case {
    std::vector<int> script;
    ExportResult want;
    int attempts;
  } cases[] = {
      {{503}, ExportResult::kSuccess, 2},          {{502, 504, 429}, ExportResult::kSuccess, 4},
      {{400}, ExportResult::kPermanentFailure, 1}, {{401}, ExportResult::kPermanentFailure, 1},
      {{404}, ExportResult::kPermanentFailure, 1}, {{413}, ExportResult::kPermanentFailure, 1},
      {{500}, ExportResult::kPermanentFailure, 1}, {{503, 400}, ExportResult::kPermanentFailure, 2},
  };
  for (const Case& c : cases) {
    ScriptedServer s(c.script);
    ASSERT_TRUE(s.started);
    std::vector<std::string> logged;
    Sender sender(FastPolicy(), {}, [&](std::string_view m) { logged.emplace_back(m); });
    auto out = sender.Send(Request(s.server.Url("/v1/traces")), Clock::now() + milliseconds(5000));
    EXPECT_EQ(out.result, c.want) << ExportResultName(out.result) << " for " << c.script[0];
    EXPECT_EQ(out.attempts, c.attempts);
    EXPECT_EQ(s.count(), static_cast<size_t>(c.attempts));
    EXPECT_EQ(sender.stats().retries, static_cast<uint64_t>(c.attempts - 1));
    EXPECT_EQ(logged.size(), c.want == ExportResult::kPermanentFailure ? 1u : 0u);
  }
}

TEST(SenderTest, PermanentFailureIsLoggedOncePerStatus) {
  ScriptedServer s({400, 400, 400, 401});
  ASSERT_TRUE(s.started);
  std::vector<std::string> logged;
  Sender sender(FastPolicy(), {}, [&](std::string_view m) { logged.emplace_back(m); });
  for (int i = 0; i < 4; ++i) {
    auto out = sender.Send(Request(s.server.Url("/v1/traces")), Clock::now() + milliseconds(5000));
    EXPECT_EQ(out.result, ExportResult::kPermanentFailure);
  }
  ASSERT_EQ(logged.size(), 2u);
  EXPECT_NE(logged[0].find("HTTP 400"), std::string::npos) << logged[0];
  EXPECT_NE(logged[0].find("status 400"), std::string::npos) << "body excerpt: " << logged[0];
  EXPECT_NE(logged[1].find("HTTP 401"), std::string::npos);
  EXPECT_EQ(sender.stats().failures, 4u);
}

TEST(SenderTest, PermanentTransportErrorsAreNotRetriedAndLoggedOnce) {
  std::vector<std::string> logged;
  Sender sender(FastPolicy(), {}, [&](std::string_view m) { logged.emplace_back(m); });
  for (int i = 0; i < 3; ++i) {
    auto out =
        sender.Send(Request("gopher://127.0.0.1/v1/traces"), Clock::now() + milliseconds(5000));
    EXPECT_EQ(out.result, ExportResult::kPermanentFailure);
    EXPECT_EQ(out.attempts, 1);
    EXPECT_EQ(out.last_error.code(), StatusCode::kInvalidArgument);
  }
  ASSERT_EQ(logged.size(), 1u);
  EXPECT_NE(logged[0].find("INVALID_ARGUMENT"), std::string::npos) << logged[0];
}

TEST(SenderTest, HonoursRetryAfterSeconds) {
  ScriptedServer s({429}, "1");
  ASSERT_TRUE(s.started);
  Sender sender(FastPolicy());  // backoff alone would retry after ~20 ms
  auto out = sender.Send(Request(s.server.Url("/v1/traces")), Clock::now() + milliseconds(5000));
  EXPECT_EQ(out.result, ExportResult::kSuccess);
  ASSERT_EQ(s.count(), 2u);
  EXPECT_GE(s.arrivals[1] - s.arrivals[0], milliseconds(950));
  EXPECT_LT(s.arrivals[1] - s.arrivals[0], milliseconds(2000));
}

TEST(SenderTest, RetryAfterPastTheDeadlineGivesUpAtOnce) {
  ScriptedServer s({503}, "30");
  ASSERT_TRUE(s.started);
  Sender sender(FastPolicy());
  auto start = Clock::now();
  auto out = sender.Send(Request(s.server.Url("/v1/traces")), start + milliseconds(2000));
  EXPECT_EQ(out.result, ExportResult::kRetryableFailure);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_EQ(out.response.status, 503);
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
}

TEST(SenderTest, GzipRequestIsCompressedOnceAndDecodes) {
  ScriptedServer s({503});
  ASSERT_TRUE(s.started);
  Sender sender(FastPolicy());
  ExportRequest req = Request(s.server.Url("/v1/traces"), /*gzip=*/true);
  req.body = std::string(20000, 'g');
  auto out = sender.Send(req, Clock::now() + milliseconds(5000));
  EXPECT_EQ(out.result, ExportResult::kSuccess);
  ASSERT_EQ(s.bodies.size(), 2u);
  EXPECT_EQ(s.bodies[0], req.body);
  EXPECT_EQ(s.bodies[1], req.body);
  uint64_t sent = sender.stats().bytes_sent;
  EXPECT_GT(sent, 0u);
  EXPECT_LT(sent, 2 * 1000u);  // two compressed copies of 20 kB of 'g'
}

TEST(SenderTest, ConnectionRefusedRetriesUntilTheDeadline) {
  Sender sender(FastPolicy());
  auto start = Clock::now();
  auto out =
      sender.Send(Request("http://127.0.0.1:" + std::to_string(FreeLoopbackPort()) + "/v1/traces"),
                  start + milliseconds(600));
  auto took = Clock::now() - start;
  EXPECT_EQ(out.result, ExportResult::kRetryableFailure);
  EXPECT_EQ(out.last_error.code(), StatusCode::kUnavailable) << out.last_error.ToString();
  EXPECT_GE(out.attempts, 3);
  EXPECT_LT(took, milliseconds(900));  // returns by the deadline (+ slack)
  EXPECT_EQ(sender.stats().failures, 1u);
}

TEST(SenderTest, BackoffGrowsExponentiallyUpToTheCap) {
  ScriptedServer s({503, 503, 503, 503});
  ASSERT_TRUE(s.started);
  RetryPolicy p;
  p.initial_backoff = milliseconds(60);
  p.max_backoff = milliseconds(150);
  p.multiplier = 2;
  p.jitter = 0;
  Sender sender(p);
  auto out = sender.Send(Request(s.server.Url("/v1/traces")), Clock::now() + milliseconds(5000));
  EXPECT_EQ(out.result, ExportResult::kSuccess);
  ASSERT_EQ(s.arrivals.size(), 5u);
  const int want_ms[] = {60, 120, 150, 150};  // 60 * 2^n, capped at 150
  for (int i = 0; i < 4; ++i) {
    auto gap = std::chrono::duration_cast<milliseconds>(s.arrivals[i + 1] - s.arrivals[i]);
    EXPECT_GE(gap.count(), want_ms[i]) << "retry " << i;
    EXPECT_LT(gap.count(), want_ms[i] + 50) << "retry " << i;
  }
}

TEST(SenderTest, JitterShortensWaitsWithinItsBand) {
  ScriptedServer s({503, 503, 503, 503, 503, 503});
  ASSERT_TRUE(s.started);
  RetryPolicy p;
  p.initial_backoff = milliseconds(100);
  p.max_backoff = milliseconds(100);
  p.jitter = 0.5;  // waits drawn from [50, 100] ms
  Sender sender(p);
  auto out = sender.Send(Request(s.server.Url("/v1/traces")), Clock::now() + milliseconds(5000));
  EXPECT_EQ(out.result, ExportResult::kSuccess);
  ASSERT_EQ(s.arrivals.size(), 7u);
  for (size_t i = 0; i + 1 < s.arrivals.size(); ++i) {
    auto gap = std::chrono::duration_cast<milliseconds>(s.arrivals[i + 1] - s.arrivals[i]);
    EXPECT_GE(gap.count(), 50) << i;
    EXPECT_LT(gap.count(), 140) << i;
  }
}

TEST(SenderTest, AfterCancelAtMostOneAttempt) {
  ScriptedServer s({503, 503});
  ASSERT_TRUE(s.started);
  Sender sender(FastPolicy());
  sender.Cancel();
  auto out = sender.Send(Request(s.server.Url("/v1/traces")), Clock::now() + milliseconds(5000));
  EXPECT_EQ(out.result, ExportResult::kRetryableFailure);
  EXPECT_EQ(out.attempts, 1);
}

TEST(SenderTest, MaxAttemptsBoundsRetries) {
  RetryPolicy p = FastPolicy();
  p.max_attempts = 2;
  Sender sender(p);
  auto out =
      sender.Send(Request("http://127.0.0.1:" + std::to_string(FreeLoopbackPort()) + "/v1/traces"),
                  Clock::now() + milliseconds(5000));
  EXPECT_EQ(out.result, ExportResult::kRetryableFailure);
  EXPECT_EQ(out.attempts, 2);
}

TEST(SenderTest, HangingServerTimesOutAtTheDeadline) {
  TestHttpServer server;
  std::atomic<bool> release{false};
  server.server().Post("/v1/traces", [&](const httplib::Request&, httplib::Response& res) {
    for (int i = 0; i < 300 && !release; ++i) std::this_thread::sleep_for(milliseconds(10));
    res.status = 200;
  });
  ASSERT_TRUE(server.Start());
  Sender sender(FastPolicy());
  auto start = Clock::now();
  auto out = sender.Send(Request(server.Url("/v1/traces")), start + milliseconds(400));
  auto took = Clock::now() - start;
  release = true;
  EXPECT_EQ(out.result, ExportResult::kTimeout);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_EQ(out.last_error.code(), StatusCode::kDeadlineExceeded);
  EXPECT_GE(took, milliseconds(380));
  EXPECT_LT(took, milliseconds(1200));
}

TEST(SenderTest, DeadlineAlreadyPassedMakesNoAttempt) {
  Sender sender(FastPolicy());
  auto out = sender.Send(Request("http://127.0.0.1:1/"), Clock::now() - milliseconds(1));
  EXPECT_EQ(out.result, ExportResult::kTimeout);
  EXPECT_EQ(out.attempts, 0);
}

TEST(SenderTest, CancelWakesABackoffWait) {
  ScriptedServer s({503, 503, 503}, "3");
  ASSERT_TRUE(s.started);
  Sender sender(FastPolicy());
  SendOutcome out;
  auto start = Clock::now();
  std::thread t(
      [&] { out = sender.Send(Request(s.server.Url("/v1/traces")), start + milliseconds(8000)); });
  while (s.count() == 0) std::this_thread::sleep_for(milliseconds(5));
  std::this_thread::sleep_for(milliseconds(50));
  sender.Cancel();
  t.join();
  EXPECT_EQ(out.result, ExportResult::kRetryableFailure);
  EXPECT_EQ(out.attempts, 1);
  EXPECT_LT(Clock::now() - start, milliseconds(1500));
}

TEST(RetryTest, RetryableStatuses) {
  for (int status : {429, 502, 503, 504}) EXPECT_TRUE(IsRetryableStatus(status)) << status;
  for (int status : {200, 204, 400, 401, 403, 404, 408, 413, 500, 501, 505}) {
    EXPECT_FALSE(IsRetryableStatus(status)) << status;
  }
}

TEST(RetryTest, ParseRetryAfter) {
  // 2015-10-21T07:28:00Z
  const int64_t now = int64_t{1445412480} * 1'000'000'000;
  struct Case {
    std::string in;
    std::optional<milliseconds> want;
  } cases[] = {
      {"0", milliseconds(0)},
      {"1", milliseconds(1000)},
      {" 120 ", milliseconds(120000)},
      {"999999999999", milliseconds(86400 * 1000)},  // clamped to a day
      {"Wed, 21 Oct 2015 07:28:05 GMT", milliseconds(5000)},
      {"Wednesday, 21-Oct-15 07:28:10 GMT", milliseconds(10000)},  // RFC 850
      {"Wed Oct 21 07:28:02 2015", milliseconds(2000)},            // asctime
      {"Wed, 21 Oct 2015 07:27:00 GMT", milliseconds(0)},          // in the past
      {"", std::nullopt},
      {"-1", std::nullopt},
      {"1.5", std::nullopt},
      {"soon", std::nullopt},
  };
  for (const Case& c : cases) EXPECT_EQ(ParseRetryAfter(c.in, now), c.want) << c.in;
}

}  // namespace
}  // namespace quartet::exporter

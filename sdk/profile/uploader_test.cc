#include "sdk/profile/uploader.h"

#include <gtest/gtest.h>

#include <atomic>
#include <functional>
#include <thread>

#include "sdk/profile/test_receiver.h"

namespace quartet::profile_internal {
namespace {

TEST(Ingest, UrlCarriesNameTagsAndTimes) {
  UploadConfig c;
  c.server_address = "http://127.0.0.1:4040/";
  c.app_name = "checkout svc";
  c.tags = {{"service_name", "checkout svc"}, {"service_version", "1.2.3"}, {"env", "prod,eu"}};
  c.sample_rate_hz = 100;
  EXPECT_EQ(SeriesName(c, "cpu"),
            "checkout_svc.cpu{env=prod_eu,service_name=checkout_svc,service_version=1.2.3}");
  EXPECT_EQ(IngestUrl(c, "cpu", 1700000000, 1700000010),
            "http://127.0.0.1:4040/ingest?name=checkout_svc.cpu%7Benv%3Dprod_eu%2Cservice_name%"
            "3Dcheckout_svc%2Cservice_version%3D1.2.3%7D&from=1700000000&until=1700000010"
            "&sampleRate=100&spyName=quartet-cpp&format=pprof");
  struct Case {
    const char* in;
    const char* want;
  };
  for (const Case& c2 :
       {Case{"a{b}=c", "a_b__c"}, Case{"ok.name-1/x", "ok.name-1/x"}, Case{"", ""}}) {
    EXPECT_EQ(SanitizeAppName(c2.in), c2.want);
  }
  EXPECT_EQ(SanitizeTagValue("v1@host:8080"), "v1@host:8080");
}

UploadConfig FastConfig(const std::string& address) {
  UploadConfig c;
  c.server_address = address;
  c.app_name = "svc";
  c.tags["service_name"] = "svc";
  c.initial_backoff = std::chrono::milliseconds(10);
  c.timeout = std::chrono::milliseconds(2000);
  c.max_attempts = 3;
  return c;
}

bool WaitFor(const std::function<bool()>& pred) {
  for (int i = 0; i < 500; ++i) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(Uploader, RetriesTransientErrorsThenDelivers) {
  TestReceiver r({503, 429, 200});
  UploadCounters counters;
  Uploader u(FastConfig(r.address()), &counters);
  u.Enqueue("body-bytes", "cpu", 10, 20);
  ASSERT_TRUE(WaitFor([&] { return counters.uploaded.load() == 1; }));
  EXPECT_EQ(counters.retries.load(), 2u);
  EXPECT_EQ(counters.failed.load(), 0u);
  ASSERT_EQ(r.captured().size(), 3u);
  EXPECT_EQ(r.captured()[2].name, "svc.cpu{service_name=svc}");
  EXPECT_EQ(r.captured()[2].body, "body-bytes");
}

TEST(Uploader, RejectionsAndExhaustedRetriesAreCountedDrops) {
  TestReceiver r({400, 500, 500, 500});
  UploadCounters counters;
  Uploader u(FastConfig(r.address()), &counters);
  u.Enqueue("a", "cpu", 1, 2);  // 400: dropped at once
  ASSERT_TRUE(WaitFor([&] { return counters.failed.load() == 1; }));
  EXPECT_EQ(r.captured().size(), 1u);
  u.Enqueue("b", "cpu", 1, 2);  // 500 x3: dropped after the last attempt
  ASSERT_TRUE(WaitFor([&] { return counters.failed.load() == 2; }));
  EXPECT_EQ(r.captured().size(), 4u);
  EXPECT_EQ(counters.retries.load(), 2u);
  EXPECT_EQ(counters.uploaded.load(), 0u);
}

TEST(Uploader, UnreachableServerDoesNotBlockShutdown) {
  UploadCounters counters;
  UploadConfig c = FastConfig("http://127.0.0.1:1");  // nothing listens on port 1
  c.initial_backoff = std::chrono::milliseconds(5000);
  c.max_queued = 2;
  Uploader u(c, &counters);
  for (int i = 0; i < 5; ++i) u.Enqueue("x", "cpu", 1, 2);
  EXPECT_GE(counters.queue_dropped.load(), 2u);
  auto t0 = std::chrono::steady_clock::now();
  u.Shutdown(std::chrono::milliseconds(200));
  EXPECT_LT(std::chrono::steady_clock::now() - t0, std::chrono::seconds(3));
  EXPECT_EQ(counters.uploaded.load(), 0u);
  EXPECT_EQ(counters.failed.load() + counters.queue_dropped.load(), 5u);
}

}  // namespace
}  // namespace quartet::profile_internal

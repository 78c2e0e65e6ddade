#include "server/alert/notifier.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <thread>

#include "wire/json/json_parser.h"

namespace quartet::alert {
namespace {

NotificationAlert Firing(const char* instance) {
  NotificationAlert a;
  a.labels = {{"alertname", "HighLatency"}, {"instance", instance}, {"severity", "page"}};
  a.annotations = {{"summary", std::string("slow ") + instance}};
  a.starts_at_ms = 1'700'000'000'250;
  a.ends_at_ms = 4'000'000'000'000;
  a.generator_url = "http://q:4318/graph?g0.expr=up&g0.tab=1";
  return a;
}

TEST(NotifierTest, Rfc3339AndFingerprint) {
  EXPECT_EQ(Rfc3339(1'700'000'000'250), "2023-11-14T22:13:20.25Z");
  EXPECT_EQ(Rfc3339(1'700'000'000'000), "2023-11-14T22:13:20Z");
  // Alertmanager's fingerprint of {alertname="foo"} (model.LabelSet.Fingerprint).
  EXPECT_EQ(Fingerprint({}), "cbf29ce484222325");
  EXPECT_EQ(Fingerprint({{"b", "2"}, {"a", "1"}}), Fingerprint({{"a", "1"}, {"b", "2"}}));
  EXPECT_NE(Fingerprint({{"a", "1"}}), Fingerprint({{"a", "2"}}));
}

TEST(NotifierTest, WebhookPayloadHasAlertmanagersShape) {
  NotificationAlert resolved = Firing("b");
  resolved.resolved = true;
  resolved.ends_at_ms = 1'700'000'100'000;
  const std::string body =
      WebhookPayload({Firing("a"), resolved}, "oncall", "http://q:4318", 1'700'000'200'000);
  Result<json::Value> doc = json::Parse(body);
  ASSERT_TRUE(doc.ok()) << body;
  EXPECT_EQ(doc->Find("version")->string_value(), "4");
  EXPECT_EQ(doc->Find("receiver")->string_value(), "oncall");
  EXPECT_EQ(doc->Find("status")->string_value(), "firing");
  EXPECT_EQ(doc->Find("groupKey")->string_value(), "{}:{alertname=\"HighLatency\"}");
  EXPECT_EQ(doc->Find("externalURL")->string_value(), "http://q:4318");
  EXPECT_EQ(json::Serialize(*doc->Find("groupLabels")), "{\"alertname\":\"HighLatency\"}");
  EXPECT_EQ(json::Serialize(*doc->Find("commonLabels")),
            "{\"alertname\":\"HighLatency\",\"severity\":\"page\"}");
  EXPECT_EQ(json::Serialize(*doc->Find("commonAnnotations")), "{}");
  const auto& alerts = doc->Find("alerts")->items();
  ASSERT_EQ(alerts.size(), 2u);
  EXPECT_EQ(alerts[0].Find("status")->string_value(), "firing");
  EXPECT_EQ(alerts[0].Find("startsAt")->string_value(), "2023-11-14T22:13:20.25Z");
  EXPECT_EQ(alerts[0].Find("endsAt")->string_value(), "0001-01-01T00:00:00Z");
  EXPECT_EQ(alerts[0].Find("fingerprint")->string_value(), Fingerprint(Firing("a").labels));
  EXPECT_EQ(alerts[1].Find("status")->string_value(), "resolved");
  EXPECT_EQ(alerts[1].Find("endsAt")->string_value(), "2023-11-14T22:15:00Z");
}

TEST(NotifierTest, AlertmanagerPayload) {
  EXPECT_EQ(AlertmanagerPayload({Firing("a")}),
            "[{\"labels\":{\"alertname\":\"HighLatency\",\"instance\":\"a\",\"severity\":\"page\"},"
            "\"annotations\":{\"summary\":\"slow a\"},\"startsAt\":\"2023-11-14T22:13:20.25Z\","
            "\"endsAt\":\"2096-10-02T07:06:40Z\",\"generatorURL\":\"http://q:4318/graph?g0.expr=up&"
            "g0.tab=1\"}]");
}

TEST(NotifierTest, DeliversRetriesAndAnnotates) {
  httplib::Server server;
  std::mutex mu;
  std::vector<std::string> hook_bodies, am_bodies;
  int am_calls = 0;
  server.Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    hook_bodies.push_back(req.body);
    res.status = 200;
  });
  server.Post("/api/v2/alerts", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    // The first attempt fails: the notifier retries.
    res.status = ++am_calls == 1 ? 503 : 200;
    if (res.status == 200) am_bodies.push_back(req.body);
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  NotifierOptions options;
  options.alertmanager_urls = {"http://127.0.0.1:" + std::to_string(port) + "/api/v2/alerts"};
  options.webhooks = {{"http://127.0.0.1:" + std::to_string(port) + "/hook", true, "w"}};
  options.initial_backoff_ms = 10;
  options.annotate = [](NotificationAlert* a) {
    a->annotations.emplace_back("quartet_incident_url", "http://q/incident/1");
  };
  Notifier notifier(options);
  notifier.Start();
  NotificationAlert resolved_again = Firing("c");
  resolved_again.resolved = true;  // already sent as resolved: not to webhooks
  notifier.Send({Firing("a"), resolved_again});
  for (int i = 0; i < 500; ++i) {
    {
      std::lock_guard<std::mutex> lock(mu);
      if (!hook_bodies.empty() && !am_bodies.empty()) break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  notifier.Stop();
  server.stop();
  t.join();
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(hook_bodies.size(), 1u);
  ASSERT_EQ(am_bodies.size(), 1u);
  EXPECT_EQ(am_calls, 2);
  EXPECT_NE(hook_bodies[0].find("\"quartet_incident_url\":\"http://q/incident/1\""),
            std::string::npos);
  EXPECT_EQ(hook_bodies[0].find("\"instance\":\"c\""), std::string::npos) << hook_bodies[0];
  EXPECT_NE(am_bodies[0].find("\"instance\":\"c\""), std::string::npos);
  const Notifier::Stats s = notifier.stats();
  EXPECT_EQ(s.errors, 1);
  EXPECT_EQ(s.sent, 3);  // 2 to the Alertmanager, 1 to the webhook
  EXPECT_EQ(s.dropped, 0);
}

TEST(NotifierTest, FullQueueDropsOldestAndCounts) {
  NotifierOptions options;
  options.webhooks = {{"http://127.0.0.1:1/unreachable", true, "w"}};
  options.queue_capacity = 3;
  Notifier notifier(options);  // not started: nothing drains the queue
  notifier.Send({Firing("a"), Firing("b"), Firing("c"), Firing("d"), Firing("e")});
  EXPECT_EQ(notifier.stats().dropped, 2);
  EXPECT_EQ(notifier.stats().queue_length, 3);
}

}  // namespace
}  // namespace quartet::alert

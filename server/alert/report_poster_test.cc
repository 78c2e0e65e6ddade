#include "server/alert/report_poster.h"

#include <gtest/gtest.h>
#include <httplib.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "server/alert/notifier.h"
#include "wire/json/json_parser.h"

namespace quartet::alert {
namespace {

using namespace std::chrono_literals;

NotificationAlert Firing(const char* service) {
  NotificationAlert a;
  a.labels = {{"alertname", "HighLatency"}, {"service", service}, {"severity", "page"}};
  a.starts_at_ms = 1'700'000'010'000;
  a.active_at_ms = 1'700'000'000'000;
  a.ends_at_ms = 1'700'000'240'000;
  a.newly_firing = true;
  return a;
}

// Waits up to 5 s for `done`.
template <typename F>
bool WaitFor(F done) {
  for (int i = 0; i < 500; ++i) {
    if (done()) return true;
    std::this_thread::sleep_for(10ms);
  }
  return done();
}

// A provider that blocks until released, recording what it was asked.
class GatedProvider {
 public:
  Result<AttachedReport> operator()(const ReportSubject& s) {
    std::unique_lock<std::mutex> lock(mu_);
    subjects_.push_back(s);
    cv_.notify_all();
    cv_.wait(lock, [this] { return open_; });
    if (s.service == "broken-engine") return Status::Internal("store unavailable");
    return AttachedReport{"{\"service\":\"" + s.service + "\",\"broken\":[]}",
                          "/ui/incident?service=" + s.service};
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }
  bool WaitCalls(size_t n) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, 5s, [&] { return subjects_.size() >= n; });
  }
  std::vector<ReportSubject> subjects() {
    std::lock_guard<std::mutex> lock(mu_);
    return subjects_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  bool open_ = false;
  std::vector<ReportSubject> subjects_;
};

struct Delivered {
  std::mutex mu;
  std::vector<std::pair<std::string, std::string>> posts;  // url, body
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return posts.size();
  }
};

TEST(ReportPosterTest, PayloadIsTheWebhookPayloadWithTheReport) {
  const NotificationAlert a = Firing("checkout");
  const std::string body =
      WebhookPayloadWithReport(a, "oncall", "http://q:4318", 1'700'000'020'000,
                               AttachedReport{"{\"service\":\"checkout\",\"broken\":[{}]}",
                                              "/ui/incident?service=checkout&from=1&to=2"});
  Result<json::Value> doc = json::Parse(body);
  ASSERT_TRUE(doc.ok()) << body;
  EXPECT_EQ(doc->Find("version")->string_value(), "4");
  EXPECT_EQ(doc->Find("receiver")->string_value(), "oncall");
  EXPECT_EQ(doc->Find("status")->string_value(), "firing");
  ASSERT_EQ(doc->Find("alerts")->items().size(), 1u);
  EXPECT_EQ(doc->Find("report")->Find("service")->string_value(), "checkout");
  EXPECT_EQ(doc->Find("report")->Find("broken")->items().size(), 1u);
  EXPECT_EQ(doc->Find("reportUrl")->string_value(), "/ui/incident?service=checkout&from=1&to=2");
  EXPECT_EQ(doc->Find("reportError"), nullptr);
  // Everything Alertmanager's payload has comes first, unchanged.
  const std::string plain = WebhookPayload({a}, "oncall", "http://q:4318", 1'700'000'020'000);
  EXPECT_EQ(body.substr(0, plain.size() - 1), plain.substr(0, plain.size() - 1));

  const std::string failed = WebhookPayloadWithReport(a, "oncall", "", 1'700'000'020'000,
                                                      Status::Internal("disk \"full\""));
  doc = json::Parse(failed);
  ASSERT_TRUE(doc.ok()) << failed;
  EXPECT_EQ(doc->Find("report"), nullptr);
  EXPECT_EQ(doc->Find("reportUrl"), nullptr);
  EXPECT_EQ(doc->Find("reportError")->string_value(), "disk \"full\"");
}

TEST(ReportPosterTest, AlertServiceReadsServiceThenServiceNameThenJob) {
  const struct {
    LabelPairs labels;
    std::string want;
  } cases[] = {
      {{{"alertname", "A"}, {"job", "j"}, {"service", "s"}, {"service_name", "sn"}}, "s"},
      {{{"alertname", "A"}, {"job", "j"}, {"service_name", "sn"}}, "sn"},
      {{{"alertname", "A"}, {"job", "j"}}, "j"},
      {{{"alertname", "A"}, {"service", ""}, {"job", "j"}}, "j"},
      {{{"alertname", "A"}}, ""},
  };
  for (const auto& c : cases) EXPECT_EQ(AlertService(c.labels), c.want);
}

// The queue is bounded: while the worker is busy, `capacity` jobs wait and
// the next is refused and counted; nothing is lost of what was accepted.
TEST(ReportPosterTest, BoundedQueueRefusesAndCountsWhenFull) {
  GatedProvider provider;
  Delivered delivered;
  ReportPoster poster({.provider = std::ref(provider),
                       .deliver =
                           [&](const std::string& url, const std::string& body) {
                             std::lock_guard<std::mutex> lock(delivered.mu);
                             delivered.posts.emplace_back(url, body);
                             return true;
                           },
                       .external_url = "http://q:4318",
                       .queue_capacity = 2});
  poster.Start();
  const WebhookConfig hook{"http://hook/1", true, "oncall", true};
  ASSERT_TRUE(poster.Enqueue(Firing("a"), hook));
  ASSERT_TRUE(provider.WaitCalls(1));  // the worker holds "a"
  EXPECT_TRUE(poster.Enqueue(Firing("b"), hook));
  EXPECT_TRUE(poster.Enqueue(Firing("c"), hook));
  EXPECT_FALSE(poster.Enqueue(Firing("d"), hook));
  ReportPoster::Stats s = poster.stats();
  EXPECT_EQ(s.dropped, 1);
  EXPECT_EQ(s.queue_length, 2);
  provider.Open();
  ASSERT_TRUE(WaitFor([&] { return delivered.size() == 3; }));
  poster.Stop();
  s = poster.stats();
  EXPECT_EQ(s.posted, 3);
  EXPECT_EQ(s.without_report, 0);
  EXPECT_EQ(s.dropped, 1);
  EXPECT_EQ(s.queue_length, 0);
  std::vector<std::string> services;
  for (const ReportSubject& subject : provider.subjects()) {
    services.push_back(subject.service);
    EXPECT_EQ(subject.alertname, "HighLatency");
    EXPECT_EQ(subject.active_at_ms, 1'700'000'000'000);
    EXPECT_EQ(subject.fired_at_ms, 1'700'000'010'000);
  }
  EXPECT_EQ(services, (std::vector<std::string>{"a", "b", "c"}));
  std::lock_guard<std::mutex> lock(delivered.mu);
  for (size_t i = 0; i < delivered.posts.size(); ++i) {
    EXPECT_EQ(delivered.posts[i].first, "http://hook/1");
    Result<json::Value> doc = json::Parse(delivered.posts[i].second);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->Find("report")->Find("service")->string_value(), services[i]);
    EXPECT_EQ(doc->Find("externalURL")->string_value(), "http://q:4318");
  }
}

// A report that fails, an alert with no service and a job that waited too
// long are still posted — without a report, saying why.
TEST(ReportPosterTest, PostsWithoutTheReportWhenItCannotBeHad) {
  GatedProvider provider;
  Delivered delivered;
  std::atomic<int64_t> now{1'700'000'230'000};  // 10 s before endsAt
  ReportPoster poster({.provider = std::ref(provider),
                       .deliver =
                           [&](const std::string& url, const std::string& body) {
                             std::lock_guard<std::mutex> lock(delivered.mu);
                             delivered.posts.emplace_back(url, body);
                             return true;
                           },
                       .queue_capacity = 4,
                       .max_wait_ms = 30'000,
                       .now_ms = [&] { return now.load(); }});
  poster.Start();
  const WebhookConfig hook{"http://hook/1", true, "w", true};
  NotificationAlert no_service = Firing("x");
  no_service.labels = {{"alertname", "HighLatency"}, {"severity", "page"}};
  ASSERT_TRUE(poster.Enqueue(Firing("broken-engine"), hook));
  ASSERT_TRUE(provider.WaitCalls(1));
  ASSERT_TRUE(poster.Enqueue(no_service, hook));
  ASSERT_TRUE(poster.Enqueue(Firing("late"), hook));
  now = 1'700'000'261'000;  // the queued jobs have waited longer than max_wait_ms
  provider.Open();
  ASSERT_TRUE(WaitFor([&] { return delivered.size() == 3; }));
  poster.Stop();
  EXPECT_EQ(provider.subjects().size(), 1u);  // neither of the others asked for a report
  const ReportPoster::Stats s = poster.stats();
  EXPECT_EQ(s.posted, 0);
  EXPECT_EQ(s.without_report, 3);
  std::lock_guard<std::mutex> lock(delivered.mu);
  const char* want[] = {"store unavailable", "no service, service_name or job label",
                        "waited 31 s"};
  for (size_t i = 0; i < 3; ++i) {
    Result<json::Value> doc = json::Parse(delivered.posts[i].second);
    ASSERT_TRUE(doc.ok());
    EXPECT_EQ(doc->Find("report"), nullptr);
    // Still the firing page, although its endsAt passed while it waited.
    EXPECT_EQ(doc->Find("status")->string_value(), "firing");
    ASSERT_NE(doc->Find("reportError"), nullptr);
    EXPECT_NE(doc->Find("reportError")->string_value().find(want[i]), std::string::npos)
        << doc->Find("reportError")->string_value();
  }
}

TEST(ReportPosterTest, StopCountsQueuedJobsAsDroppedAndRefusesMore) {
  GatedProvider provider;
  ReportPoster poster({.provider = std::ref(provider),
                       .deliver = [](const std::string&, const std::string&) { return false; },
                       .queue_capacity = 4});
  // Not started: nothing drains the queue.
  const WebhookConfig hook{"http://hook/1", true, "w", true};
  ASSERT_TRUE(poster.Enqueue(Firing("a"), hook));
  ASSERT_TRUE(poster.Enqueue(Firing("b"), hook));
  poster.Stop();
  EXPECT_EQ(poster.stats().dropped, 2);
  EXPECT_FALSE(poster.Enqueue(Firing("c"), hook));
  EXPECT_EQ(poster.stats().dropped, 3);
  EXPECT_TRUE(provider.subjects().empty());
}

// Through the Notifier: a webhook with send_report gets the first firing
// notification with the report and the resend without; a webhook without
// send_report gets both plain; the report is asked for once.
TEST(ReportPosterTest, NotifierSendsTheReportOnlyWithTheFirstFiringNotification) {
  httplib::Server server;
  std::mutex mu;
  std::vector<std::string> with_report, plain;
  server.Post("/with-report", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    with_report.push_back(req.body);
    res.status = 200;
  });
  server.Post("/plain", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    plain.push_back(req.body);
    res.status = 200;
  });
  const int port = server.bind_to_any_port("127.0.0.1");
  std::thread t([&] { server.listen_after_bind(); });
  while (!server.is_running()) std::this_thread::sleep_for(1ms);
  const std::string base = "http://127.0.0.1:" + std::to_string(port);

  std::atomic<int> reports{0};
  NotifierOptions options;
  options.webhooks = {{base + "/with-report", true, "r", true}, {base + "/plain", true, "p"}};
  options.report_provider = [&](const ReportSubject& s) -> Result<AttachedReport> {
    ++reports;
    return AttachedReport{"{\"service\":\"" + s.service + "\"}", "/ui/incident?service=x"};
  };
  Notifier notifier(options);
  notifier.Start();
  notifier.Send({Firing("checkout")});
  auto count = [&] {
    std::lock_guard<std::mutex> lock(mu);
    return with_report.size() + plain.size();
  };
  ASSERT_TRUE(WaitFor([&] { return count() == 2; }));
  NotificationAlert resend = Firing("checkout");
  resend.newly_firing = false;
  notifier.Send({resend});
  ASSERT_TRUE(WaitFor([&] { return count() == 4; }));
  notifier.Stop();
  server.stop();
  t.join();
  EXPECT_EQ(reports.load(), 1);
  EXPECT_EQ(notifier.report_stats().posted, 1);
  std::lock_guard<std::mutex> lock(mu);
  ASSERT_EQ(with_report.size(), 2u);
  ASSERT_EQ(plain.size(), 2u);
  int carrying = 0;
  for (const std::string& body : with_report) {
    Result<json::Value> doc = json::Parse(body);
    ASSERT_TRUE(doc.ok()) << body;
    if (doc->Find("report") != nullptr) {
      ++carrying;
      EXPECT_EQ(doc->Find("report")->Find("service")->string_value(), "checkout");
      EXPECT_EQ(doc->Find("reportUrl")->string_value(), "/ui/incident?service=x");
    }
  }
  EXPECT_EQ(carrying, 1);
  for (const std::string& body : plain) EXPECT_EQ(body.find("\"report"), std::string::npos);
}

}  // namespace
}  // namespace quartet::alert

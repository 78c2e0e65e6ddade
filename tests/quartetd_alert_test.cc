// Must-show 4 of issue 5: a HighCheckoutLatency alert (histogram_quantile over
// a remote-written latency histogram > 0.5, for: 10s, group interval 1s) in a
// real quartetd goes pending, then firing on schedule; it is still firing
// with the same activeAt after a SIGTERM restart and after kill -9; a webhook
// receiver in the test gets Alertmanager's webhook payload with the rule's
// labels and expanded annotations; /api/v1/rules and /api/v1/alerts have
// Prometheus's shapes; promtool check rules accepts the rule file.
// QuartetdAlertReport: an alert over span metrics, made to fire by slow
// traces sent over OTLP, posts its incident report to a webhook with
// send_report — once per firing episode, while the resends go out plain.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <mutex>
#include <thread>

#include "tests/support/http_server.h"
#include "tests/support/quartetd.h"
#include "wire/json/json_parser.h"
#include "wire/otlp/encode_model.h"
#include "wire/otlp/model.h"
#include "wire/prometheus/remote_write_body.h"

namespace quartet::testing {
namespace {

using namespace std::chrono_literals;
namespace rw = prometheus::rw;

constexpr const char* kRules = R"yaml(groups:
  - name: checkout
    interval: 1s
    rules:
      - record: service:checkout_latency_seconds:p99
        expr: histogram_quantile(0.99, sum by (le, service) (rate(checkout_request_duration_seconds_bucket[1m])))
      - alert: HighCheckoutLatency
        expr: histogram_quantile(0.99, sum by (le, service) (rate(checkout_request_duration_seconds_bucket[1m]))) > 0.5
        for: 10s
        labels:
          severity: page
        annotations:
          summary: "High checkout latency on {{ $labels.service }}"
          description: "p99 is {{ humanizeDuration $value }} (threshold 500ms)"
)yaml";

int64_t NowMs() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// Cumulative bucket counts after `n` pushes: every request took 0.5-1 s.
std::string Histogram(int64_t n, int64_t t_ms) {
  rw::WriteRequest request;
  const std::pair<const char*, int64_t> buckets[] = {
      {"0.1", 0}, {"0.25", 0}, {"0.5", 0}, {"1", 10 * n}, {"2.5", 10 * n}, {"+Inf", 10 * n}};
  for (const auto& [le, count] : buckets) {
    rw::TimeSeries& ts = request.timeseries.emplace_back();
    ts.labels = {{"__name__", "checkout_request_duration_seconds_bucket"},
                 {"le", le},
                 {"service", "checkout"}};
    ts.samples.push_back({.value = static_cast<double>(count), .timestamp_ms = t_ms});
  }
  return rw::EncodeRemoteWriteBody(request);
}

double Seconds(const std::string& rfc3339) {
  std::tm tm{};
  const char* rest = strptime(rfc3339.c_str(), "%Y-%m-%dT%H:%M:%S", &tm);
  double frac = 0;
  if (rest != nullptr && *rest == '.') frac = std::stod(std::string("0") + rest);
  return static_cast<double>(timegm(&tm)) + frac;
}

class QuartetdAlertTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = TempDir("quartetd_alert");
    ASSERT_TRUE(hook_.Start());
    hook_.server().Post("/hook", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      webhooks_.push_back(req.body);
      res.status = 200;
    });
    std::ofstream(dir_ + "/rules.yml") << kRules;
    // rule_files relative to the config file's directory, as Prometheus.
    std::ofstream(dir_ + "/quartetd.yml")
        << "global:\n  evaluation_interval: 1s\n  external_labels: {cluster: test}\n"
        << "rule_files: [rules*.yml]\n"
        << "notifications:\n  webhooks:\n    - url: " << hook_.Url("/hook") << "\n"
        << "      name: oncall\n";
    q_ = std::make_unique<Quartetd>(std::vector<std::string>{"--config", dir_ + "/quartetd.yml"});
    ASSERT_TRUE(q_->ready()) << q_->process().ReadStderr();
  }
  void TearDown() override { StopFeeding(); }

  void StartFeeding() {
    feeding_ = true;
    feeder_ = std::thread([this] {
      while (feeding_) {
        Quartetd::Response r =
            q_->Post("/api/v1/write", Histogram(++pushes_, NowMs()), "application/x-protobuf");
        EXPECT_EQ(r.status, 204) << r.body;
        std::this_thread::sleep_for(500ms);
      }
    });
  }
  void StopFeeding() {
    feeding_ = false;
    if (feeder_.joinable()) feeder_.join();
  }

  // The HighCheckoutLatency alert in /api/v1/alerts, or null.
  std::optional<json::Value> Alert() {
    Quartetd::Response r = q_->Get("/api/v1/alerts");
    EXPECT_EQ(r.status, 200) << r.body;
    Result<json::Value> doc = json::Parse(r.body);
    if (!doc.ok() || doc->Find("data") == nullptr) return std::nullopt;
    for (const json::Value& a : doc->Find("data")->Find("alerts")->items()) {
      if (a.Find("labels")->Find("alertname")->string_value() == "HighCheckoutLatency") return a;
    }
    return std::nullopt;
  }
  std::string State() {
    std::optional<json::Value> a = Alert();
    return a ? a->Find("state")->string_value() : "";
  }

  std::string dir_;
  TestHttpServer hook_;
  std::mutex mu_;
  std::vector<std::string> webhooks_;
  std::unique_ptr<Quartetd> q_;
  std::atomic<bool> feeding_{false};
  std::atomic<int64_t> pushes_{0};
  std::thread feeder_;
};

TEST_F(QuartetdAlertTest, PendingThenFiringSurvivesRestartsAndNotifiesTheWebhook) {
  if (access("/usr/bin/promtool", X_OK) == 0) {
    const std::string cmd =
        "/usr/bin/promtool check rules " + dir_ + "/rules.yml > " + dir_ + "/promtool.out 2>&1";
    EXPECT_EQ(std::system(cmd.c_str()), 0) << ReadFile(dir_ + "/promtool.out");
  }
  StartFeeding();
  ASSERT_TRUE(Process::WaitFor([&] { return State() == "pending"; }, 30s));
  const auto pending_seen = std::chrono::steady_clock::now();
  std::optional<json::Value> pending = Alert();
  ASSERT_TRUE(pending);
  const std::string active_at = pending->Find("activeAt")->string_value();
  EXPECT_EQ(
      json::Serialize(*pending->Find("labels")),
      "{\"alertname\":\"HighCheckoutLatency\",\"service\":\"checkout\",\"severity\":\"page\"}");
  EXPECT_EQ(pending->Find("annotations")->Find("summary")->string_value(),
            "High checkout latency on checkout");
  const double value = std::stod(pending->Find("value")->string_value());
  EXPECT_GT(value, 0.9);
  EXPECT_LT(value, 1.0);

  ASSERT_TRUE(Process::WaitFor([&] { return State() == "firing"; }, 30s));
  // On schedule: for: 10s after activeAt, evaluated every second.
  const double pending_for =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - pending_seen).count();
  EXPECT_GE(pending_for, 7.5);
  EXPECT_LE(pending_for, 14);
  std::optional<json::Value> firing = Alert();
  ASSERT_TRUE(firing);
  EXPECT_EQ(firing->Find("activeAt")->string_value(), active_at);

  // /api/v1/rules: Prometheus's shape.
  Quartetd::Response rules = q_->Get("/api/v1/rules");
  ASSERT_EQ(rules.status, 200);
  Result<json::Value> doc = json::Parse(rules.body);
  ASSERT_TRUE(doc.ok());
  const json::Value& group = doc->Find("data")->Find("groups")->items().at(0);
  EXPECT_EQ(group.Find("name")->string_value(), "checkout");
  EXPECT_EQ(group.Find("file")->string_value(), dir_ + "/rules.yml");
  EXPECT_EQ(group.Find("interval")->double_value(), 1);
  const json::Value& record = group.Find("rules")->items().at(0);
  EXPECT_EQ(record.Find("type")->string_value(), "recording");
  EXPECT_EQ(record.Find("health")->string_value(), "ok");
  const json::Value& alert = group.Find("rules")->items().at(1);
  EXPECT_EQ(alert.Find("type")->string_value(), "alerting");
  EXPECT_EQ(alert.Find("state")->string_value(), "firing");
  EXPECT_EQ(alert.Find("duration")->double_value(), 10);
  EXPECT_EQ(alert.Find("health")->string_value(), "ok");
  EXPECT_EQ(alert.Find("alerts")->items().size(), 1u);
  for (const char* key : {"query", "labels", "annotations", "evaluationTime", "lastEvaluation",
                          "keepFiringFor", "name"}) {
    EXPECT_NE(alert.Find(key), nullptr) << key;
  }
  // ALERTS and the recording rule's series are queryable.
  Quartetd::Response alerts_series =
      q_->Query("/api/v1/query", {{"query", "ALERTS{alertstate=\"firing\"}"}});
  EXPECT_NE(alerts_series.body.find("\"alertname\":\"HighCheckoutLatency\""), std::string::npos)
      << alerts_series.body;
  Quartetd::Response recorded =
      q_->Query("/api/v1/query", {{"query", "service:checkout_latency_seconds:p99"}});
  EXPECT_NE(recorded.body.find("\"service\":\"checkout\""), std::string::npos) << recorded.body;

  // The webhook got Alertmanager's payload.
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        std::lock_guard<std::mutex> lock(mu_);
        return !webhooks_.empty();
      },
      10s));
  {
    std::lock_guard<std::mutex> lock(mu_);
    Result<json::Value> hook = json::Parse(webhooks_[0]);
    ASSERT_TRUE(hook.ok()) << webhooks_[0];
    EXPECT_EQ(hook->Find("version")->string_value(), "4");
    EXPECT_EQ(hook->Find("status")->string_value(), "firing");
    EXPECT_EQ(hook->Find("receiver")->string_value(), "oncall");
    EXPECT_EQ(hook->Find("groupKey")->string_value(), "{}:{alertname=\"HighCheckoutLatency\"}");
    const json::Value& a = hook->Find("alerts")->items().at(0);
    EXPECT_EQ(a.Find("status")->string_value(), "firing");
    EXPECT_EQ(json::Serialize(*a.Find("labels")),
              "{\"alertname\":\"HighCheckoutLatency\",\"cluster\":\"test\",\"service\":"
              "\"checkout\",\"severity\":\"page\"}");
    EXPECT_EQ(a.Find("annotations")->Find("summary")->string_value(),
              "High checkout latency on checkout");
    EXPECT_EQ(a.Find("annotations")->Find("description")->string_value().substr(0, 6), "p99 is");
    EXPECT_NEAR(Seconds(a.Find("startsAt")->string_value()), Seconds(active_at) + 10, 2.5);
    EXPECT_EQ(a.Find("endsAt")->string_value(), "0001-01-01T00:00:00Z");
    EXPECT_NE(a.Find("generatorURL")->string_value().find("/graph?g0.expr=histogram_quantile"),
              std::string::npos);
    EXPECT_EQ(a.Find("fingerprint")->string_value().size(), 16u);
  }

  for (bool kill9 : {false, true}) {
    StopFeeding();
    ASSERT_TRUE(q_->Restart(kill9)) << q_->process().ReadStderr();
    // Restored before the first evaluation: still firing since the same time.
    std::optional<json::Value> restored = Alert();
    ASSERT_TRUE(restored) << (kill9 ? "kill -9" : "SIGTERM");
    EXPECT_EQ(restored->Find("state")->string_value(), "firing");
    EXPECT_EQ(restored->Find("activeAt")->string_value(), active_at);
    StartFeeding();
    std::this_thread::sleep_for(3s);
    restored = Alert();
    ASSERT_TRUE(restored);
    EXPECT_EQ(restored->Find("state")->string_value(), "firing");
    EXPECT_EQ(restored->Find("activeAt")->string_value(), active_at);
  }
}

// One /checkout request of service "shop" as an OTLP server span (and its
// database child span) ending at end_ns.
void AddRequest(otlp::ExportTraceServiceRequest* request, uint64_t seq, int64_t end_ns,
                int64_t duration_ns) {
  if (request->resource_spans.empty()) {
    otlp::ResourceSpans& rs = request->resource_spans.emplace_back();
    rs.resource.attributes = {{"service.name", otlp::AnyValue::String("shop")},
                              {"service.version", otlp::AnyValue::String("1.0.0")}};
    rs.scope_spans.emplace_back();
  }
  std::vector<otlp::Span>& spans = request->resource_spans[0].scope_spans[0].spans;
  TraceId trace;
  const uint64_t hi = 0x9e3779b97f4a7c15ULL * (seq + 1), lo = seq * 2654435761ULL + 1;
  std::memcpy(trace.bytes.data(), &hi, 8);
  std::memcpy(trace.bytes.data() + 8, &lo, 8);
  otlp::Span root;
  root.trace_id = trace;
  const uint64_t root_id = 2 * seq + 1, db_id = 2 * seq + 2;
  std::memcpy(root.span_id.bytes.data(), &root_id, 8);
  root.name = "GET /checkout";
  root.kind = otlp::SpanKind::kServer;
  root.start_time_unix_nano = static_cast<uint64_t>(end_ns - duration_ns);
  root.end_time_unix_nano = static_cast<uint64_t>(end_ns);
  root.attributes = {{"http.route", otlp::AnyValue::String("/checkout")},
                     {"http.request.method", otlp::AnyValue::String("GET")},
                     {"http.response.status_code", otlp::AnyValue::Int(200)}};
  otlp::Span db;
  db.trace_id = trace;
  std::memcpy(db.span_id.bytes.data(), &db_id, 8);
  db.parent_span_id = root.span_id;
  db.name = "SELECT orders";
  db.kind = otlp::SpanKind::kClient;
  db.start_time_unix_nano = root.start_time_unix_nano + 1000000;
  db.end_time_unix_nano = root.end_time_unix_nano - 1000000;
  db.attributes = {{"db.system", otlp::AnyValue::String("sqlite")}};
  spans.push_back(std::move(db));
  spans.push_back(std::move(root));
}

constexpr const char* kSpanRules = R"yaml(groups:
  - name: shop
    interval: 1s
    rules:
      - alert: ShopSlow
        expr: histogram_quantile(0.99, sum by (le, service) (rate(traces_spanmetrics_latency_bucket{span_kind="SPAN_KIND_SERVER"}[1m]))) > 0.5
        for: 1s
        labels:
          severity: page
)yaml";

TEST(QuartetdAlertReport, FiringAlertPostsItsIncidentReportOncePerEpisode) {
  const std::string dir = TempDir("quartetd_alert_report");
  TestHttpServer hook;
  ASSERT_TRUE(hook.Start());
  std::mutex mu;
  std::vector<std::string> bodies;
  hook.server().Post("/hook", [&](const httplib::Request& req, httplib::Response& res) {
    std::lock_guard<std::mutex> lock(mu);
    bodies.push_back(req.body);
    res.status = 200;
  });
  std::ofstream(dir + "/rules.yml") << kSpanRules;
  // resend_delay 2s: plain resends arrive while the test watches, and must
  // not carry the report again.
  std::ofstream(dir + "/quartetd.yml")
      << "global:\n  evaluation_interval: 1s\n"
      << "rule_files: [rules.yml]\n"
      << "notifications:\n  resend_delay: 2s\n  webhooks:\n    - url: " << hook.Url("/hook")
      << "\n      send_report: true\n";
  Quartetd q({"--config", dir + "/quartetd.yml"});
  ASSERT_TRUE(q.ready()) << q.process().ReadStderr();

  // A healthy baseline over the last 40 minutes (20-40 ms), with the data's
  // own timestamps: too old for span metrics, read by the report.
  constexpr int64_t kMs = 1000000;
  const int64_t t0 = NowMs() * kMs;
  uint64_t seq = 0;
  {
    otlp::ExportTraceServiceRequest batch;
    for (int64_t t = t0 - 40 * 60000 * kMs; t < t0 - 30000 * kMs; t += 2000 * kMs) {
      ++seq;
      AddRequest(&batch, seq, t, (20 + static_cast<int64_t>(seq % 21)) * kMs);
      if (batch.resource_spans[0].scope_spans[0].spans.size() >= 600) {
        Quartetd::Response r =
            q.Post("/v1/traces", otlp::EncodeTraces(batch), "application/x-protobuf");
        ASSERT_EQ(r.status, 200) << r.body;
        batch = {};
      }
    }
    if (!batch.resource_spans.empty()) {
      ASSERT_EQ(q.Post("/v1/traces", otlp::EncodeTraces(batch), "application/x-protobuf").status,
                200);
    }
  }
  // Then live traffic: a quarter of the requests take 800 ms.
  std::atomic<bool> feeding{true};
  std::thread feeder([&] {
    uint64_t n = 1'000'000;
    while (feeding) {
      otlp::ExportTraceServiceRequest batch;
      const int64_t now = NowMs() * kMs;
      for (int i = 0; i < 4; ++i) {
        ++n;
        AddRequest(&batch, n, now - i * 10 * kMs, (n % 4 == 0 ? 800 : 30) * kMs);
      }
      EXPECT_EQ(q.Post("/v1/traces", otlp::EncodeTraces(batch), "application/x-protobuf").status,
                200);
      std::this_thread::sleep_for(200ms);
    }
  });
  auto with_report = [&] {
    std::lock_guard<std::mutex> lock(mu);
    std::vector<std::string> out;
    for (const std::string& b : bodies) {
      if (b.find("\"report\":") != std::string::npos) out.push_back(b);
    }
    return out;
  };
  const bool posted = Process::WaitFor([&] { return !with_report().empty(); }, 90s);
  if (!posted) {
    feeding = false;
    feeder.join();
    std::lock_guard<std::mutex> lock(mu);
    std::string failed;
    for (const std::string& b : bodies) {
      if (b.find("\"reportError\"") != std::string::npos) failed = b;
    }
    FAIL() << "no report posted; " << bodies.size()
           << " plain posts; alerts: " << q.Get("/api/v1/alerts").body
           << "\nwithout its report: " << failed;
  }
  const std::vector<std::string> first = with_report();
  size_t plain_before = 0;
  {
    std::lock_guard<std::mutex> lock(mu);
    plain_before = bodies.size() - first.size();
  }
  // Several more evaluations and at least one resend while still firing.
  std::this_thread::sleep_for(6s);
  feeding = false;
  feeder.join();
  const std::vector<std::string> reports = with_report();
  ASSERT_EQ(reports.size(), 1u);
  {
    std::lock_guard<std::mutex> lock(mu);
    EXPECT_GT(bodies.size() - reports.size(), plain_before) << "no resend seen";
  }
  Result<json::Value> doc = json::Parse(reports[0]);
  ASSERT_TRUE(doc.ok()) << reports[0];
  EXPECT_EQ(doc->Find("version")->string_value(), "4");
  EXPECT_EQ(doc->Find("status")->string_value(), "firing");
  ASSERT_EQ(doc->Find("alerts")->items().size(), 1u);
  const json::Value& alert = doc->Find("alerts")->items()[0];
  EXPECT_EQ(alert.Find("labels")->Find("alertname")->string_value(), "ShopSlow");
  EXPECT_EQ(alert.Find("labels")->Find("service")->string_value(), "shop");
  const json::Value* report = doc->Find("report");
  ASSERT_NE(report, nullptr);
  EXPECT_EQ(report->Find("service")->string_value(), "shop");
  ASSERT_NE(report->Find("broken"), nullptr);
  // Besides "the alert is firing", the data's own verdict: /checkout slow.
  bool latency = false;
  for (const json::Value& f : report->Find("broken")->items()) {
    const json::Value* route = f.Find("subject")->Find("route");
    latency |= f.Find("signal")->string_value().rfind("latency", 0) == 0 && route != nullptr &&
               route->string_value() == "/checkout";
  }
  EXPECT_TRUE(latency) << reports[0];
  ASSERT_FALSE(report->Find("where")->items().empty()) << reports[0];
  EXPECT_EQ(report->Find("where")->items()[0].Find("subject")->Find("span")->string_value(),
            "SELECT orders");
  for (const char* key : {"window", "baseline", "who", "where", "why"}) {
    EXPECT_NE(report->Find(key), nullptr) << key;
  }
  // The window reaches back before the alert went active (the onset leads it).
  const double active_s = Seconds(alert.Find("startsAt")->string_value()) - 1;
  EXPECT_LT(report->Find("window")->Find("from")->double_value(), active_s);
  const std::string url = doc->Find("reportUrl")->string_value();
  EXPECT_EQ(url.rfind("/ui/incident?service=shop&from=", 0), 0u) << url;
  // The link's parameters give the same report from the API.
  Quartetd::Response again = q.Get("/api/v1/incident" + url.substr(url.find('?')));
  ASSERT_EQ(again.status, 200) << again.body;
  Result<json::Value> same = json::Parse(again.body);
  ASSERT_TRUE(same.ok());
  EXPECT_EQ(same->Find("service")->string_value(), "shop");
  EXPECT_EQ(json::Serialize(*same->Find("window")), json::Serialize(*report->Find("window")));
  ASSERT_FALSE(same->Find("broken")->items().empty()) << again.body;
  EXPECT_EQ(same->Find("broken")->items()[0].Find("subject")->Find("route")->string_value(),
            "/checkout");
}

TEST(QuartetdAlertStartup, ABadRuleFileIsAStartupErrorNamingIt) {
  const std::string dir = TempDir("quartetd_alert_bad");
  std::ofstream(dir + "/bad.yml")
      << "groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n";
  std::ofstream(dir + "/q.yml") << "rule_files: [bad.yml]\n";
  Process p(Process::Options{.argv = {BinaryPath("quartetd"), "--data-dir", dir + "/data",
                                      "--config", dir + "/q.yml", "--http-listen", "127.0.0.1:0",
                                      "--grpc-listen", ""}});
  ASSERT_TRUE(Process::WaitFor([&] { return !p.running(); }, 20s));
  EXPECT_EQ(p.Stop(), 1);
  const std::string err = p.ReadStderr();
  EXPECT_NE(
      err.find(dir + "/bad.yml: 5:11: group \"g\", rule 1, \"A\": could not parse expression"),
      std::string::npos)
      << err;
}

// The same rule file in Debian's Prometheus 2.42 and in quartetd: /api/v1/rules
// has the same keys in the same order, the same printed queries, durations,
// labels and annotations; /api/v1/alerts the same envelope.
TEST(QuartetdAlertPrometheus, RulesApiMatchesPrometheus) {
  if (access("/usr/bin/prometheus", X_OK) != 0) GTEST_SKIP() << "prometheus missing: run ./setup";
  const std::string dir = TempDir("quartetd_alert_prom");
  std::ofstream(dir + "/rules.yml") << kRules;
  std::ofstream(dir + "/quartetd.yml") << "rule_files: [rules.yml]\n";
  const int port = FreeLoopbackPort();
  std::ofstream(dir + "/prometheus.yml") << "global: {evaluation_interval: 1s}\n"
                                         << "rule_files: [" << dir << "/rules.yml]\n";
  Process prometheus(
      Process::Options{.argv = {"/usr/bin/prometheus", "--config.file=" + dir + "/prometheus.yml",
                                "--storage.tsdb.path=" + dir + "/data",
                                "--web.listen-address=127.0.0.1:" + std::to_string(port)}});
  Quartetd q({"--config", dir + "/quartetd.yml"});
  ASSERT_TRUE(q.ready());
  httplib::Client prom("127.0.0.1", port);
  auto evaluated = [](const std::string& body) {
    Result<json::Value> doc = json::Parse(body);
    if (!doc.ok() || doc->Find("data") == nullptr) return false;
    const auto& groups = doc->Find("data")->Find("groups")->items();
    return !groups.empty() &&
           groups[0].Find("lastEvaluation")->string_value() != "0001-01-01T00:00:00Z";
  };
  std::string prom_body, our_body;
  ASSERT_TRUE(Process::WaitFor(
      [&] {
        auto r = prom.Get("/api/v1/rules");
        if (!r || r->status != 200) return false;
        prom_body = r->body;
        our_body = q.Get("/api/v1/rules").body;
        return evaluated(prom_body) && evaluated(our_body);
      },
      60s))
      << prometheus.ReadStderr();
  const json::Value theirs = *json::Parse(prom_body);
  const json::Value ours = *json::Parse(our_body);
  auto keys = [](const json::Value& v) {
    std::vector<std::string> out;
    for (const json::Member& m : v.members()) out.push_back(m.key);
    return out;
  };
  const json::Value& tg = theirs.Find("data")->Find("groups")->items().at(0);
  const json::Value& og = ours.Find("data")->Find("groups")->items().at(0);
  EXPECT_EQ(keys(og), keys(tg));
  EXPECT_EQ(og.Find("interval")->double_value(), tg.Find("interval")->double_value());
  const auto& tr = tg.Find("rules")->items();
  const auto& orules = og.Find("rules")->items();
  ASSERT_EQ(tr.size(), 2u);
  ASSERT_EQ(orules.size(), tr.size());
  for (size_t i = 0; i < tr.size(); ++i) {
    EXPECT_EQ(keys(orules[i]), keys(tr[i])) << i;
    for (const char* k : {"name", "query", "type", "health", "state"}) {
      if (tr[i].Find(k) == nullptr) continue;
      EXPECT_EQ(orules[i].Find(k)->string_value(), tr[i].Find(k)->string_value()) << k;
    }
    for (const char* k : {"labels", "annotations", "alerts"}) {
      if (tr[i].Find(k) == nullptr) continue;
      EXPECT_EQ(*orules[i].Find(k), *tr[i].Find(k)) << k;
    }
    if (tr[i].Find("duration") != nullptr) {
      EXPECT_EQ(orules[i].Find("duration")->double_value(), tr[i].Find("duration")->double_value());
    }
  }
  auto alerts = prom.Get("/api/v1/alerts");
  ASSERT_TRUE(alerts);
  EXPECT_EQ(*json::Parse(q.Get("/api/v1/alerts").body), *json::Parse(alerts->body));
}

}  // namespace
}  // namespace quartet::testing

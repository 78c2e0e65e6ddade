#include "server/api/rules/rules_api.h"

#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "server/store/metrics/metric_table.h"
#include "wire/json/json_parser.h"

namespace quartet::api {
namespace {

TEST(RulesApiFormat, GoFloatEAndTimes) {
  const std::pair<double, const char*> cases[] = {
      {1, "1e+00"},      {0.75, "7.5e-01"}, {1234.5, "1.2345e+03"}, {0, "0e+00"},
      {1e100, "1e+100"}, {-2, "-2e+00"},    {NAN, "NaN"},           {-INFINITY, "-Inf"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(GoFloatE(v), want) << v;
  EXPECT_EQ(GoTimeJson(0), "0001-01-01T00:00:00Z");
  EXPECT_EQ(GoTimeJson(1'700'000'000'123), "2023-11-14T22:13:20.123Z");
}

class RulesApiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/rules_api_test";
    std::filesystem::remove_all(dir_);
    store::MetricTableOptions options;
    options.table.dir = dir_;
    options.table.sync = store::SyncPolicy::kNever;
    table_ = std::move(*store::MetricTable::Open(options, false));
    Result<std::vector<alert::RuleGroupConfig>> groups = alert::ParseRuleFile(R"(
groups:
  - name: checkout
    interval: 5s
    rules:
      - record: job:latency:max
        expr: max by (job) (latency)
        labels: {source: rule}
      - alert: HighLatency
        expr: job:latency:max > 0.5
        for: 10s
        keep_firing_for: 1m
        labels: {severity: page}
        annotations: {summary: "latency {{ $value }}"}
      - alert: Broken
        expr: latency + on() latency
)",
                                                                              "/etc/rules.yml");
    ASSERT_TRUE(groups.ok()) << groups.status().message();
    manager_ = std::move(*alert::RuleManager::Create(*groups, table_.get(), nullptr, {}));
    store::MetricBatch b;
    b.series.push_back({{{"__name__", "latency"}, {"job", "checkout"}}, {{t0_, 0.75}}, {}});
    b.series.push_back({{{"__name__", "latency"}, {"job", "web"}}, {{t0_, 0.1}}, {}});
    ASSERT_TRUE(table_->Append(b).ok());
    manager_->EvalGroup(0, t0_);
  }

  json::Value Get(const RulesApi& api, bool alerts,
                  std::vector<std::pair<std::string, std::string>> params = {}) {
    server::HttpRequest r;
    r.method = "GET";
    r.params = std::move(params);
    server::HttpResponse resp = alerts ? api.Alerts(r) : api.Rules(r);
    EXPECT_EQ(resp.status, 200) << resp.body;
    Result<json::Value> doc = json::Parse(resp.body);
    EXPECT_TRUE(doc.ok()) << resp.body;
    EXPECT_EQ(doc->Find("status")->string_value(), "success");
    return *doc->Find("data");
  }

  const int64_t t0_ = 1'700'000'000'000;
  std::string dir_;
  std::unique_ptr<store::MetricTable> table_;
  std::unique_ptr<alert::RuleManager> manager_;
};

TEST_F(RulesApiTest, RulesHavePrometheusShape) {
  RulesApi api(manager_.get());
  json::Value data = Get(api, false);
  const auto& groups = data.Find("groups")->items();
  ASSERT_EQ(groups.size(), 1u);
  const json::Value& g = groups[0];
  EXPECT_EQ(g.Find("name")->string_value(), "checkout");
  EXPECT_EQ(g.Find("file")->string_value(), "/etc/rules.yml");
  EXPECT_EQ(g.Find("interval")->double_value(), 5);
  EXPECT_EQ(g.Find("limit")->double_value(), 0);
  EXPECT_EQ(g.Find("lastEvaluation")->string_value(), "2023-11-14T22:13:20Z");
  ASSERT_TRUE(g.Find("evaluationTime")->is_number());
  const auto& rules = g.Find("rules")->items();
  ASSERT_EQ(rules.size(), 3u);

  const json::Value& rec = rules[0];
  std::vector<std::string> keys;
  for (const json::Member& m : rec.members()) keys.push_back(m.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"name", "query", "labels", "health", "evaluationTime",
                                            "lastEvaluation", "type"}));
  EXPECT_EQ(rec.Find("type")->string_value(), "recording");
  EXPECT_EQ(rec.Find("query")->string_value(), "max by (job) (latency)");
  EXPECT_EQ(rec.Find("health")->string_value(), "ok");

  const json::Value& al = rules[1];
  keys.clear();
  for (const json::Member& m : al.members()) keys.push_back(m.key);
  EXPECT_EQ(keys, (std::vector<std::string>{"state", "name", "query", "duration", "keepFiringFor",
                                            "labels", "annotations", "alerts", "health",
                                            "evaluationTime", "lastEvaluation", "type"}));
  EXPECT_EQ(al.Find("state")->string_value(), "pending");
  EXPECT_EQ(al.Find("duration")->double_value(), 10);
  EXPECT_EQ(al.Find("keepFiringFor")->double_value(), 60);
  EXPECT_EQ(json::Serialize(*al.Find("labels")), "{\"severity\":\"page\"}");
  const auto& alerts = al.Find("alerts")->items();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(json::Serialize(alerts[0]),
            "{\"labels\":{\"alertname\":\"HighLatency\",\"job\":\"checkout\",\"severity\":\"page\","
            "\"source\":\"rule\"},"
            "\"annotations\":{\"summary\":\"latency 0.75\"},\"state\":\"pending\","
            "\"activeAt\":\"2023-11-14T22:13:20Z\",\"value\":\"7.5e-01\"}");

  const json::Value& broken = rules[2];
  EXPECT_EQ(broken.Find("health")->string_value(), "err");
  EXPECT_NE(broken.Find("lastError")->string_value().find("many-to-many"), std::string::npos);
  EXPECT_EQ(broken.Find("state")->string_value(), "inactive");
  EXPECT_TRUE(broken.Find("alerts")->items().empty());
}

TEST_F(RulesApiTest, Filters) {
  RulesApi api(manager_.get());
  auto count = [&](std::vector<std::pair<std::string, std::string>> params) {
    json::Value data = Get(api, false, std::move(params));
    size_t n = 0;
    for (const json::Value& g : data.Find("groups")->items()) n += g.Find("rules")->items().size();
    return n;
  };
  EXPECT_EQ(count({{"type", "alert"}}), 2u);
  EXPECT_EQ(count({{"type", "record"}}), 1u);
  EXPECT_EQ(count({{"rule_name[]", "Broken"}}), 1u);
  EXPECT_EQ(count({{"rule_group[]", "nope"}}), 0u);
  EXPECT_EQ(count({{"file[]", "/etc/rules.yml"}}), 3u);
  server::HttpRequest r;
  r.params = {{"type", "bogus"}};
  server::HttpResponse resp = api.Rules(r);
  EXPECT_EQ(resp.status, 400);
  EXPECT_EQ(resp.body,
            "{\"status\":\"error\",\"errorType\":\"bad_data\",\"error\":\"not supported value "
            "\\\"bogus\\\"\"}");
}

TEST_F(RulesApiTest, AlertsListsActiveAlerts) {
  RulesApi api(manager_.get());
  json::Value data = Get(api, true);
  const auto& alerts = data.Find("alerts")->items();
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].Find("state")->string_value(), "pending");
  EXPECT_EQ(alerts[0].Find("value")->string_value(), "7.5e-01");
  RulesApi empty(nullptr);
  EXPECT_TRUE(Get(empty, true).Find("alerts")->items().empty());
  EXPECT_TRUE(Get(empty, false).Find("groups")->items().empty());
}

}  // namespace
}  // namespace quartet::api

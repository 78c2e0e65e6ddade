#include "server/alert/rule_manager.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "server/store/metrics/metric_table.h"

namespace quartet::alert {
namespace {

class RuleManagerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = ::testing::TempDir() + "/rule_manager_test_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    OpenTable();
  }
  void OpenTable() {
    store::MetricTableOptions options;
    options.table.dir = dir_ + "/metrics";
    options.table.sync = store::SyncPolicy::kNever;
    Result<std::unique_ptr<store::MetricTable>> t = store::MetricTable::Open(options, false);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  void Put(const store::Labels& labels, int64_t t_ms, double v) {
    store::MetricBatch b;
    b.series.push_back({labels, {{t_ms, v}}, {}});
    Result<store::MetricAppendResult> r = table_->Append(b);
    ASSERT_TRUE(r.ok());
    ASSERT_EQ(r->accepted_samples, 1);
  }
  // The sample of the series matching {__name__=name, extra} at exactly t.
  std::vector<std::pair<store::Labels, double>> At(const std::string& name, int64_t t_ms) {
    std::vector<std::pair<store::Labels, double>> out;
    std::vector<store::LabelMatch> m = {{"__name__", store::LabelMatch::Op::kEq, name}};
    Status s = table_->Select(m, t_ms, t_ms,
                              [&](const store::Labels& l, std::span<const store::Sample> ss) {
                                for (const store::Sample& x : ss) out.push_back({l, x.v});
                                return true;
                              });
    EXPECT_TRUE(s.ok());
    return out;
  }
  std::vector<RuleGroupConfig> Groups() {
    Result<std::vector<RuleGroupConfig>> g = ParseRuleFile(R"(
groups:
  - name: checkout
    interval: 10s
    rules:
      - record: job:latency:max
        expr: max by (job) (latency)
      - alert: HighLatency
        expr: job:latency:max > 0.5
        for: 20s
        labels: {severity: page}
        annotations: {summary: "{{ $labels.job }} latency {{ $value }}"}
)",
                                                           "rules.yml");
    EXPECT_TRUE(g.ok()) << g.status().message();
    return *g;
  }

  std::string dir_;
  std::unique_ptr<store::MetricTable> table_;
};

TEST_F(RuleManagerTest, RecordsThenAlertsPendingFiringAndWritesAlertSeries) {
  RuleManagerOptions options;
  options.state_dir = dir_ + "/alerts";
  Result<std::unique_ptr<RuleManager>> m =
      RuleManager::Create(Groups(), table_.get(), nullptr, options);
  ASSERT_TRUE(m.ok()) << m.status().message();
  const int64_t t0 = 1'700'000'000'000;
  for (int i = 0; i <= 3; ++i) {
    const int64_t t = t0 + i * 10'000;
    Put({{"__name__", "latency"}, {"instance", "a"}, {"job", "checkout"}}, t, 0.9);
    Put({{"__name__", "latency"}, {"instance", "b"}, {"job", "checkout"}}, t, 0.2);
    (*m)->EvalGroup(0, t);
  }
  // The recording rule's series, used by the alert in the same evaluation.
  auto rec = At("job:latency:max", t0 + 30'000);
  ASSERT_EQ(rec.size(), 1u);
  EXPECT_EQ(rec[0].first, (store::Labels{{"__name__", "job:latency:max"}, {"job", "checkout"}}));
  EXPECT_EQ(rec[0].second, 0.9);
  // Pending at t0, t0+10s; firing from t0+20s (for: 20s).
  auto pending = At("ALERTS", t0 + 10'000);
  ASSERT_EQ(pending.size(), 1u);
  EXPECT_EQ(pending[0].first, (store::Labels{{"__name__", "ALERTS"},
                                             {"alertname", "HighLatency"},
                                             {"alertstate", "pending"},
                                             {"job", "checkout"},
                                             {"severity", "page"}}));
  auto at30 = At("ALERTS", t0 + 30'000);
  ASSERT_EQ(at30.size(), 1u);  // the pending series went stale at t0+20s
  EXPECT_EQ(at30[0].first[2].second, "firing");
  auto stale = At("ALERTS", t0 + 20'000);
  ASSERT_EQ(stale.size(), 2u);
  int stale_count = 0;
  for (const auto& [l, v] : stale) stale_count += promql::IsStaleNaN(v);
  EXPECT_EQ(stale_count, 1);
  auto for_state = At("ALERTS_FOR_STATE", t0 + 30'000);
  ASSERT_EQ(for_state.size(), 1u);
  EXPECT_EQ(for_state[0].second, t0 / 1000.0);

  std::vector<GroupStatus> groups = (*m)->Groups();
  ASSERT_EQ(groups.size(), 1u);
  EXPECT_EQ(groups[0].interval_ms, 10'000);
  EXPECT_EQ(groups[0].last_eval_ms, t0 + 30'000);
  const RuleStatus& alert = groups[0].rules[1];
  EXPECT_EQ(alert.health, "ok");
  EXPECT_EQ(alert.state, AlertState::kFiring);
  EXPECT_EQ(alert.query, "job:latency:max > 0.5");
  ASSERT_EQ(alert.alerts.size(), 1u);
  EXPECT_EQ(alert.alerts[0].annotations, (LabelPairs{{"summary", "checkout latency 0.9"}}));
  EXPECT_EQ((*m)->stats().evaluations, 4);
  EXPECT_EQ((*m)->stats().rule_failures, 0);
}

TEST_F(RuleManagerTest, StateSurvivesARestart) {
  RuleManagerOptions options;
  options.state_dir = dir_ + "/alerts";
  options.default_interval_ms = 3'600'000;
  const int64_t t0 = 1'700'000'000'000;
  {
    Result<std::unique_ptr<RuleManager>> m =
        RuleManager::Create(Groups(), table_.get(), nullptr, options);
    ASSERT_TRUE(m.ok());
    for (int i = 0; i <= 2; ++i) {
      Put({{"__name__", "latency"}, {"job", "checkout"}}, t0 + i * 10'000, 0.9);
      (*m)->EvalGroup(0, t0 + i * 10'000);
    }
    EXPECT_EQ((*m)->Groups()[0].rules[1].state, AlertState::kFiring);
    EXPECT_GE((*m)->stats().state_writes, 2);  // pending, then firing
  }
  Result<std::unique_ptr<RuleManager>> m =
      RuleManager::Create(Groups(), table_.get(), nullptr, options);
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->Groups()[0].rules[1].state, AlertState::kInactive);
  ASSERT_TRUE((*m)->Start().ok());
  const RuleStatus r = (*m)->Groups()[0].rules[1];
  EXPECT_EQ(r.state, AlertState::kFiring);
  ASSERT_EQ(r.alerts.size(), 1u);
  EXPECT_EQ(r.alerts[0].active_at_ms, t0);
  EXPECT_EQ(r.alerts[0].fired_at_ms, t0 + 20'000);
  (*m)->Stop();
}

TEST_F(RuleManagerTest, ADamagedStateFileIsReportedAndIgnored) {
  RuleManagerOptions options;
  options.state_dir = dir_ + "/alerts";
  options.default_interval_ms = 3'600'000;
  std::filesystem::create_directories(options.state_dir);
  std::ofstream(options.state_dir + "/state") << "quartet-alert-state 1 00000000\n{}";
  Result<std::unique_ptr<RuleManager>> m =
      RuleManager::Create(Groups(), table_.get(), nullptr, options);
  ASSERT_TRUE(m.ok());
  Status s = (*m)->Start();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss) << s.message();
  (*m)->Stop();
}

TEST_F(RuleManagerTest, EvaluationErrorsSetHealth) {
  Result<std::vector<RuleGroupConfig>> g = ParseRuleFile(
      "groups:\n- name: g\n  rules:\n  - record: r\n    expr: latency + on() latency\n", "f.yml");
  ASSERT_TRUE(g.ok());
  Result<std::unique_ptr<RuleManager>> m = RuleManager::Create(*g, table_.get(), nullptr, {});
  ASSERT_TRUE(m.ok());
  Put({{"__name__", "latency"}, {"job", "a"}}, 1000, 1);
  Put({{"__name__", "latency"}, {"job", "b"}}, 1000, 1);
  (*m)->EvalGroup(0, 1000);
  const RuleStatus r = (*m)->Groups()[0].rules[0];
  EXPECT_EQ(r.health, "err");
  EXPECT_NE(r.last_error.find("many-to-many matching not allowed"), std::string::npos)
      << r.last_error;
  EXPECT_EQ((*m)->stats().rule_failures, 1);
}

TEST(RuleManagerAlignment, EvaluationsAreAlignedToAStableOffset) {
  RuleGroupConfig g;
  g.file = "a.yml";
  g.name = "x";
  const int64_t interval = 15'000;
  const int64_t first = RuleManager::AlignedEvalTime(g, interval, 1'700'000'000'000);
  for (int64_t now = 1'700'000'000'000; now < 1'700'000'100'000; now += 777) {
    const int64_t t = RuleManager::AlignedEvalTime(g, interval, now);
    EXPECT_GE(t, now);
    EXPECT_LT(t, now + interval);
    EXPECT_EQ((t - first) % interval, 0);
  }
  g.name = "y";
  EXPECT_NE(RuleManager::AlignedEvalTime(g, interval, 1'700'000'000'000) % interval,
            first % interval);
}

}  // namespace
}  // namespace quartet::alert

#include "server/alert/alerting_rule.h"

#include <gtest/gtest.h>

#include "server/query/promql/labels.h"

namespace quartet::alert {
namespace {

promql::VectorSample Sample(const char* instance, double v) {
  return {{{"__name__", "latency"}, {"instance", instance}}, v};
}

RuleConfig HighLatency(int64_t for_ms, int64_t keep_firing_for_ms = 0) {
  RuleConfig c;
  c.alert = "HighLatency";
  c.expr = "latency > 0.5";
  c.for_ms = for_ms;
  c.keep_firing_for_ms = keep_firing_for_ms;
  c.labels = {{"severity", "page"}};
  c.annotations = {{"summary", "{{ $labels.instance }} at {{ $value }}"}};
  return c;
}

// (ALERTS alertstate, ALERTS_FOR_STATE value) of the only alert in `out`.
std::pair<std::string, double> Series(const std::vector<promql::VectorSample>& out) {
  std::pair<std::string, double> r;
  for (const auto& s : out) {
    if (promql::GetLabel(s.labels, "__name__") == "ALERTS") {
      r.first = promql::GetLabel(s.labels, "alertstate");
    } else {
      r.second = s.v;
    }
  }
  return r;
}

TEST(AlertingRuleTest, PendingThenFiringAfterForThenResolved) {
  AlertingRule rule(HighLatency(10'000), {}, "");
  // Table: time (ms), result value (or none), want state of the alert.
  struct Step {
    int64_t t;
    bool present;
    AlertState want;
  };
  const Step steps[] = {
      {1'000'000, true, AlertState::kPending}, {1'005'000, true, AlertState::kPending},
      {1'009'999, true, AlertState::kPending}, {1'010'000, true, AlertState::kFiring},
      {1'015'000, true, AlertState::kFiring},  {1'020'000, false, AlertState::kInactive},
  };
  for (const Step& s : steps) {
    std::vector<promql::VectorSample> in;
    if (s.present) in.push_back(Sample("a", 0.9));
    Result<std::vector<promql::VectorSample>> out = rule.Eval(in, s.t, 0);
    ASSERT_TRUE(out.ok());
    std::vector<Alert> alerts = rule.Alerts();
    ASSERT_EQ(alerts.size(), 1u) << s.t;
    EXPECT_EQ(alerts[0].state, s.want) << s.t;
    EXPECT_EQ(alerts[0].active_at_ms, 1'000'000);
    if (s.want != AlertState::kInactive) {
      EXPECT_EQ(Series(*out).first, AlertStateName(s.want));
      EXPECT_EQ(Series(*out).second, 1000.0);  // activeAt in seconds
    } else {
      EXPECT_TRUE(out->empty());
      EXPECT_EQ(alerts[0].resolved_at_ms, 1'020'000);
    }
  }
  const Alert a = rule.Alerts()[0];
  EXPECT_EQ(a.fired_at_ms, 1'010'000);
  EXPECT_EQ(a.labels, (promql::Labels{
                          {"alertname", "HighLatency"}, {"instance", "a"}, {"severity", "page"}}));
  EXPECT_EQ(a.annotations, (LabelPairs{{"summary", "a at 0.9"}}));
  // Kept 15m after resolving (to be sent as resolved), then forgotten.
  ASSERT_TRUE(rule.Eval({}, 1'020'000 + kResolvedRetentionMs, 0).ok());
  EXPECT_EQ(rule.Alerts().size(), 1u);
  ASSERT_TRUE(rule.Eval({}, 1'020'001 + kResolvedRetentionMs, 0).ok());
  EXPECT_TRUE(rule.Alerts().empty());
}

TEST(AlertingRuleTest, PendingAlertThatDisappearsIsDropped) {
  AlertingRule rule(HighLatency(60'000), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 1000, 0).ok());
  EXPECT_EQ(rule.State(), AlertState::kPending);
  ASSERT_TRUE(rule.Eval({}, 2000, 0).ok());
  EXPECT_TRUE(rule.Alerts().empty());
  // Comes back: a new activeAt.
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 3000, 0).ok());
  EXPECT_EQ(rule.Alerts()[0].active_at_ms, 3000);
}

TEST(AlertingRuleTest, ZeroForFiresAtOnce) {
  AlertingRule rule(HighLatency(0), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 1000, 0).ok());
  EXPECT_EQ(rule.State(), AlertState::kFiring);
}

TEST(AlertingRuleTest, KeepFiringFor) {
  AlertingRule rule(HighLatency(0, 30'000), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 0 + 100'000, 0).ok());
  EXPECT_EQ(rule.State(), AlertState::kFiring);
  // Missing, but kept firing for 30s since it went missing.
  for (int64_t t : {110'000, 120'000, 129'999}) {
    Result<std::vector<promql::VectorSample>> out = rule.Eval({}, t, 0);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(rule.State(), AlertState::kFiring) << t;
    EXPECT_EQ(Series(*out).first, "firing");
  }
  ASSERT_TRUE(rule.Eval({}, 140'000, 0).ok());
  EXPECT_EQ(rule.State(), AlertState::kInactive);
  EXPECT_EQ(rule.Alerts()[0].resolved_at_ms, 140'000);
}

TEST(AlertingRuleTest, KeepFiringResetsWhenTheAlertComesBack) {
  AlertingRule rule(HighLatency(0, 30'000), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 100'000, 0).ok());
  ASSERT_TRUE(rule.Eval({}, 120'000, 0).ok());
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 125'000, 0).ok());
  ASSERT_TRUE(rule.Eval({}, 140'000, 0).ok());  // missing again since 140s
  ASSERT_TRUE(rule.Eval({}, 160'000, 0).ok());
  EXPECT_EQ(rule.State(), AlertState::kFiring);
  EXPECT_EQ(rule.Alerts()[0].active_at_ms, 100'000);
}

TEST(AlertingRuleTest, DuplicateLabelSetsAndLimitAreErrors) {
  RuleConfig c = HighLatency(0);
  c.labels = {{"instance", "same"}};
  AlertingRule dup(c, {}, "");
  Result<std::vector<promql::VectorSample>> out = dup.Eval({Sample("a", 1), Sample("b", 1)}, 1, 0);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(),
            "vector contains metrics with the same labelset after applying alert labels");

  AlertingRule limited(HighLatency(0), {}, "");
  out = limited.Eval({Sample("a", 1), Sample("b", 1)}, 1, 1);
  ASSERT_FALSE(out.ok());
  EXPECT_EQ(out.status().message(), "exceeded limit of 1 with 2 alerts");
  EXPECT_TRUE(limited.Alerts().empty());
}

TEST(AlertingRuleTest, SendsFiringEveryResendDelayAndResolvedOnce) {
  AlertingRule rule(HighLatency(0), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 100'000, 0).ok());
  std::vector<Alert> sent = rule.TakeAlertsToSend(100'000, 60'000, 10'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].valid_until_ms, 100'000 + 4 * 60'000);
  EXPECT_TRUE(rule.TakeAlertsToSend(110'000, 60'000, 10'000).empty());
  EXPECT_TRUE(rule.TakeAlertsToSend(160'000, 60'000, 10'000).empty());
  EXPECT_EQ(rule.TakeAlertsToSend(160'001, 60'000, 10'000).size(), 1u);
  ASSERT_TRUE(rule.Eval({}, 170'000, 0).ok());
  sent = rule.TakeAlertsToSend(170'000, 60'000, 10'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].state, AlertState::kInactive);
  EXPECT_TRUE(sent[0].newly_resolved);
  EXPECT_TRUE(rule.TakeAlertsToSend(180'000, 60'000, 10'000).empty());
  sent = rule.TakeAlertsToSend(230'001, 60'000, 10'000);  // resent to Alertmanager
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].newly_resolved);
}

// The first send of each firing episode, and only it, is newly_firing: not
// the resends, not the resolved send, not a send after a restore (the
// episode was announced before the restart); a new episode is again.
TEST(AlertingRuleTest, NewlyFiringOncePerEpisode) {
  AlertingRule rule(HighLatency(10'000), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 100'000, 0).ok());
  EXPECT_TRUE(rule.TakeAlertsToSend(100'000, 60'000, 10'000).empty());  // pending
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 110'000, 0).ok());
  std::vector<Alert> sent = rule.TakeAlertsToSend(110'000, 60'000, 10'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].newly_firing);
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 120'000, 0).ok());
  EXPECT_TRUE(rule.TakeAlertsToSend(120'000, 60'000, 10'000).empty());
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 171'000, 0).ok());
  sent = rule.TakeAlertsToSend(171'000, 60'000, 10'000);  // resend
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].newly_firing);

  AlertingRule restored(HighLatency(10'000), {}, "");
  restored.Restore(rule.Alerts());
  ASSERT_TRUE(restored.Eval({Sample("a", 1)}, 240'000, 0).ok());
  sent = restored.TakeAlertsToSend(240'000, 60'000, 10'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_FALSE(sent[0].newly_firing);

  ASSERT_TRUE(restored.Eval({}, 250'000, 0).ok());
  sent = restored.TakeAlertsToSend(250'000, 60'000, 10'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_TRUE(sent[0].newly_resolved);
  EXPECT_FALSE(sent[0].newly_firing);
  ASSERT_TRUE(restored.Eval({Sample("a", 1)}, 260'000, 0).ok());
  ASSERT_TRUE(restored.Eval({Sample("a", 1)}, 270'000, 0).ok());
  sent = restored.TakeAlertsToSend(270'000, 60'000, 10'000);
  ASSERT_EQ(sent.size(), 1u);
  EXPECT_EQ(sent[0].state, AlertState::kFiring);
  EXPECT_TRUE(sent[0].newly_firing);
}

TEST(AlertingRuleTest, PendingIsNeverSent) {
  AlertingRule rule(HighLatency(60'000), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 100'000, 0).ok());
  EXPECT_TRUE(rule.TakeAlertsToSend(100'000, 60'000, 10'000).empty());
}

TEST(AlertingRuleTest, RestoreKeepsStateAndActiveAt) {
  AlertingRule rule(HighLatency(10'000), {}, "");
  ASSERT_TRUE(rule.Eval({Sample("a", 1)}, 100'000, 0).ok());
  std::vector<Alert> saved = rule.Alerts();
  AlertingRule restored(HighLatency(10'000), {}, "");
  restored.Restore(saved);
  ASSERT_TRUE(restored.Eval({Sample("a", 1)}, 105'000, 0).ok());
  EXPECT_EQ(restored.State(), AlertState::kPending);
  ASSERT_TRUE(restored.Eval({Sample("a", 1)}, 110'000, 0).ok());
  EXPECT_EQ(restored.State(), AlertState::kFiring);
  EXPECT_EQ(restored.Alerts()[0].active_at_ms, 100'000);
}

}  // namespace
}  // namespace quartet::alert

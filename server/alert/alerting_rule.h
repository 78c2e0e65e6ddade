// AlertingRule: one `alert:` rule's state machine, as Prometheus 2.42's
// rules/alerting.go: each evaluation gets the rule query's result vector at
// time ts; every series in it is an alert (labels: the series' labels
// without __name__, plus the rule's expanded labels and alertname) that is
// pending from the first evaluation it appears at (activeAt) and firing once
// ts - activeAt >= `for`; an alert missing from the result becomes inactive
// (resolved, kept 15m to be sent as resolved) unless it was firing and
// keep_firing_for has not passed since it went missing. Annotations are
// re-expanded at each evaluation. Eval returns the ALERTS and
// ALERTS_FOR_STATE samples of the active alerts.
//
// Time is only what the caller passes (ts), so tests drive it directly.
// Thread-safety: all methods may be called concurrently (one mutex).
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/alert/rule_file.h"
#include "server/query/promql/engine.h"

namespace quartet::alert {

enum class AlertState { kInactive = 0, kPending = 1, kFiring = 2 };
std::string_view AlertStateName(AlertState state);  // "inactive", "pending", "firing"

struct Alert {
  promql::Labels labels;  // sorted; includes alertname
  LabelPairs annotations;
  AlertState state = AlertState::kInactive;
  double value = 0;
  int64_t active_at_ms = 0;
  int64_t fired_at_ms = 0;
  int64_t resolved_at_ms = 0;  // 0: not resolved
  int64_t last_sent_at_ms = 0;
  int64_t valid_until_ms = 0;
  int64_t keep_firing_since_ms = 0;  // 0: not being kept firing
  // Set only in TakeAlertsToSend's copies: the first send since it resolved
  // (webhooks get resolved alerts once; Alertmanager gets every resend).
  bool newly_resolved = false;
  // Set only in TakeAlertsToSend's copies: the first send since it fired
  // (a firing episode's incident report is posted once, with this send).
  bool newly_firing = false;
};

// How long a resolved alert is still sent (Prometheus's resolvedRetention).
inline constexpr int64_t kResolvedRetentionMs = 15 * 60 * 1000;

class AlertingRule {
 public:
  AlertingRule(RuleConfig config, LabelPairs external_labels, std::string external_url);

  const RuleConfig& config() const { return config_; }

  // Advances the state with the query result at ts_ms. Not OK (and the
  // state cleared, as Prometheus) when two series give the same alert
  // labels or more than `limit` (> 0) alerts are active.
  Result<std::vector<promql::VectorSample>> Eval(const std::vector<promql::VectorSample>& result,
                                                 int64_t ts_ms, int64_t limit);

  // Alerts not inactive, sorted by labels, and the resolved ones still kept.
  std::vector<Alert> Alerts() const;
  // Highest state of any alert (the rule's "state" in /api/v1/rules).
  AlertState State() const;

  // The alerts to notify at ts_ms (firing ones every resend_delay_ms, resolved
  // ones once), marking them sent; endsAt of firing ones is ts + 4 * max(
  // resend delay, group interval), as Prometheus's sendAlerts.
  std::vector<Alert> TakeAlertsToSend(int64_t ts_ms, int64_t resend_delay_ms, int64_t interval_ms);

  // Replaces the state (restoring it after a restart).
  void Restore(std::vector<Alert> alerts);

 private:
  Alert MakeAlert(const promql::VectorSample& sample, int64_t ts_ms) const;
  promql::VectorSample Series(const Alert& a, std::string_view name, double v) const;

  const RuleConfig config_;
  const LabelPairs external_labels_;
  const std::string external_url_;
  mutable std::mutex mu_;
  std::map<std::string, Alert> active_;  // by LabelsKey(labels)
};

}  // namespace quartet::alert

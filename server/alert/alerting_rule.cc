#include "server/alert/alerting_rule.h"

#include <algorithm>
#include <set>

#include "server/alert/template.h"
#include "server/query/promql/labels.h"

namespace quartet::alert {

std::string_view AlertStateName(AlertState state) {
  switch (state) {
    case AlertState::kInactive:
      return "inactive";
    case AlertState::kPending:
      return "pending";
    case AlertState::kFiring:
      return "firing";
  }
  return "inactive";
}

AlertingRule::AlertingRule(RuleConfig config, LabelPairs external_labels, std::string external_url)
    : config_(std::move(config)),
      external_labels_(std::move(external_labels)),
      external_url_(std::move(external_url)) {}

Alert AlertingRule::MakeAlert(const promql::VectorSample& sample, int64_t ts_ms) const {
  TemplateData data;
  for (const promql::Label& l : sample.labels) data.labels[l.name] = l.value;
  for (const auto& [k, v] : external_labels_) data.external_labels[k] = v;
  data.external_url = external_url_;
  data.value = sample.v;
  Alert a;
  a.labels = sample.labels;
  promql::DeleteLabel(&a.labels, promql::kMetricName);
  for (const auto& [k, v] : config_.labels) {
    promql::SetLabel(&a.labels, k, ExpandRuleTemplate(config_.alert, v, data));
  }
  promql::SetLabel(&a.labels, "alertname", config_.alert);
  for (const auto& [k, v] : config_.annotations) {
    a.annotations.emplace_back(k, ExpandRuleTemplate(config_.alert, v, data));
  }
  a.state = AlertState::kPending;
  a.active_at_ms = ts_ms;
  a.value = sample.v;
  return a;
}

promql::VectorSample AlertingRule::Series(const Alert& a, std::string_view name, double v) const {
  promql::VectorSample s{a.labels, v};
  promql::SetLabel(&s.labels, promql::kMetricName, name);
  if (name == "ALERTS") promql::SetLabel(&s.labels, "alertstate", AlertStateName(a.state));
  return s;
}

Result<std::vector<promql::VectorSample>> AlertingRule::Eval(
    const std::vector<promql::VectorSample>& result, int64_t ts_ms, int64_t limit) {
  std::map<std::string, Alert> current;
  for (const promql::VectorSample& sample : result) {
    Alert a = MakeAlert(sample, ts_ms);
    std::string key = promql::LabelsKey(a.labels);
    if (!current.emplace(std::move(key), std::move(a)).second) {
      return Status::FailedPrecondition(
          "vector contains metrics with the same labelset after applying alert labels");
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, a] : current) {
    auto it = active_.find(key);
    if (it != active_.end() && it->second.state != AlertState::kInactive) {
      it->second.value = a.value;
      it->second.annotations = std::move(a.annotations);
      continue;
    }
    active_[key] = std::move(a);
  }
  std::vector<promql::VectorSample> out;
  int64_t active_count = 0;
  for (auto it = active_.begin(); it != active_.end();) {
    Alert& a = it->second;
    if (!current.contains(it->first)) {
      bool keep_firing = false;
      if (a.state == AlertState::kFiring && config_.keep_firing_for_ms > 0) {
        if (a.keep_firing_since_ms == 0) a.keep_firing_since_ms = ts_ms;
        keep_firing = ts_ms - a.keep_firing_since_ms < config_.keep_firing_for_ms;
      }
      if (a.state == AlertState::kPending ||
          (a.resolved_at_ms != 0 && ts_ms - a.resolved_at_ms > kResolvedRetentionMs)) {
        it = active_.erase(it);
        continue;
      }
      if (a.state != AlertState::kInactive && !keep_firing) {
        a.state = AlertState::kInactive;
        a.resolved_at_ms = ts_ms;
      }
      if (!keep_firing) {
        ++it;
        continue;
      }
    } else {
      a.keep_firing_since_ms = 0;
    }
    ++active_count;
    if (a.state == AlertState::kPending && ts_ms - a.active_at_ms >= config_.for_ms) {
      a.state = AlertState::kFiring;
      a.fired_at_ms = ts_ms;
    }
    out.push_back(Series(a, "ALERTS", 1));
    out.push_back(Series(a, "ALERTS_FOR_STATE", static_cast<double>(a.active_at_ms / 1000)));
    ++it;
  }
  if (limit > 0 && active_count > limit) {
    active_.clear();
    return Status::FailedPrecondition("exceeded limit of " + std::to_string(limit) + " with " +
                                      std::to_string(active_count) + " alerts");
  }
  return out;
}

std::vector<Alert> AlertingRule::Alerts() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Alert> out;
  for (const auto& [key, a] : active_) out.push_back(a);
  std::sort(out.begin(), out.end(),
            [](const Alert& x, const Alert& y) { return x.labels < y.labels; });
  return out;
}

AlertState AlertingRule::State() const {
  std::lock_guard<std::mutex> lock(mu_);
  AlertState s = AlertState::kInactive;
  for (const auto& [key, a] : active_) s = std::max(s, a.state);
  return s;
}

std::vector<Alert> AlertingRule::TakeAlertsToSend(int64_t ts_ms, int64_t resend_delay_ms,
                                                  int64_t interval_ms) {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<Alert> out;
  const int64_t delta = std::max(resend_delay_ms, interval_ms);
  for (auto& [key, a] : active_) {
    if (a.state == AlertState::kPending) continue;
    // Prometheus's needsSending: resolved since the last send, or not sent
    // for resend_delay (resolved alerts too, until they are forgotten).
    const bool newly_resolved = a.resolved_at_ms > a.last_sent_at_ms;
    if (!newly_resolved && a.last_sent_at_ms + resend_delay_ms >= ts_ms) continue;
    // last_sent_at_ms is kept across restarts, so a restart does not start
    // a new episode.
    const bool newly_firing = a.state == AlertState::kFiring && a.last_sent_at_ms < a.fired_at_ms;
    a.valid_until_ms = ts_ms + 4 * delta;
    a.last_sent_at_ms = ts_ms;
    out.push_back(a);
    out.back().newly_resolved = newly_resolved;
    out.back().newly_firing = newly_firing;
  }
  return out;
}

void AlertingRule::Restore(std::vector<Alert> alerts) {
  std::lock_guard<std::mutex> lock(mu_);
  active_.clear();
  for (Alert& a : alerts) {
    std::string key = promql::LabelsKey(a.labels);
    active_[std::move(key)] = std::move(a);
  }
}

}  // namespace quartet::alert

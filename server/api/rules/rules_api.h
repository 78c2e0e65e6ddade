// RulesApi: Prometheus 2.42's rule and alert endpoints over the RuleManager
// (server/alert), with its JSON shapes, so Grafana's alerting views,
// promtool and our UI read them as from Prometheus:
//   GET|POST /api/v1/rules   [type=alert|record] [rule_name[]=] [rule_group[]=] [file[]=]
//   GET|POST /api/v1/alerts
// Rules carry state, health, lastError, evaluationTime (seconds) and
// lastEvaluation (RFC 3339); alerts carry activeAt and value as Go's
// FormatFloat(v, 'e', -1) string ("7.5e-01"), as Prometheus.
//
// Checked against Prometheus 2.42 on the same rule file: the same keys in the
// same order; only JSON escaping differs (Go writes < > & as \u003c...).
//
// Thread-safety: handlers may run concurrently (RuleManager::Groups is).
#pragma once

#include <atomic>
#include <string>

#include "server/alert/rule_manager.h"
#include "server/http/http_message.h"
#include "server/http/router.h"

namespace quartet::api {

class RulesApi {
 public:
  // `rules` may be null: empty lists are served until SetRules (quartetd
  // registers the routes before the rule manager starts).
  explicit RulesApi(const alert::RuleManager* rules = nullptr) : rules_(rules) {}
  void SetRules(const alert::RuleManager* rules) { rules_.store(rules); }

  void Register(server::Router* router);
  server::HttpResponse Rules(const server::HttpRequest& request) const;
  server::HttpResponse Alerts(const server::HttpRequest& request) const;

 private:
  std::vector<alert::GroupStatus> Groups() const;

  std::atomic<const alert::RuleManager*> rules_;
};

// Go's strconv.FormatFloat(v, 'e', -1, 64): "1e+00", "7.5e-01", "NaN", "+Inf".
std::string GoFloatE(double v);
// Go's time.Time JSON (RFC 3339, fraction trimmed, UTC); 0 is Go's zero time
// "0001-01-01T00:00:00Z".
std::string GoTimeJson(int64_t unix_ms);

}  // namespace quartet::api

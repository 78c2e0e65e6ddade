#include "server/api/rules/rules_api.h"

#include <charconv>
#include <cmath>
#include <cstdio>

#include "server/alert/notifier.h"
#include "server/api/params.h"
#include "wire/json/json_writer.h"

namespace quartet::api {
namespace {

using alert::Alert;
using alert::AlertStateName;
using alert::GroupStatus;
using alert::RuleStatus;

void AppendPairs(std::string* out, const alert::LabelPairs& pairs) {
  *out += '{';
  for (size_t i = 0; i < pairs.size(); ++i) {
    if (i > 0) *out += ',';
    json::AppendString(out, pairs[i].first);
    *out += ':';
    json::AppendString(out, pairs[i].second);
  }
  *out += '}';
}

void AppendLabels(std::string* out, const promql::Labels& labels) {
  alert::LabelPairs pairs;
  for (const promql::Label& l : labels) pairs.emplace_back(l.name, l.value);
  AppendPairs(out, pairs);
}

void AppendAlert(std::string* out, const Alert& a) {
  *out += "{\"labels\":";
  AppendLabels(out, a.labels);
  *out += ",\"annotations\":";
  AppendPairs(out, a.annotations);
  *out += ",\"state\":";
  json::AppendString(out, AlertStateName(a.state));
  *out += ",\"activeAt\":";
  json::AppendString(out, GoTimeJson(a.active_at_ms));
  *out += ",\"value\":";
  json::AppendString(out, GoFloatE(a.value));
  *out += '}';
}

void AppendSeconds(std::string* out, double s) { json::AppendDouble(out, s); }

bool Wanted(const std::vector<std::string>& filter, const std::string& v) {
  if (filter.empty()) return true;
  for (const std::string& f : filter) {
    if (f == v) return true;
  }
  return false;
}

}  // namespace

std::string GoFloatE(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  std::string s(buf, end);
  // to_chars writes "e+06"/"e-05"/"e+100"; Go has at least two exponent digits too.
  const size_t e = s.find('e');
  std::string mant = s.substr(0, e), exp = s.substr(e + 2);
  if (exp.size() < 2) exp = "0" + exp;
  return mant + "e" + s[e + 1] + exp;
}

std::string GoTimeJson(int64_t unix_ms) {
  if (unix_ms == 0) return "0001-01-01T00:00:00Z";
  return alert::Rfc3339(unix_ms);
}

std::vector<GroupStatus> RulesApi::Groups() const {
  const alert::RuleManager* rules = rules_.load();
  return rules ? rules->Groups() : std::vector<GroupStatus>{};
}

void RulesApi::Register(server::Router* router) {
  for (const char* method : {"GET", "POST"}) {
    router->Handle(method, "/api/v1/rules",
                   [this](const server::HttpRequest& r) { return Rules(r); });
    router->Handle(method, "/api/v1/alerts",
                   [this](const server::HttpRequest& r) { return Alerts(r); });
  }
}

server::HttpResponse RulesApi::Rules(const server::HttpRequest& request) const {
  if (!request.form_error.empty()) return ApiError(400, "bad_data", request.form_error);
  std::string type = request.Param("type").value_or("");
  for (char& c : type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!type.empty() && type != "alert" && type != "record") {
    return ApiError(400, "bad_data", "not supported value \"" + type + "\"");
  }
  const std::vector<std::string> names = request.Params("rule_name[]");
  const std::vector<std::string> groups_wanted = request.Params("rule_group[]");
  const std::vector<std::string> files = request.Params("file[]");
  std::string data = "{\"groups\":[";
  bool first_group = true;
  for (const GroupStatus& g : Groups()) {
    if (!Wanted(groups_wanted, g.name) || !Wanted(files, g.file)) continue;
    if (!first_group) data += ',';
    first_group = false;
    data += "{\"name\":";
    json::AppendString(&data, g.name);
    data += ",\"file\":";
    json::AppendString(&data, g.file);
    data += ",\"rules\":[";
    bool first_rule = true;
    for (const RuleStatus& r : g.rules) {
      const bool alerting = r.config.is_alert();
      if ((type == "alert" && !alerting) || (type == "record" && alerting)) continue;
      if (!Wanted(names, r.config.name())) continue;
      if (!first_rule) data += ',';
      first_rule = false;
      data += '{';
      if (alerting) {
        data += "\"state\":";
        json::AppendString(&data, AlertStateName(r.state));
        data += ',';
      }
      data += "\"name\":";
      json::AppendString(&data, r.config.name());
      data += ",\"query\":";
      json::AppendString(&data, r.query);
      if (alerting) {
        data += ",\"duration\":";
        AppendSeconds(&data, static_cast<double>(r.config.for_ms) / 1000);
        data += ",\"keepFiringFor\":";
        AppendSeconds(&data, static_cast<double>(r.config.keep_firing_for_ms) / 1000);
        data += ",\"labels\":";
        AppendPairs(&data, r.config.labels);
        data += ",\"annotations\":";
        AppendPairs(&data, r.config.annotations);
        data += ",\"alerts\":[";
        for (size_t i = 0; i < r.alerts.size(); ++i) {
          if (i > 0) data += ',';
          AppendAlert(&data, r.alerts[i]);
        }
        data += ']';
      } else if (!r.config.labels.empty()) {
        data += ",\"labels\":";
        AppendPairs(&data, r.config.labels);
      }
      data += ",\"health\":";
      json::AppendString(&data, r.health);
      if (!r.last_error.empty()) {
        data += ",\"lastError\":";
        json::AppendString(&data, r.last_error);
      }
      data += ",\"evaluationTime\":";
      AppendSeconds(&data, r.eval_seconds);
      data += ",\"lastEvaluation\":";
      json::AppendString(&data, GoTimeJson(r.last_eval_ms));
      data += ",\"type\":";
      data += alerting ? "\"alerting\"" : "\"recording\"";
      data += '}';
    }
    data += "],\"interval\":";
    AppendSeconds(&data, static_cast<double>(g.interval_ms) / 1000);
    data += ",\"limit\":";
    json::AppendInt(&data, g.limit);
    data += ",\"evaluationTime\":";
    AppendSeconds(&data, g.eval_seconds);
    data += ",\"lastEvaluation\":";
    json::AppendString(&data, GoTimeJson(g.last_eval_ms));
    data += '}';
  }
  data += "]}";
  return ApiSuccess(std::move(data));
}

server::HttpResponse RulesApi::Alerts(const server::HttpRequest& request) const {
  std::string data = "{\"alerts\":[";
  bool first = true;
  for (const GroupStatus& g : Groups()) {
    for (const RuleStatus& r : g.rules) {
      for (const Alert& a : r.alerts) {
        if (!first) data += ',';
        first = false;
        AppendAlert(&data, a);
      }
    }
  }
  data += "]}";
  return ApiSuccess(std::move(data));
}

}  // namespace quartet::api

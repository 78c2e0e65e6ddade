#include "server/config/prometheus_config.h"

#include <re2/re2.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <filesystem>
#include <fstream>
#include <functional>
#include <initializer_list>
#include <set>
#include <sstream>

#include "base/strings.h"

namespace quartet::server {
namespace {

bool IsLabelName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Prometheus's relabelTarget: label names with $1 / ${name} references.
bool IsRelabelTarget(std::string_view s) {
  static const RE2 re(R"(^(?:(?:[a-zA-Z_]|\$(?:\{\w+\}|\w+))+\w*)+$)");
  return RE2::FullMatch(s, re);
}

Status KeyError(const std::string& path, std::string_view problem) {
  return Status::InvalidArgument("config key " + path + ": " + std::string(problem));
}

// Each mapping's keys must be among `allowed`; the first other is the error.
Status CheckKeys(const YAML::Node& node, const std::string& path,
                 std::initializer_list<std::string_view> allowed,
                 std::initializer_list<std::string_view> refused = {}) {
  if (!node.IsMap()) return KeyError(path, "must be a mapping");
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string where = path + "." + key;
    if (std::find(refused.begin(), refused.end(), key) != refused.end()) {
      return KeyError(where, "not supported by quartetd");
    }
    if (std::find(allowed.begin(), allowed.end(), key) == allowed.end()) {
      if (key.size() > 11 && key.ends_with("_sd_configs")) {
        return KeyError(where,
                        "service discovery is not supported by quartetd (use static_configs)");
      }
      return KeyError(where, "unknown key");
    }
  }
  return Status::Ok();
}

Result<std::string> Scalar(const YAML::Node& node, const std::string& path) {
  if (node.IsNull()) return std::string();
  if (!node.IsScalar()) return KeyError(path, "must be a single value");
  return node.as<std::string>();
}

Result<bool> Bool(const YAML::Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, Scalar(node, path));
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  return KeyError(path, "want true or false, got \"" + s + "\"");
}

Result<uint64_t> Unsigned(const YAML::Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, Scalar(node, path));
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || p != s.data() + s.size()) {
    return KeyError(path, "want a non-negative integer, got \"" + s + "\"");
  }
  return v;
}

Result<int64_t> Duration(const YAML::Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, Scalar(node, path));
  Result<int64_t> ms = ParsePrometheusDuration(s);
  if (!ms.ok()) return KeyError(path, ms.status().message());
  return *ms;
}

// Prometheus's units.Base2Bytes: "1KB" = 1024 ... as its body_size_limit.
Result<uint64_t> Base2Bytes(const YAML::Node& node, const std::string& path) {
  ASSIGN_OR_RETURN(std::string s, Scalar(node, path));
  uint64_t n = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  const std::string unit(p, static_cast<const char*>(s.data() + s.size()));
  uint64_t scale = 0;
  if (unit.empty() || unit == "B") scale = 1;
  if (unit == "KB" || unit == "KiB") scale = 1ull << 10;
  if (unit == "MB" || unit == "MiB") scale = 1ull << 20;
  if (unit == "GB" || unit == "GiB") scale = 1ull << 30;
  if (unit == "TB" || unit == "TiB") scale = 1ull << 40;
  if (ec != std::errc() || p == s.data() || scale == 0 || n > UINT64_MAX / scale) {
    return KeyError(path, "want a size like 10MB, got \"" + s + "\"");
  }
  return n * scale;
}

Result<std::vector<std::string>> StringList(const YAML::Node& node, const std::string& path) {
  std::vector<std::string> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) return KeyError(path, "must be a list");
  for (size_t i = 0; i < node.size(); ++i) {
    ASSIGN_OR_RETURN(std::string s, Scalar(node[i], path + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(s));
  }
  return out;
}

Result<LabelPairs> LabelMap(const YAML::Node& node, const std::string& path) {
  LabelPairs out;
  if (node.IsNull()) return out;
  if (!node.IsMap()) return KeyError(path, "must be a mapping of label names to values");
  for (const auto& item : node) {
    const std::string name = item.first.as<std::string>();
    if (!IsLabelName(name)) return KeyError(path, "\"" + name + "\" is not a valid label name");
    ASSIGN_OR_RETURN(std::string value, Scalar(item.second, path + "." + name));
    out.emplace_back(name, std::move(value));
  }
  std::sort(out.begin(), out.end());
  return out;
}

Result<std::string> ReadSecretFile(const std::string& file, const std::string& base_dir,
                                   const std::string& path) {
  std::filesystem::path p(file);
  if (p.is_relative() && !base_dir.empty()) p = std::filesystem::path(base_dir) / p;
  std::ifstream in(p);
  if (!in) return KeyError(path, "cannot read " + p.string());
  std::stringstream ss;
  ss << in.rdbuf();
  return std::string(TrimSpace(ss.str()));
}

std::string ResolvePath(const std::string& file, const std::string& base_dir) {
  if (file.empty() || base_dir.empty() || std::filesystem::path(file).is_absolute()) return file;
  return (std::filesystem::path(base_dir) / file).string();
}

Result<RelabelAction> ParseAction(std::string_view text) {
  const std::string lower = AsciiLower(text);
  for (RelabelAction a :
       {RelabelAction::kReplace, RelabelAction::kKeep, RelabelAction::kDrop,
        RelabelAction::kKeepEqual, RelabelAction::kDropEqual, RelabelAction::kHashMod,
        RelabelAction::kLabelMap, RelabelAction::kLabelDrop, RelabelAction::kLabelKeep,
        RelabelAction::kLowercase, RelabelAction::kUppercase}) {
    if (RelabelActionName(a) == lower) return a;
  }
  return Status::InvalidArgument("unknown relabel action \"" + std::string(text) + "\"");
}

Result<RelabelConfig> ParseRelabel(const YAML::Node& node, const std::string& path) {
  RETURN_IF_ERROR(CheckKeys(
      node, path,
      {"source_labels", "separator", "regex", "modulus", "target_label", "replacement", "action"}));
  RelabelConfig c;
  bool has_sources = false, has_regex = false, has_separator = false, has_modulus = false,
       has_target = false, has_replacement = false;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string where = path + "." + key;
    const YAML::Node& v = item.second;
    if (key == "source_labels") {
      ASSIGN_OR_RETURN(c.source_labels, StringList(v, where));
      for (const std::string& l : c.source_labels) {
        if (!IsLabelName(l)) return KeyError(where, "\"" + l + "\" is not a valid label name");
      }
      has_sources = true;
    } else if (key == "separator") {
      ASSIGN_OR_RETURN(c.separator, Scalar(v, where));
      has_separator = c.separator != ";";
    } else if (key == "regex") {
      ASSIGN_OR_RETURN(c.regex_text, Scalar(v, where));
      has_regex = c.regex_text != "(.*)";
    } else if (key == "modulus") {
      ASSIGN_OR_RETURN(c.modulus, Unsigned(v, where));
      has_modulus = c.modulus != 0;
    } else if (key == "target_label") {
      ASSIGN_OR_RETURN(c.target_label, Scalar(v, where));
      has_target = !c.target_label.empty();
    } else if (key == "replacement") {
      ASSIGN_OR_RETURN(c.replacement, Scalar(v, where));
      has_replacement = c.replacement != "$1";
    } else if (key == "action") {
      ASSIGN_OR_RETURN(std::string text, Scalar(v, where));
      if (text.empty()) return KeyError(where, "relabel action cannot be empty");
      Result<RelabelAction> a = ParseAction(text);
      if (!a.ok()) return KeyError(where, a.status().message());
      c.action = *a;
    }
  }
  Result<std::shared_ptr<const re2::RE2>> re = CompileRelabelRegex(c.regex_text);
  if (!re.ok()) return KeyError(path + ".regex", re.status().message());
  c.regex = *re;

  // Prometheus's relabel.Config checks, in its words.
  const RelabelAction a = c.action;
  const std::string name(RelabelActionName(a));
  if (a == RelabelAction::kHashMod && c.modulus == 0) {
    return KeyError(path, "relabel configuration for hashmod requires non-zero modulus");
  }
  const bool needs_target = a == RelabelAction::kReplace || a == RelabelAction::kHashMod ||
                            a == RelabelAction::kLowercase || a == RelabelAction::kUppercase ||
                            a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual;
  if (needs_target && c.target_label.empty()) {
    return KeyError(path,
                    "relabel configuration for " + name + " action requires 'target_label' value");
  }
  const bool plain_target = a == RelabelAction::kLowercase || a == RelabelAction::kUppercase ||
                            a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual ||
                            a == RelabelAction::kHashMod;
  if ((a == RelabelAction::kReplace && !IsRelabelTarget(c.target_label)) ||
      (plain_target && !IsLabelName(c.target_label))) {
    return KeyError(path,
                    "\"" + c.target_label + "\" is invalid 'target_label' for " + name + " action");
  }
  if ((a == RelabelAction::kLowercase || a == RelabelAction::kUppercase) && has_replacement) {
    return KeyError(path, "'replacement' can not be set for " + name + " action");
  }
  if (a == RelabelAction::kLabelMap && !IsRelabelTarget(c.replacement)) {
    return KeyError(path,
                    "\"" + c.replacement + "\" is invalid 'replacement' for " + name + " action");
  }
  if ((a == RelabelAction::kKeepEqual || a == RelabelAction::kDropEqual) &&
      (has_regex || has_modulus || has_separator || has_replacement)) {
    return KeyError(path, name +
                              " action requires only 'source_labels' and `target_label`, and no "
                              "other fields");
  }
  if ((a == RelabelAction::kLabelDrop || a == RelabelAction::kLabelKeep) &&
      (has_sources || has_target || has_modulus || has_separator || has_replacement)) {
    return KeyError(path, name + " action requires only 'regex', and no other fields");
  }
  return c;
}

Result<std::vector<RelabelConfig>> ParseRelabelList(const YAML::Node& node,
                                                    const std::string& path) {
  std::vector<RelabelConfig> out;
  if (node.IsNull()) return out;
  if (!node.IsSequence()) return KeyError(path, "must be a list");
  for (size_t i = 0; i < node.size(); ++i) {
    ASSIGN_OR_RETURN(RelabelConfig c, ParseRelabel(node[i], path + "[" + std::to_string(i) + "]"));
    out.push_back(std::move(c));
  }
  return out;
}

Status ParseGlobal(const YAML::Node& node, PrometheusGlobal* g) {
  if (node.IsNull()) return Status::Ok();
  RETURN_IF_ERROR(CheckKeys(node, "global",
                            {"scrape_interval", "scrape_timeout", "evaluation_interval",
                             "external_labels", "query_log_file"}));
  int64_t timeout = 0;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string where = "global." + key;
    if (key == "scrape_interval") {
      ASSIGN_OR_RETURN(g->scrape_interval_ms, Duration(item.second, where));
    } else if (key == "scrape_timeout") {
      ASSIGN_OR_RETURN(timeout, Duration(item.second, where));
    } else if (key == "evaluation_interval") {
      ASSIGN_OR_RETURN(g->evaluation_interval_ms, Duration(item.second, where));
    } else if (key == "external_labels") {
      ASSIGN_OR_RETURN(g->external_labels, LabelMap(item.second, where));
    } else if (key == "query_log_file") {
      ASSIGN_OR_RETURN(g->query_log_file, Scalar(item.second, where));
    }
  }
  if (g->scrape_interval_ms == 0) g->scrape_interval_ms = PrometheusGlobal{}.scrape_interval_ms;
  if (g->evaluation_interval_ms == 0) {
    g->evaluation_interval_ms = PrometheusGlobal{}.evaluation_interval_ms;
  }
  if (timeout > g->scrape_interval_ms) {
    return Status::InvalidArgument("global scrape timeout greater than scrape interval");
  }
  g->scrape_timeout_ms =
      timeout != 0 ? timeout
                   : std::min(PrometheusGlobal{}.scrape_timeout_ms, g->scrape_interval_ms);
  return Status::Ok();
}

Status ParseHttpClient(const std::string& key, const YAML::Node& v, const std::string& where,
                       const std::string& base_dir, ScrapeConfig* c) {
  if (key == "basic_auth") {
    RETURN_IF_ERROR(CheckKeys(v, where, {"username", "password", "password_file"}));
    for (const auto& item : v) {
      const std::string k = item.first.as<std::string>();
      ASSIGN_OR_RETURN(std::string s, Scalar(item.second, where + "." + k));
      if (k == "username") c->basic_auth_username = s;
      if (k == "password") c->basic_auth_password = s;
      if (k == "password_file") {
        ASSIGN_OR_RETURN(c->basic_auth_password, ReadSecretFile(s, base_dir, where + "." + k));
      }
    }
  } else if (key == "authorization") {
    RETURN_IF_ERROR(CheckKeys(v, where, {"type", "credentials", "credentials_file"}));
    c->authorization_type = "Bearer";
    for (const auto& item : v) {
      const std::string k = item.first.as<std::string>();
      ASSIGN_OR_RETURN(std::string s, Scalar(item.second, where + "." + k));
      if (k == "type" && !s.empty()) c->authorization_type = s;
      if (k == "credentials") c->authorization_credentials = s;
      if (k == "credentials_file") {
        ASSIGN_OR_RETURN(c->authorization_credentials,
                         ReadSecretFile(s, base_dir, where + "." + k));
      }
    }
    if (AsciiLower(c->authorization_type) == "basic") {
      return KeyError(where + ".type",
                      "authorization type cannot be set to \"basic\", use \"basic_auth\" instead");
    }
  } else if (key == "bearer_token") {
    c->authorization_type = "Bearer";
    ASSIGN_OR_RETURN(c->authorization_credentials, Scalar(v, where));
  } else if (key == "bearer_token_file") {
    c->authorization_type = "Bearer";
    ASSIGN_OR_RETURN(std::string file, Scalar(v, where));
    ASSIGN_OR_RETURN(c->authorization_credentials, ReadSecretFile(file, base_dir, where));
  } else if (key == "tls_config") {
    RETURN_IF_ERROR(CheckKeys(
        v, where, {"ca_file", "cert_file", "key_file", "server_name", "insecure_skip_verify"},
        {"ca", "cert", "key", "min_version", "max_version"}));
    for (const auto& item : v) {
      const std::string k = item.first.as<std::string>();
      const std::string w = where + "." + k;
      if (k == "insecure_skip_verify") {
        ASSIGN_OR_RETURN(c->tls.insecure_skip_verify, Bool(item.second, w));
        continue;
      }
      ASSIGN_OR_RETURN(std::string s, Scalar(item.second, w));
      if (k == "ca_file") c->tls.ca_file = ResolvePath(s, base_dir);
      if (k == "cert_file") c->tls.cert_file = ResolvePath(s, base_dir);
      if (k == "key_file") c->tls.key_file = ResolvePath(s, base_dir);
      if (k == "server_name") c->tls.server_name = s;
    }
  } else if (key == "proxy_url") {
    ASSIGN_OR_RETURN(c->proxy_url, Scalar(v, where));
  } else if (key == "follow_redirects") {
    ASSIGN_OR_RETURN(c->follow_redirects, Bool(v, where));
  }
  // enable_http2: accepted; curl negotiates what the target offers.
  return Status::Ok();
}

Result<ScrapeConfig> ParseScrapeConfig(const YAML::Node& node, const std::string& path,
                                       const PrometheusGlobal& global,
                                       const std::string& base_dir) {
  RETURN_IF_ERROR(CheckKeys(node, path,
                            {"job_name",
                             "honor_labels",
                             "honor_timestamps",
                             "params",
                             "scrape_interval",
                             "scrape_timeout",
                             "metrics_path",
                             "scheme",
                             "body_size_limit",
                             "sample_limit",
                             "target_limit",
                             "label_limit",
                             "label_name_length_limit",
                             "label_value_length_limit",
                             "basic_auth",
                             "authorization",
                             "bearer_token",
                             "bearer_token_file",
                             "tls_config",
                             "proxy_url",
                             "follow_redirects",
                             "enable_http2",
                             "static_configs",
                             "relabel_configs",
                             "metric_relabel_configs"},
                            {"oauth2", "no_proxy", "proxy_from_environment", "proxy_connect_header",
                             "native_histogram_bucket_limit", "scrape_classic_histograms"}));
  ScrapeConfig c;
  bool has_job = false;
  for (const auto& item : node) {
    const std::string key = item.first.as<std::string>();
    const std::string where = path + "." + key;
    const YAML::Node& v = item.second;
    if (key == "job_name") {
      ASSIGN_OR_RETURN(c.job_name, Scalar(v, where));
      has_job = true;
    } else if (key == "honor_labels") {
      ASSIGN_OR_RETURN(c.honor_labels, Bool(v, where));
    } else if (key == "honor_timestamps") {
      ASSIGN_OR_RETURN(c.honor_timestamps, Bool(v, where));
    } else if (key == "params") {
      if (v.IsNull()) continue;
      if (!v.IsMap()) return KeyError(where, "must be a mapping of names to lists of values");
      for (const auto& p : v) {
        const std::string name = p.first.as<std::string>();
        ASSIGN_OR_RETURN(std::vector<std::string> values, StringList(p.second, where + "." + name));
        c.params.emplace_back(name, std::move(values));
      }
    } else if (key == "scrape_interval") {
      ASSIGN_OR_RETURN(c.scrape_interval_ms, Duration(v, where));
    } else if (key == "scrape_timeout") {
      ASSIGN_OR_RETURN(c.scrape_timeout_ms, Duration(v, where));
    } else if (key == "metrics_path") {
      ASSIGN_OR_RETURN(c.metrics_path, Scalar(v, where));
    } else if (key == "scheme") {
      ASSIGN_OR_RETURN(c.scheme, Scalar(v, where));
      if (c.scheme != "http" && c.scheme != "https") {
        return KeyError(where, "want http or https, got \"" + c.scheme + "\"");
      }
    } else if (key == "body_size_limit") {
      ASSIGN_OR_RETURN(c.body_size_limit, Base2Bytes(v, where));
    } else if (key == "sample_limit") {
      ASSIGN_OR_RETURN(c.sample_limit, Unsigned(v, where));
    } else if (key == "target_limit") {
      ASSIGN_OR_RETURN(c.target_limit, Unsigned(v, where));
    } else if (key == "label_limit") {
      ASSIGN_OR_RETURN(c.label_limit, Unsigned(v, where));
    } else if (key == "label_name_length_limit") {
      ASSIGN_OR_RETURN(c.label_name_length_limit, Unsigned(v, where));
    } else if (key == "label_value_length_limit") {
      ASSIGN_OR_RETURN(c.label_value_length_limit, Unsigned(v, where));
    } else if (key == "static_configs") {
      if (v.IsNull()) continue;
      if (!v.IsSequence()) return KeyError(where, "must be a list");
      for (size_t i = 0; i < v.size(); ++i) {
        const std::string w = where + "[" + std::to_string(i) + "]";
        RETURN_IF_ERROR(CheckKeys(v[i], w, {"targets", "labels"}));
        StaticTargetGroup group;
        if (v[i]["targets"]) {
          ASSIGN_OR_RETURN(group.targets, StringList(v[i]["targets"], w + ".targets"));
        }
        if (v[i]["labels"]) {
          ASSIGN_OR_RETURN(group.labels, LabelMap(v[i]["labels"], w + ".labels"));
        }
        for (const std::string& t : group.targets) {
          if (t.find('/') != std::string::npos) {
            return KeyError(w + ".targets", "\"" + t + "\" is not a valid hostname");
          }
        }
        c.static_configs.push_back(std::move(group));
      }
    } else if (key == "relabel_configs") {
      ASSIGN_OR_RETURN(c.relabel_configs, ParseRelabelList(v, where));
    } else if (key == "metric_relabel_configs") {
      ASSIGN_OR_RETURN(c.metric_relabel_configs, ParseRelabelList(v, where));
    } else {
      RETURN_IF_ERROR(ParseHttpClient(key, v, where, base_dir, &c));
    }
  }
  if (!has_job || c.job_name.empty()) return KeyError(path, "job_name is empty");
  if (!c.basic_auth_username.empty() && !c.authorization_credentials.empty()) {
    return KeyError(path,
                    "at most one of basic_auth, oauth2, bearer_token & bearer_token_file "
                    "must be configured");
  }
  if (c.scrape_interval_ms == 0) c.scrape_interval_ms = global.scrape_interval_ms;
  if (c.scrape_timeout_ms > c.scrape_interval_ms) {
    return Status::InvalidArgument(
        "scrape timeout greater than scrape interval for scrape config with job name \"" +
        c.job_name + "\"");
  }
  if (c.scrape_timeout_ms == 0) {
    c.scrape_timeout_ms = std::min(global.scrape_timeout_ms, c.scrape_interval_ms);
  }
  return c;
}

}  // namespace

std::string_view RelabelActionName(RelabelAction action) {
  switch (action) {
    case RelabelAction::kReplace:
      return "replace";
    case RelabelAction::kKeep:
      return "keep";
    case RelabelAction::kDrop:
      return "drop";
    case RelabelAction::kKeepEqual:
      return "keepequal";
    case RelabelAction::kDropEqual:
      return "dropequal";
    case RelabelAction::kHashMod:
      return "hashmod";
    case RelabelAction::kLabelMap:
      return "labelmap";
    case RelabelAction::kLabelDrop:
      return "labeldrop";
    case RelabelAction::kLabelKeep:
      return "labelkeep";
    case RelabelAction::kLowercase:
      return "lowercase";
    case RelabelAction::kUppercase:
      return "uppercase";
  }
  return "?";
}

Result<std::shared_ptr<const re2::RE2>> CompileRelabelRegex(std::string_view regex) {
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const RE2>("^(?:" + std::string(regex) + ")$", options);
  if (!re->ok()) {
    return Status::InvalidArgument("error parsing regexp \"" + std::string(regex) +
                                   "\": " + re->error());
  }
  return std::shared_ptr<const re2::RE2>(std::move(re));
}

Result<int64_t> ParsePrometheusDuration(std::string_view text) {
  const Status bad =
      Status::InvalidArgument("not a valid duration string: \"" + std::string(text) + "\"");
  if (text.empty()) return bad;
  if (text == "0") return 0;
  // Units in the only order Prometheus accepts them, each at most once.
  struct Unit {
    std::string_view name;
    int64_t ms;
  };
  static constexpr Unit kUnits[] = {{"y", 365LL * 24 * 3600 * 1000},
                                    {"w", 7LL * 24 * 3600 * 1000},
                                    {"d", 24LL * 3600 * 1000},
                                    {"h", 3600LL * 1000},
                                    {"m", 60LL * 1000},
                                    {"s", 1000},
                                    {"ms", 1}};
  size_t next_unit = 0;
  int64_t total = 0;
  size_t i = 0;
  while (i < text.size()) {
    int64_t n = 0;
    auto [p, ec] = std::from_chars(text.data() + i, text.data() + text.size(), n);
    if (ec != std::errc() || p == text.data() + i || n < 0) return bad;
    i = static_cast<size_t>(p - text.data());
    size_t j = i;
    while (j < text.size() && text[j] >= 'a' && text[j] <= 'z') ++j;
    const std::string_view unit = text.substr(i, j - i);
    size_t u = next_unit;
    while (u < std::size(kUnits) && kUnits[u].name != unit) ++u;
    if (u == std::size(kUnits)) return bad;
    if (n > (INT64_MAX - total) / kUnits[u].ms) return bad;
    total += n * kUnits[u].ms;
    next_unit = u + 1;
    i = j;
  }
  return total;
}

std::vector<std::string> AlertmanagerConfig::AlertsUrls() const {
  std::string prefix = path_prefix;
  while (!prefix.empty() && prefix.back() == '/') prefix.pop_back();
  if (!prefix.empty() && prefix.front() != '/') prefix = "/" + prefix;
  std::vector<std::string> urls;
  for (const std::string& t : targets)
    urls.push_back(scheme + "://" + t + prefix + "/api/v2/alerts");
  return urls;
}

namespace {

// Prometheus's alerting section (alertmanager_config), static targets only.
Status ParseAlerting(const YAML::Node& node, AlertingConfig* out) {
  if (node.IsNull()) return Status::Ok();
  RETURN_IF_ERROR(CheckKeys(node, "alerting", {"alertmanagers"}, {"alert_relabel_configs"}));
  const YAML::Node list = node["alertmanagers"];
  if (!list || list.IsNull()) return Status::Ok();
  if (!list.IsSequence()) return KeyError("alerting.alertmanagers", "must be a list");
  for (size_t i = 0; i < list.size(); ++i) {
    const std::string path = "alerting.alertmanagers[" + std::to_string(i) + "]";
    const YAML::Node am = list[i];
    RETURN_IF_ERROR(CheckKeys(am, path,
                              {"static_configs", "scheme", "path_prefix", "timeout", "api_version",
                               "follow_redirects", "enable_http2"},
                              {"basic_auth", "authorization", "oauth2", "tls_config", "proxy_url",
                               "relabel_configs", "bearer_token", "bearer_token_file"}));
    AlertmanagerConfig c;
    if (const YAML::Node v = am["scheme"]) {
      ASSIGN_OR_RETURN(c.scheme, Scalar(v, path + ".scheme"));
      if (c.scheme != "http" && c.scheme != "https") {
        return KeyError(path + ".scheme", "want http or https, got \"" + c.scheme + "\"");
      }
    }
    if (const YAML::Node v = am["path_prefix"]) {
      ASSIGN_OR_RETURN(c.path_prefix, Scalar(v, path + ".path_prefix"));
    }
    if (const YAML::Node v = am["timeout"]) {
      ASSIGN_OR_RETURN(c.timeout_ms, Duration(v, path + ".timeout"));
    }
    if (const YAML::Node v = am["api_version"]) {
      ASSIGN_OR_RETURN(std::string version, Scalar(v, path + ".api_version"));
      if (version != "v2") {
        return KeyError(path + ".api_version", "only v2 is supported (Alertmanager dropped v1)");
      }
    }
    if (const YAML::Node v = am["follow_redirects"]) {
      RETURN_IF_ERROR(Bool(v, path + ".follow_redirects").status());
    }
    if (const YAML::Node groups = am["static_configs"]) {
      if (!groups.IsSequence()) return KeyError(path + ".static_configs", "must be a list");
      for (size_t j = 0; j < groups.size(); ++j) {
        const std::string gp = path + ".static_configs[" + std::to_string(j) + "]";
        RETURN_IF_ERROR(CheckKeys(groups[j], gp, {"targets", "labels"}));
        if (const YAML::Node t = groups[j]["targets"]) {
          ASSIGN_OR_RETURN(std::vector<std::string> targets, StringList(t, gp + ".targets"));
          for (std::string& target : targets) c.targets.push_back(std::move(target));
        }
      }
    }
    out->alertmanagers.push_back(std::move(c));
  }
  return Status::Ok();
}

}  // namespace

Result<PrometheusConfig> ParsePrometheusSections(const YAML::Node& root,
                                                 const std::string& base_dir) {
  PrometheusConfig config;
  config.base_dir = base_dir;
  try {
    if (!root.IsMap()) return PrometheusConfig{};
    // global first: every job's defaults come from it, wherever it is written.
    if (const YAML::Node g = root["global"]) RETURN_IF_ERROR(ParseGlobal(g, &config.global));
    if (const YAML::Node rules = root["rule_files"]) {
      ASSIGN_OR_RETURN(config.rule_files, StringList(rules, "rule_files"));
    }
    if (const YAML::Node alerting = root["alerting"]) {
      RETURN_IF_ERROR(ParseAlerting(alerting, &config.alerting));
    }
    if (const YAML::Node jobs = root["scrape_configs"]) {
      if (!jobs.IsNull() && !jobs.IsSequence()) return KeyError("scrape_configs", "must be a list");
      std::set<std::string> names;
      for (size_t i = 0; i < jobs.size(); ++i) {
        ASSIGN_OR_RETURN(ScrapeConfig c,
                         ParseScrapeConfig(jobs[i], "scrape_configs[" + std::to_string(i) + "]",
                                           config.global, base_dir));
        if (!names.insert(c.job_name).second) {
          return Status::InvalidArgument("found multiple scrape configs with job name \"" +
                                         c.job_name + "\"");
        }
        config.scrape_configs.push_back(std::move(c));
      }
    }
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("prometheus config: ") + e.what());
  }
  return config;
}

Result<PrometheusConfig> ParsePrometheusYaml(std::string_view yaml, const std::string& base_dir) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string("prometheus config: ") + e.what());
  }
  return ParsePrometheusSections(root, base_dir);
}

}  // namespace quartet::server

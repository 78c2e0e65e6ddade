// The Prometheus sections of quartetd's --config file: `global`,
// `scrape_configs` and `rule_files`, written exactly as for Prometheus 2.42
// (configuration.md), so a prometheus.yml works unchanged for these parts.
// Parsing is as strict as Prometheus's: an unknown key is an error naming it
// ("scrape_configs[0].scrape_intervall: unknown key"), and the checks
// Prometheus makes at load (timeout <= interval, duplicate job names, relabel
// fields each action needs, regexes that compile) fail with its wording.
// Defaults are resolved here: every ScrapeConfig carries its effective
// interval and timeout, and every relabel rule its compiled, fully anchored
// RE2 regex.
//
// Refused (an error naming the key, rather than a silently different
// behaviour): service discovery other than static_configs (*_sd_configs),
// oauth2, no_proxy / proxy_from_environment / proxy_connect_header,
// native histograms. Accepted and ignored: enable_http2.
//
// Plain values and pure functions; thread-safe. A parsed config is
// immutable and may be shared (the compiled regexes are const).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace YAML {
class Node;
}
namespace re2 {
class RE2;
}

namespace quartet::server {

// A label set: (name, value) pairs sorted by name, names unique (the same
// shape as store::Labels).
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

enum class RelabelAction {
  kReplace,
  kKeep,
  kDrop,
  kKeepEqual,
  kDropEqual,
  kHashMod,
  kLabelMap,
  kLabelDrop,
  kLabelKeep,
  kLowercase,
  kUppercase,
};
std::string_view RelabelActionName(RelabelAction action);  // "replace", ...

// One relabel_configs / metric_relabel_configs entry, with Prometheus's
// defaults (separator ";", regex "(.*)", replacement "$1", action replace).
struct RelabelConfig {
  std::vector<std::string> source_labels;
  std::string separator = ";";
  std::string regex_text = "(.*)";        // as written
  std::shared_ptr<const re2::RE2> regex;  // "^(?:" + regex_text + ")$", never null once parsed
  uint64_t modulus = 0;
  std::string target_label;
  std::string replacement = "$1";
  RelabelAction action = RelabelAction::kReplace;
};

// Compiles a relabel rule's regex the way Prometheus does (anchored at both
// ends, RE2 syntax); InvalidArgument with RE2's message when it does not.
Result<std::shared_ptr<const re2::RE2>> CompileRelabelRegex(std::string_view regex);

struct TlsSettings {
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  std::string server_name;
  bool insecure_skip_verify = false;
};

// One static_configs entry: targets ("host:port") sharing labels.
struct StaticTargetGroup {
  std::vector<std::string> targets;
  LabelPairs labels;
};

struct ScrapeConfig {
  std::string job_name;
  int64_t scrape_interval_ms = 0;  // effective (global default applied)
  int64_t scrape_timeout_ms = 0;   // effective, <= scrape_interval_ms
  std::string metrics_path = "/metrics";
  std::string scheme = "http";
  // URL query parameters, in file order; a name may have several values.
  std::vector<std::pair<std::string, std::vector<std::string>>> params;
  bool honor_labels = false;
  bool honor_timestamps = true;
  bool follow_redirects = true;
  // Limits; 0 means none (as in Prometheus).
  uint64_t body_size_limit = 0;  // bytes, after decompression
  uint64_t sample_limit = 0;
  uint64_t target_limit = 0;
  uint64_t label_limit = 0;
  uint64_t label_name_length_limit = 0;
  uint64_t label_value_length_limit = 0;
  // HTTP client settings. Secrets given as *_file are read at load.
  std::string basic_auth_username;
  std::string basic_auth_password;
  std::string authorization_type;         // "Bearer" when credentials are set
  std::string authorization_credentials;  // also bearer_token(_file)
  std::string proxy_url;
  TlsSettings tls;

  std::vector<StaticTargetGroup> static_configs;
  std::vector<RelabelConfig> relabel_configs;
  std::vector<RelabelConfig> metric_relabel_configs;
};

struct PrometheusGlobal {
  int64_t scrape_interval_ms = 60'000;
  int64_t scrape_timeout_ms = 10'000;
  int64_t evaluation_interval_ms = 60'000;
  LabelPairs external_labels;  // kept for remote_write/alerting later
  std::string query_log_file;  // accepted, unused
};

// One `alerting.alertmanagers` entry: static targets only. Refused (an
// error naming the key): service discovery, auth and TLS settings,
// relabel_configs, api_version v1.
struct AlertmanagerConfig {
  std::string scheme = "http";
  std::string path_prefix = "/";
  int64_t timeout_ms = 10'000;
  std::vector<std::string> targets;  // host:port
  // Each target's POST URL: scheme://target/path_prefix/api/v2/alerts.
  std::vector<std::string> AlertsUrls() const;
};

struct AlertingConfig {
  std::vector<AlertmanagerConfig> alertmanagers;
};

struct PrometheusConfig {
  PrometheusGlobal global;
  std::vector<ScrapeConfig> scrape_configs;
  std::vector<std::string> rule_files;  // as written (globs, relative to base_dir)
  AlertingConfig alerting;
  std::string base_dir;  // the config file's directory ("" = the working directory)
};

// Reads `global`, `scrape_configs`, `rule_files` and `alerting` from a YAML mapping,
// ignoring its other keys (quartetd's own settings are parsed elsewhere).
// `base_dir` resolves relative *_file paths (the config file's directory).
Result<PrometheusConfig> ParsePrometheusSections(const YAML::Node& root,
                                                 const std::string& base_dir = "");

// The same from YAML text (a whole prometheus.yml); for tests and tools.
Result<PrometheusConfig> ParsePrometheusYaml(std::string_view yaml,
                                             const std::string& base_dir = "");

// Prometheus's duration syntax as written in its config ("15s", "1m30s",
// "500ms", "1d", "2w", "1y"): milliseconds, InvalidArgument otherwise.
Result<int64_t> ParsePrometheusDuration(std::string_view text);

}  // namespace quartet::server

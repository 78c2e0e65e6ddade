#include "server/config/prometheus_config.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

namespace quartet::server {
namespace {

// A prometheus.yml as people write them: globals, two jobs, params, TLS,
// relabeling of targets and of samples.
constexpr std::string_view kRealConfig = R"(
global:
  scrape_interval: 15s
  evaluation_interval: 30s
  external_labels:
    cluster: eu-1
    replica: a

rule_files:
  - rules/*.yml
  - /etc/prometheus/alerts.yml

scrape_configs:
  - job_name: prometheus
    static_configs:
      - targets: ['localhost:9090']

  - job_name: checkout
    scrape_interval: 5s
    scrape_timeout: 4s
    metrics_path: /admin/metrics
    scheme: https
    honor_labels: true
    honor_timestamps: false
    sample_limit: 5000
    label_limit: 30
    body_size_limit: 10MB
    params:
      module: [http_2xx]
      format: [prometheus, openmetrics]
    tls_config:
      insecure_skip_verify: true
    enable_http2: false
    static_configs:
      - targets: ['10.0.0.1:8080', '10.0.0.2:8080']
        labels:
          env: prod
          team: payments
    relabel_configs:
      - source_labels: [__address__]
        regex: '([^:]+):\d+'
        target_label: host
        replacement: '${1}'
      - source_labels: [__address__]
        modulus: 4
        target_label: __tmp_hash
        action: hashmod
      - source_labels: [__tmp_hash]
        regex: '0|1'
        action: keep
      - regex: 'team'
        action: labeldrop
      - action: labelmap
        regex: '__meta_(.+)'
    metric_relabel_configs:
      - source_labels: [__name__]
        regex: 'go_.*'
        action: drop
      - source_labels: [method]
        target_label: method
        action: Lowercase
)";

TEST(PrometheusConfig, ARealPrometheusYmlParses) {
  Result<PrometheusConfig> c = ParsePrometheusYaml(kRealConfig);
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->global.scrape_interval_ms, 15'000);
  EXPECT_EQ(c->global.scrape_timeout_ms, 10'000);
  EXPECT_EQ(c->global.evaluation_interval_ms, 30'000);
  EXPECT_EQ(c->global.external_labels, (LabelPairs{{"cluster", "eu-1"}, {"replica", "a"}}));
  EXPECT_EQ(c->rule_files, (std::vector<std::string>{"rules/*.yml", "/etc/prometheus/alerts.yml"}));
  ASSERT_EQ(c->scrape_configs.size(), 2u);

  const ScrapeConfig& p = c->scrape_configs[0];
  EXPECT_EQ(p.job_name, "prometheus");
  EXPECT_EQ(p.scrape_interval_ms, 15'000);  // from global
  EXPECT_EQ(p.scrape_timeout_ms, 10'000);
  EXPECT_EQ(p.metrics_path, "/metrics");
  EXPECT_EQ(p.scheme, "http");
  EXPECT_FALSE(p.honor_labels);
  EXPECT_TRUE(p.honor_timestamps);

  const ScrapeConfig& j = c->scrape_configs[1];
  EXPECT_EQ(j.scrape_interval_ms, 5'000);
  EXPECT_EQ(j.scrape_timeout_ms, 4'000);
  EXPECT_EQ(j.metrics_path, "/admin/metrics");
  EXPECT_EQ(j.scheme, "https");
  EXPECT_TRUE(j.honor_labels);
  EXPECT_FALSE(j.honor_timestamps);
  EXPECT_EQ(j.sample_limit, 5000u);
  EXPECT_EQ(j.label_limit, 30u);
  EXPECT_EQ(j.body_size_limit, 10u << 20);
  EXPECT_TRUE(j.tls.insecure_skip_verify);
  ASSERT_EQ(j.params.size(), 2u);
  EXPECT_EQ(j.params[1].first, "format");
  EXPECT_EQ(j.params[1].second, (std::vector<std::string>{"prometheus", "openmetrics"}));
  ASSERT_EQ(j.static_configs.size(), 1u);
  EXPECT_EQ(j.static_configs[0].targets.size(), 2u);
  EXPECT_EQ(j.static_configs[0].labels, (LabelPairs{{"env", "prod"}, {"team", "payments"}}));
  ASSERT_EQ(j.relabel_configs.size(), 5u);
  EXPECT_EQ(j.relabel_configs[0].action, RelabelAction::kReplace);
  EXPECT_EQ(j.relabel_configs[0].replacement, "${1}");
  EXPECT_TRUE(RE2::FullMatch("db:9100", *j.relabel_configs[0].regex));
  EXPECT_EQ(j.relabel_configs[1].action, RelabelAction::kHashMod);
  EXPECT_EQ(j.relabel_configs[1].modulus, 4u);
  EXPECT_EQ(j.relabel_configs[3].action, RelabelAction::kLabelDrop);
  ASSERT_EQ(j.metric_relabel_configs.size(), 2u);
  EXPECT_EQ(j.metric_relabel_configs[1].action, RelabelAction::kLowercase);
  // Defaults of an entry that sets only some fields.
  EXPECT_EQ(j.metric_relabel_configs[0].separator, ";");
  EXPECT_EQ(j.metric_relabel_configs[0].replacement, "$1");
}

TEST(PrometheusConfig, RegexesAreAnchoredAtBothEnds) {
  Result<std::shared_ptr<const re2::RE2>> re = CompileRelabelRegex("a|b");
  ASSERT_TRUE(re.ok());
  EXPECT_TRUE(RE2::FullMatch("a", **re));
  EXPECT_FALSE(RE2::PartialMatch("xa", **re));
  EXPECT_FALSE(RE2::PartialMatch("bx", **re));
  EXPECT_FALSE(CompileRelabelRegex("(").ok());
}

TEST(PrometheusConfig, TimeoutDefaultsNeverExceedTheInterval) {
  struct Case {
    std::string yaml;
    int64_t interval_ms, timeout_ms;
  };
  const Case cases[] = {
      {"scrape_configs: [{job_name: a}]", 60'000, 10'000},
      {"global: {scrape_interval: 5s}\nscrape_configs: [{job_name: a}]", 5'000, 5'000},
      {"scrape_configs: [{job_name: a, scrape_interval: 2s}]", 2'000, 2'000},
      {"global: {scrape_timeout: 3s}\nscrape_configs: [{job_name: a, scrape_interval: 1m}]", 60'000,
       3'000},
      // global written after the jobs still applies to them
      {"scrape_configs: [{job_name: a}]\nglobal: {scrape_interval: 1m30s}", 90'000, 10'000},
  };
  for (const Case& c : cases) {
    Result<PrometheusConfig> got = ParsePrometheusYaml(c.yaml);
    ASSERT_TRUE(got.ok()) << c.yaml << ": " << got.status().message();
    EXPECT_EQ(got->scrape_configs[0].scrape_interval_ms, c.interval_ms) << c.yaml;
    EXPECT_EQ(got->scrape_configs[0].scrape_timeout_ms, c.timeout_ms) << c.yaml;
  }
}

TEST(PrometheusConfig, BadConfigsNameTheKeyOrSayWhatPrometheusSays) {
  struct Case {
    std::string yaml;
    std::string want;
  };
  const Case cases[] = {
      {"global: {scrape_intervall: 1s}", "config key global.scrape_intervall: unknown key"},
      {"global: {scrape_interval: 1s, scrape_timeout: 2s}",
       "global scrape timeout greater than scrape interval"},
      {"scrape_configs: [{job_name: a, scrape_interval: 5s, scrape_timeout: 6s}]",
       "scrape timeout greater than scrape interval for scrape config with job name \"a\""},
      {"scrape_configs: [{job_name: a}, {job_name: a}]",
       "found multiple scrape configs with job name \"a\""},
      {"scrape_configs: [{scrape_interval: 5s}]", "scrape_configs[0]: job_name is empty"},
      {"scrape_configs: [{job_name: a, foo: 1}]", "config key scrape_configs[0].foo: unknown key"},
      {"scrape_configs: [{job_name: a, scrape_interval: 5 seconds}]",
       "not a valid duration string: \"5 seconds\""},
      {"scrape_configs: [{job_name: a, scrape_interval: 1.5s}]", "not a valid duration string"},
      {"scrape_configs: [{job_name: a, scheme: ftp}]", "scrape_configs[0].scheme: want http"},
      {"scrape_configs: [{job_name: a, kubernetes_sd_configs: []}]",
       "scrape_configs[0].kubernetes_sd_configs: service discovery is not supported"},
      {"scrape_configs: [{job_name: a, oauth2: {}}]",
       "scrape_configs[0].oauth2: not supported by quartetd"},
      {"scrape_configs: [{job_name: a, static_configs: [{targets: [x], lables: {}}]}]",
       "scrape_configs[0].static_configs[0].lables: unknown key"},
      {"scrape_configs: [{job_name: a, static_configs: [{targets: ['http://x:1']}]}]",
       "\"http://x:1\" is not a valid hostname"},
      {"scrape_configs: [{job_name: a, static_configs: [{targets: [x], labels: {1a: b}}]}]",
       "\"1a\" is not a valid label name"},
      {"scrape_configs: [{job_name: a, tls_config: {insecure_skip_verify: maybe}}]",
       "tls_config.insecure_skip_verify: want true or false"},
      {"scrape_configs: [{job_name: a, relabel_configs: [{action: replace}]}]",
       "relabel configuration for replace action requires 'target_label' value"},
      {"scrape_configs: [{job_name: a, relabel_configs: [{action: hashmod, target_label: x}]}]",
       "relabel configuration for hashmod requires non-zero modulus"},
      {"scrape_configs: [{job_name: a, relabel_configs: [{action: explode}]}]",
       "relabel_configs[0].action: unknown relabel action \"explode\""},
      {"scrape_configs: [{job_name: a, relabel_configs: [{regex: '(', target_label: x}]}]",
       "relabel_configs[0].regex: error parsing regexp \"(\""},
      {"scrape_configs: [{job_name: a, relabel_configs: [{action: labeldrop, regex: x, "
       "target_label: y}]}]",
       "labeldrop action requires only 'regex', and no other fields"},
      {"scrape_configs: [{job_name: a, relabel_configs: [{target_label: '1x'}]}]",
       "\"1x\" is invalid 'target_label' for replace action"},
      {"scrape_configs: [{job_name: a, relabel_configs: [{action: lowercase, target_label: x, "
       "replacement: y}]}]",
       "'replacement' can not be set for lowercase action"},
      {"scrape_configs: [{job_name: a, relabel_configs: [{source_labels: [a-b], target_label: "
       "x}]}]",
       "\"a-b\" is not a valid label name"},
      {"scrape_configs: [{job_name: a, metric_relabel_configs: [{sourcelabels: [a]}]}]",
       "metric_relabel_configs[0].sourcelabels: unknown key"},
      {"scrape_configs: [{job_name: a, basic_auth: {username: u, password_file: /nonexistent}}]",
       "basic_auth.password_file: cannot read /nonexistent"},
      {"scrape_configs: {job_name: a}", "config key scrape_configs: must be a list"},
  };
  for (const Case& c : cases) {
    Result<PrometheusConfig> got = ParsePrometheusYaml(c.yaml);
    ASSERT_FALSE(got.ok()) << c.yaml;
    EXPECT_NE(got.status().message().find(c.want), std::string::npos)
        << c.yaml << "\n  got: " << got.status().message() << "\n want: " << c.want;
  }
}

TEST(PrometheusConfig, Durations) {
  EXPECT_EQ(*ParsePrometheusDuration("15s"), 15'000);
  EXPECT_EQ(*ParsePrometheusDuration("1m30s"), 90'000);
  EXPECT_EQ(*ParsePrometheusDuration("500ms"), 500);
  EXPECT_EQ(*ParsePrometheusDuration("1d"), 86'400'000);
  EXPECT_EQ(*ParsePrometheusDuration("1h0m5s"), 3'605'000);
  EXPECT_EQ(*ParsePrometheusDuration("0"), 0);
  for (const char* bad : {"", "s", "1", "30s1m", "1s1s", "-1s", "1.5s", "1 s", "1S", "5sec"}) {
    EXPECT_FALSE(ParsePrometheusDuration(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace quartet::server

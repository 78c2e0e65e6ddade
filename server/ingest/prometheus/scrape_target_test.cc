#include "server/ingest/prometheus/scrape_target.h"

#include <gtest/gtest.h>

namespace quartet::ingest {
namespace {

server::ScrapeConfig Job(const std::string& yaml) {
  Result<server::PrometheusConfig> c = server::ParsePrometheusYaml("scrape_configs:\n" + yaml);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? c->scrape_configs.at(0) : server::ScrapeConfig{};
}

TEST(ScrapeTarget, StaticTargetsGetJobInstanceAndUrl) {
  JobTargets t = BuildTargets(Job(R"(
- job_name: checkout
  scrape_interval: 5s
  metrics_path: /admin/metrics
  params: {module: [http 2xx], b: [x, y]}
  static_configs:
    - targets: ['127.0.0.1:9100', 'db']
      labels: {env: prod}
)"));
  ASSERT_TRUE(t.errors.empty());
  ASSERT_EQ(t.targets.size(), 2u);
  EXPECT_EQ(t.targets[0].labels,
            (store::Labels{{"env", "prod"}, {"instance", "127.0.0.1:9100"}, {"job", "checkout"}}));
  EXPECT_EQ(t.targets[0].url, "http://127.0.0.1:9100/admin/metrics?b=x&b=y&module=http+2xx");
  EXPECT_EQ(t.targets[0].interval_ms, 5000);
  EXPECT_EQ(t.targets[0].timeout_ms, 5000);
  // A default port for the scheme, in the address and the instance.
  EXPECT_EQ(t.targets[1].labels[1], (std::pair<std::string, std::string>{"instance", "db:80"}));
  EXPECT_NE(t.targets[0].hash, t.targets[1].hash);
  EXPECT_LT(t.targets[0].OffsetMs(42), 5000);
}

TEST(ScrapeTarget, RelabelingUsesAndConsumesMetaLabels) {
  JobTargets t = BuildTargets(Job(R"(
- job_name: blackbox
  metrics_path: /probe
  params: {module: [http_2xx]}
  static_configs:
    - targets: ['example.com', 'skip.me']
  relabel_configs:
    - {source_labels: [__address__], regex: 'skip.*', action: drop}
    - {source_labels: [__address__], target_label: __param_target}
    - {source_labels: [__param_target], target_label: instance}
    - {target_label: __address__, replacement: '127.0.0.1:9115'}
    - {target_label: __scheme__, replacement: https}
    - {target_label: __scrape_interval__, replacement: 30s}
    - {target_label: __scrape_timeout__, replacement: 7s}
    - {target_label: __meta_secret, replacement: hidden}
)"));
  EXPECT_EQ(t.dropped, 1u);
  ASSERT_EQ(t.targets.size(), 1u);
  const ScrapeTarget& b = t.targets[0];
  EXPECT_EQ(b.url, "https://127.0.0.1:9115/probe?module=http_2xx&target=example.com");
  EXPECT_EQ(b.labels, (store::Labels{{"instance", "example.com"}, {"job", "blackbox"}}));
  EXPECT_EQ(b.interval_ms, 30'000);
  EXPECT_EQ(b.timeout_ms, 7'000);
  for (const auto& l : b.all_labels) EXPECT_FALSE(l.first.starts_with("__meta_")) << l.first;
}

TEST(ScrapeTarget, InvalidTargetsAreNamedInPrometheusWords) {
  struct Case {
    std::string relabel;
    std::string want;
  };
  const Case cases[] = {
      {"{target_label: __address__, replacement: ''}", "x:1: no address"},
      {"{target_label: __scrape_timeout__, replacement: 2m}",
       "scrape timeout cannot be greater than scrape interval (\"2m\" > \"1m\")"},
      {"{target_label: __scrape_interval__, replacement: soon}", "error parsing scrape interval"},
      {"{target_label: __scrape_interval__, replacement: 0s}", "scrape interval cannot be 0"},
      {"{target_label: __scheme__, replacement: ftp}", "invalid scheme: \"ftp\""},
      {"{target_label: __address__, replacement: 'a/b:1'}", "is not a valid hostname"},
  };
  for (const Case& c : cases) {
    JobTargets t =
        BuildTargets(Job("- job_name: j\n  static_configs: [{targets: ['x:1']}]\n"
                         "  relabel_configs: [" +
                         c.relabel + "]\n"));
    ASSERT_EQ(t.errors.size(), 1u)
        << c.relabel << " targets: " << t.targets.size() << " dropped: " << t.dropped;
    EXPECT_NE(t.errors[0].find(c.want), std::string::npos) << t.errors[0];
  }
  JobTargets limited = BuildTargets(
      Job("- job_name: j\n  target_limit: 1\n  static_configs: [{targets: ['a:1', 'b:1']}]\n"));
  EXPECT_TRUE(limited.targets.empty());
  ASSERT_EQ(limited.errors.size(), 1u);
  EXPECT_NE(limited.errors[0].find("target_limit exceeded"), std::string::npos);
}

TEST(ScrapeTarget, DurationsFormatAsPrometheus) {
  EXPECT_EQ(FormatPrometheusDuration(0), "0s");
  EXPECT_EQ(FormatPrometheusDuration(15'000), "15s");
  EXPECT_EQ(FormatPrometheusDuration(90'000), "1m30s");
  EXPECT_EQ(FormatPrometheusDuration(1'500), "1s500ms");
  EXPECT_EQ(FormatPrometheusDuration(7 * 86'400'000LL), "1w");
  EXPECT_EQ(FormatPrometheusDuration(8 * 86'400'000LL), "8d");
}

}  // namespace
}  // namespace quartet::ingest

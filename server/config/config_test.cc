#include "server/config/config.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

namespace quartet::server {
namespace {

class ConfigTest : public ::testing::Test {
 protected:
  void SetUp() override {
    path_ = std::filesystem::temp_directory_path() /
            ("quartetd_config_" + std::to_string(std::random_device{}()) + ".yaml");
  }
  void TearDown() override { std::filesystem::remove(path_); }
  void Write(std::string_view text) { std::ofstream(path_) << text; }
  std::filesystem::path path_;
};

TEST_F(ConfigTest, DefaultsNeedOnlyADataDir) {
  Result<ServerConfig> c = LoadConfig({"--data-dir", "/tmp/q"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->data_dir, "/tmp/q");
  EXPECT_EQ(c->http_listen, "127.0.0.1:4318");
  EXPECT_EQ(c->grpc_listen, "127.0.0.1:4317");
  EXPECT_EQ(c->fsync, store::SyncPolicy::kAlways);
  EXPECT_EQ(c->max_body_bytes, 20u << 20);
}

TEST_F(ConfigTest, FlagsOverrideTheFile) {
  Write(R"(data_dir: /var/lib/quartet
http_listen: 0.0.0.0:4318
storage:
  fsync: interval
  memory_limit: 512MiB
  retention: 2d
limits:
  max_value: 64KiB
scrape_configs:
  - job_name: checkout
)");
  Result<ServerConfig> c =
      LoadConfig({"--config", path_.string(), "--http-listen=127.0.0.1:0", "--fsync", "never"});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->data_dir, "/var/lib/quartet");
  EXPECT_EQ(c->http_listen, "127.0.0.1:0");
  EXPECT_EQ(c->fsync, store::SyncPolicy::kNever);
  EXPECT_EQ(c->memory_limit_bytes, 512u << 20);
  EXPECT_EQ(c->retention, std::chrono::hours(48));
  EXPECT_EQ(c->max_value_bytes, 64u << 10);
  // scrape_configs is parsed (prometheus_config.h); no section is left unused.
  EXPECT_TRUE(c->reserved_sections.empty());
  ASSERT_EQ(c->prometheus.scrape_configs.size(), 1u);
  EXPECT_EQ(c->prometheus.scrape_configs[0].job_name, "checkout");
  EXPECT_EQ(c->prometheus.scrape_configs[0].scrape_interval_ms, 60'000);
}

TEST_F(ConfigTest, UnusedPrometheusSectionsAreListedAndBadScrapeConfigsFail) {
  Write(R"(data_dir: /d
storage:
  fsync: never
  tsdb:
    out_of_order_time_window: 10m
alerting:
  alertmanagers: []
remote_write:
  - url: http://x/api/v1/write
)");
  Result<ServerConfig> c = LoadConfig({"--config", path_.string()});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_EQ(c->fsync, store::SyncPolicy::kNever);
  EXPECT_EQ(c->reserved_sections, (std::vector<std::string>{"storage.tsdb", "remote_write"}));
  Write("data_dir: /d\nscrape_configs:\n  - job_name: a\n    scrape_intervall: 5s\n");
  Result<ServerConfig> bad = LoadConfig({"--config", path_.string()});
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().message(), "config key scrape_configs[0].scrape_intervall: unknown key");
}

TEST_F(ConfigTest, ErrorsNameTheFlagOrKey) {
  struct Case {
    std::vector<std::string> args;
    std::string yaml;
    std::string want;
  };
  const Case cases[] = {
      {{}, "", "--data-dir is required"},
      {{"--data-dir", "d", "--bogus", "1"}, "", "unknown flag --bogus"},
      {{"--data-dir"}, "", "flag --data-dir needs a value"},
      {{"--data-dir", "d", "--fsync", "sometimes"}, "", "flag --fsync: want always"},
      {{"--data-dir", "d", "--max-body", "20 potatoes"}, "", "flag --max-body"},
      {{"--data-dir", "d", "--retention", "5x"}, "", "flag --retention"},
      {{"--data-dir", "d", "--http-workers", "0"}, "", "flag --http-workers"},
      {{"--data-dir", "d"}, "storage:\n  fsink: always\n", "config key storage.fsink: unknown key"},
      {{"--data-dir", "d"}, "stroage:\n  fsync: always\n", "config key stroage: unknown section"},
      {{"--data-dir", "d"}, "storage:\n  memory_limit: lots\n", "storage.memory_limit"},
      {{"--data-dir", "d"}, "data_dir: [\n", "config file"},
  };
  for (const Case& c : cases) {
    std::vector<std::string> args = c.args;
    if (!c.yaml.empty()) {
      Write(c.yaml);
      args.push_back("--config");
      args.push_back(path_.string());
    }
    Result<ServerConfig> got = LoadConfig(args);
    ASSERT_FALSE(got.ok()) << c.want;
    EXPECT_NE(got.status().message().find(c.want), std::string::npos) << got.status().message();
  }
}

TEST_F(ConfigTest, AlertingAndNotifications) {
  Write(R"(data_dir: /d
rule_files: [rules/*.yml]
alerting:
  alertmanagers:
    - static_configs:
        - targets: [am1:9093, am2:9093]
      path_prefix: /am
      timeout: 5s
notifications:
  resend_delay: 30s
  webhooks:
    - url: http://hook:9000/x
    - url: https://hook2/y
      send_resolved: false
      name: oncall
      send_report: true
)");
  Result<ServerConfig> c = LoadConfig({"--config", path_.string()});
  ASSERT_TRUE(c.ok()) << c.status().message();
  EXPECT_TRUE(c->reserved_sections.empty());
  EXPECT_EQ(c->prometheus.base_dir, path_.parent_path().string());
  ASSERT_EQ(c->prometheus.alerting.alertmanagers.size(), 1u);
  EXPECT_EQ(c->prometheus.alerting.alertmanagers[0].timeout_ms, 5000);
  EXPECT_EQ(c->prometheus.alerting.alertmanagers[0].AlertsUrls(),
            (std::vector<std::string>{"http://am1:9093/am/api/v2/alerts",
                                      "http://am2:9093/am/api/v2/alerts"}));
  EXPECT_EQ(c->notifications.resend_delay_ms, 30000);
  ASSERT_EQ(c->notifications.webhooks.size(), 2u);
  EXPECT_EQ(c->notifications.webhooks[0].url, "http://hook:9000/x");
  EXPECT_TRUE(c->notifications.webhooks[0].send_resolved);
  EXPECT_EQ(c->notifications.webhooks[0].name, "webhook");
  EXPECT_FALSE(c->notifications.webhooks[1].send_resolved);
  EXPECT_EQ(c->notifications.webhooks[1].name, "oncall");
  EXPECT_FALSE(c->notifications.webhooks[0].send_report);
  EXPECT_TRUE(c->notifications.webhooks[1].send_report);

  const std::pair<const char*, const char*> bad[] = {
      {"notifications:\n  webhooks:\n    - url: ftp://x\n",
       "config key notifications.webhooks[0].url: want an http:// or https:// URL, got "
       "\"ftp://x\""},
      {"notifications:\n  webhooks:\n    - send_resolved: true\n",
       "config key notifications.webhooks[0].url: is required"},
      {"notifications:\n  webhook: []\n", "config key notifications.webhook: unknown key"},
      {"notifications:\n  webhooks:\n    - {url: http://h/x, send_report: yes}\n",
       "config key notifications.webhooks[0].send_report: want true or false"},
      {"alerting:\n  alertmanagers:\n    - basic_auth: {username: a}\n",
       "config key alerting.alertmanagers[0].basic_auth: not supported by quartetd"},
      {"alerting:\n  alertmanagers:\n    - api_version: v1\n",
       "config key alerting.alertmanagers[0].api_version: only v2 is supported (Alertmanager "
       "dropped v1)"},
      {"alerting:\n  alert_relabel_configs: []\n",
       "config key alerting.alert_relabel_configs: not supported by quartetd"},
  };
  for (const auto& [yaml, want] : bad) {
    Write(std::string("data_dir: /d\n") + yaml);
    Result<ServerConfig> r = LoadConfig({"--config", path_.string()});
    ASSERT_FALSE(r.ok()) << yaml;
    EXPECT_EQ(r.status().message(), want);
  }
}

TEST(ParseBytes, Units) {
  EXPECT_EQ(*ParseBytes("1000"), 1000u);
  EXPECT_EQ(*ParseBytes("20MiB"), 20u << 20);
  EXPECT_EQ(*ParseBytes("64kB"), 64000u);
  EXPECT_EQ(*ParseBytes("1GiB"), 1u << 30);
  EXPECT_FALSE(ParseBytes("1XB").ok());
  EXPECT_FALSE(ParseBytes("MiB").ok());
  EXPECT_FALSE(ParseBytes("99999999999TiB").ok());
}

}  // namespace
}  // namespace quartet::server

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
  EXPECT_EQ(c->reserved_sections,
            (std::vector<std::string>{"storage.tsdb", "alerting", "remote_write"}));
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

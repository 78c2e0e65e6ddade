#include "server/alert/rule_file.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

namespace quartet::alert {
namespace {

TEST(RuleFileTest, ParsesGroupsAndRules) {
  Result<std::vector<RuleGroupConfig>> groups = ParseRuleFile(R"(
groups:
  - name: checkout
    interval: 15s
    limit: 10
    rules:
      - record: job:http_requests:rate5m
        expr: sum by (job) (rate(http_requests_total[5m]))
        labels: {team: web}
      - alert: HighCheckoutLatency
        expr: histogram_quantile(0.99, sum by (le) (rate(checkout_seconds_bucket[1m]))) > 0.5
        for: 10s
        keep_firing_for: 1m
        labels:
          severity: page
        annotations:
          summary: "p99 is {{ humanizeDuration $value }}"
  - name: empty
)",
                                                              "rules.yml");
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 2u);
  const RuleGroupConfig& g = (*groups)[0];
  EXPECT_EQ(g.file, "rules.yml");
  EXPECT_EQ(g.name, "checkout");
  EXPECT_EQ(g.interval_ms, 15000);
  EXPECT_EQ(g.limit, 10);
  ASSERT_EQ(g.rules.size(), 2u);
  EXPECT_EQ(g.rules[0].record, "job:http_requests:rate5m");
  EXPECT_FALSE(g.rules[0].is_alert());
  EXPECT_EQ(g.rules[0].labels, (LabelPairs{{"team", "web"}}));
  EXPECT_EQ(g.rules[1].alert, "HighCheckoutLatency");
  EXPECT_EQ(g.rules[1].for_ms, 10000);
  EXPECT_EQ(g.rules[1].keep_firing_for_ms, 60000);
  EXPECT_EQ(g.rules[1].annotations,
            (LabelPairs{{"summary", "p99 is {{ humanizeDuration $value }}"}}));
  EXPECT_EQ((*groups)[1].interval_ms, 0);
  EXPECT_TRUE((*groups)[1].rules.empty());
}

TEST(RuleFileTest, EmptyFileHasNoGroups) {
  Result<std::vector<RuleGroupConfig>> groups = ParseRuleFile("", "empty.yml");
  ASSERT_TRUE(groups.ok());
  EXPECT_TRUE(groups->empty());
}

TEST(RuleFileTest, ValidationErrorsNameFileGroupRuleAndProblem) {
  struct Case {
    const char* yaml;
    const char* want;  // a substring of the error
  };
  const Case cases[] = {
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up ==\n",
       "f.yml: 5:11: group \"g\", rule 1, \"A\": could not parse expression"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n",
       "group \"g\", rule 1, \"A\": field 'expr' must be set in rule"},
      {"groups:\n- name: g\n  rules:\n  - expr: up\n", "one of 'record' or 'alert' must be set"},
      {"groups:\n- name: g\n  rules:\n  - record: r\n    alert: a\n    expr: up\n",
       "only one of 'record' and 'alert' must be set"},
      {"groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    for: 5m\n",
       "\"r\": invalid field 'for' in recording rule"},
      {"groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    keep_firing_for: 5m\n",
       "invalid field 'keep_firing_for' in recording rule"},
      {"groups:\n- name: g\n  rules:\n  - record: r\n    expr: up\n    annotations: {a: b}\n",
       "invalid field 'annotations' in recording rule"},
      {"groups:\n- name: g\n  rules:\n  - record: 'bad-name'\n    expr: up\n",
       "invalid recording rule name: bad-name"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labels: {__name__: x}\n",
       "invalid label name: __name__"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations: {'a-b': x}\n",
       "invalid annotation name: a-b"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    for: 5 minutes\n",
       "not a valid duration string"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    annotations: {s: '{{ nope "
       "$value }}'}\n",
       "annotation \"s\": template: __alert_A:1: function \"nope\" not defined"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    labels: {s: '{{ if }}'}\n",
       "f.yml: group \"g\", rule 1, \"A\": label \"s\": template: __alert_A:1: missing value for "
       "if"},
      {"groups:\n- name: ''\n  rules: []\n", "Groupname must not be empty"},
      {"groups:\n- name: g\n- name: g\n", "groupname: \"g\" is repeated in the same file"},
      {"groups:\n- name: g\n  intervall: 1m\n",
       "field intervall not found in type rulefmt.RuleGroup"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    fore: 1m\n",
       "field fore not found in type rulefmt.RuleNode"},
      {"group:\n- name: g\n", "field group not found in type rulefmt.RuleGroups"},
      {"groups: [\n", "f.yml: yaml:"},
      {"groups:\n- name: g\n  rules:\n  - alert: A\n    expr: up\n    fore: 1m\n",
       "f.yml: yaml: unmarshal errors:\n  line 6: field fore not found in type rulefmt.RuleNode"},
  };
  for (const Case& c : cases) {
    Result<std::vector<RuleGroupConfig>> groups = ParseRuleFile(c.yaml, "f.yml");
    ASSERT_FALSE(groups.ok()) << c.yaml;
    EXPECT_EQ(groups.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(std::string(groups.status().message()).find(c.want), std::string::npos)
        << "yaml:\n"
        << c.yaml << "\ngot: " << groups.status().message() << "\nwant: " << c.want;
  }
}

TEST(RuleFileTest, ReportsEveryProblemOnItsOwnLine) {
  Result<std::vector<RuleGroupConfig>> groups = ParseRuleFile(
      "groups:\n- name: g\n  rules:\n  - alert: A\n  - record: r\n    expr: up\n    for: 1m\n",
      "f.yml");
  ASSERT_FALSE(groups.ok());
  const std::string msg(groups.status().message());
  EXPECT_NE(msg.find("rule 1, \"A\": field 'expr' must be set"), std::string::npos) << msg;
  EXPECT_NE(msg.find("\nf.yml: "), std::string::npos) << msg;
  EXPECT_NE(msg.find("rule 2, \"r\": invalid field 'for'"), std::string::npos) << msg;
}

TEST(RuleFileTest, GlobsResolveRelativeToTheConfigDirectory) {
  const std::string dir = ::testing::TempDir() + "/rule_file_test";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir + "/rules");
  std::ofstream(dir + "/rules/a.yml")
      << "groups:\n- name: a\n  rules:\n  - record: x\n    expr: up\n";
  std::ofstream(dir + "/rules/b.yml") << "groups:\n- name: b\n";
  std::ofstream(dir + "/rules/c.txt") << "not yaml: [";
  Result<std::vector<RuleGroupConfig>> groups =
      LoadRuleFiles({"rules/*.yml", "missing/*.yml"}, dir);
  ASSERT_TRUE(groups.ok()) << groups.status().message();
  ASSERT_EQ(groups->size(), 2u);
  EXPECT_EQ((*groups)[0].name, "a");
  EXPECT_EQ((*groups)[0].file, dir + "/rules/a.yml");
  EXPECT_EQ((*groups)[1].name, "b");

  std::ofstream(dir + "/rules/bad.yml") << "groups:\n- name: g\n  rules:\n  - alert: A\n";
  groups = LoadRuleFiles({"rules/*.yml"}, dir);
  ASSERT_FALSE(groups.ok());
  EXPECT_NE(std::string(groups.status().message()).find(dir + "/rules/bad.yml: "),
            std::string::npos)
      << groups.status().message();
}

}  // namespace
}  // namespace quartet::alert

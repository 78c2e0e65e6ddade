// Prometheus rule files (2.42's rulefmt): YAML `groups:` with name,
// interval, limit and rules (record | alert, expr, for, keep_firing_for,
// labels, annotations), parsed and validated as `promtool check rules` does.
// Every problem is reported, one per line, naming the file, the position,
// the group, the rule's 1-based index and name, and the problem:
//   rules.yml: 7:11: group "checkout", rule 1, "HighLatency": could not parse expression: ...
// Unknown keys are errors (Prometheus reads rule files strictly).
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"

namespace quartet::alert {

// (name, value) sorted by name, names unique.
using LabelPairs = std::vector<std::pair<std::string, std::string>>;

struct RuleConfig {
  std::string record;  // set for a recording rule
  std::string alert;   // set for an alerting rule
  std::string expr;    // as written
  int64_t for_ms = 0;
  int64_t keep_firing_for_ms = 0;
  LabelPairs labels;
  LabelPairs annotations;  // alerting rules only
  const std::string& name() const { return record.empty() ? alert : record; }
  bool is_alert() const { return !alert.empty(); }
};

struct RuleGroupConfig {
  std::string file;  // the path it was read from
  std::string name;
  int64_t interval_ms = 0;  // 0: global.evaluation_interval
  int64_t limit = 0;        // 0: none
  std::vector<RuleConfig> rules;
};

// Parses one rule file's text; `file` names it in errors.
Result<std::vector<RuleGroupConfig>> ParseRuleFile(std::string_view yaml, std::string_view file);

// Expands rule_files globs (relative ones against `base_dir`, the config
// file's directory) into sorted, de-duplicated paths; a pattern that
// matches nothing is not an error (as Prometheus). A malformed pattern is.
Result<std::vector<std::string>> ExpandRuleFiles(const std::vector<std::string>& patterns,
                                                 const std::string& base_dir);

// Reads and parses every file of ExpandRuleFiles; the first unreadable or
// invalid file is the error (its message names it).
Result<std::vector<RuleGroupConfig>> LoadRuleFiles(const std::vector<std::string>& patterns,
                                                   const std::string& base_dir);

}  // namespace quartet::alert

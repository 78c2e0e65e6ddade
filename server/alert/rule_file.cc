#include "server/alert/rule_file.h"

#include <glob.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "server/alert/template.h"
#include "server/config/prometheus_config.h"
#include "server/query/promql/labels.h"
#include "server/query/promql/parser.h"

namespace quartet::alert {
namespace {

std::string Pos(const YAML::Node& n) {
  const YAML::Mark m = n.Mark();
  if (m.is_null()) return "";
  return std::to_string(m.line + 1) + ":" + std::to_string(m.column + 1) + ": ";
}

bool IsValidMetricName(std::string_view s) {
  if (s.empty()) return false;
  for (size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':' ||
                    (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Collects the problems of one file.
class Checker {
 public:
  explicit Checker(std::string_view file) : file_(file) {}

  void Add(const std::string& problem) { errors_.push_back(std::string(file_) + ": " + problem); }
  bool ok() const { return errors_.empty(); }
  Status status() const {
    std::string msg;
    for (const std::string& e : errors_) msg += (msg.empty() ? "" : "\n") + e;
    return Status::InvalidArgument(msg);
  }

  // Keys of a mapping not in `known` ("field x not found in type T").
  void CheckKeys(const YAML::Node& map, std::initializer_list<std::string_view> known,
                 std::string_view type) {
    for (const auto& item : map) {
      const std::string key = item.first.Scalar();
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        const YAML::Mark m = item.first.Mark();
        Add("yaml: unmarshal errors:\n  line " + std::to_string(m.is_null() ? 0 : m.line + 1) +
            ": field " + key + " not found in type " + std::string(type));
      }
    }
  }

  // A scalar as a string; a problem (and "") otherwise.
  std::string Scalar(const YAML::Node& n, std::string_view what) {
    if (!n || n.IsNull()) return "";
    if (!n.IsScalar()) {
      Add(Pos(n) + std::string(what) + " must be a string");
      return "";
    }
    return n.Scalar();
  }

  LabelPairs Map(const YAML::Node& n, std::string_view what) {
    LabelPairs out;
    if (!n || n.IsNull()) return out;
    if (!n.IsMap()) {
      Add(Pos(n) + std::string(what) + " must be a mapping");
      return out;
    }
    std::map<std::string, std::string> sorted;
    for (const auto& item : n) {
      if (!item.second.IsScalar() && !item.second.IsNull()) {
        Add(Pos(item.second) + std::string(what) + " " + item.first.Scalar() +
            ": must be a string");
        continue;
      }
      sorted[item.first.Scalar()] = item.second.IsNull() ? "" : item.second.Scalar();
    }
    out.assign(sorted.begin(), sorted.end());
    return out;
  }

  int64_t Duration(const YAML::Node& n) {
    if (!n || n.IsNull()) return 0;
    Result<int64_t> ms = server::ParsePrometheusDuration(n.IsScalar() ? n.Scalar() : "");
    if (!ms.ok()) {
      Add(Pos(n) + std::string(ms.status().message()));
      return 0;
    }
    return *ms;
  }

 private:
  std::string_view file_;
  std::vector<std::string> errors_;
};

// Prometheus's RuleNode.Validate, for rule `index` (1-based) of `group`.
void ValidateRule(const RuleConfig& r, const YAML::Node& node, const std::string& group,
                  size_t index, Checker* c) {
  const YAML::Node name_node = node[r.is_alert() ? "alert" : "record"];
  auto add = [&](const YAML::Node& at, const std::string& problem) {
    c->Add((at.IsDefined() ? Pos(at) : std::string()) + "group \"" + group + "\", rule " +
           std::to_string(index) + ", \"" + r.name() + "\": " + problem);
  };
  if (!r.record.empty() && !r.alert.empty()) {
    add(node["record"], "only one of 'record' and 'alert' must be set");
  }
  if (r.record.empty() && r.alert.empty()) add(node, "one of 'record' or 'alert' must be set");
  if (r.expr.empty()) {
    add(node, "field 'expr' must be set in rule");
  } else if (Result<promql::ExprPtr> e = promql::Parse(r.expr); !e.ok()) {
    add(node["expr"], "could not parse expression: " + std::string(e.status().message()));
  }
  if (!r.record.empty()) {
    if (!r.annotations.empty()) add(name_node, "invalid field 'annotations' in recording rule");
    if (r.for_ms != 0) add(name_node, "invalid field 'for' in recording rule");
    if (r.keep_firing_for_ms != 0)
      add(name_node, "invalid field 'keep_firing_for' in recording rule");
    if (!IsValidMetricName(r.record)) add(name_node, "invalid recording rule name: " + r.record);
  }
  for (const auto& [k, v] : r.labels) {
    if (!promql::IsValidLabelName(k) || k == "__name__")
      add(node["labels"], "invalid label name: " + k);
  }
  for (const auto& [k, v] : r.annotations) {
    if (!promql::IsValidLabelName(k)) add(node["annotations"], "invalid annotation name: " + k);
  }
  if (r.is_alert()) {
    for (const auto& [k, v] : r.labels) {
      if (Status s = ValidateRuleTemplate(r.alert, v); !s.ok()) {
        add(YAML::Node(YAML::NodeType::Undefined),
            "label \"" + k + "\": " + std::string(s.message()));
      }
    }
    for (const auto& [k, v] : r.annotations) {
      if (Status s = ValidateRuleTemplate(r.alert, v); !s.ok()) {
        add(YAML::Node(YAML::NodeType::Undefined),
            "annotation \"" + k + "\": " + std::string(s.message()));
      }
    }
  }
}

}  // namespace

Result<std::vector<RuleGroupConfig>> ParseRuleFile(std::string_view yaml, std::string_view file) {
  YAML::Node root;
  try {
    root = YAML::Load(std::string(yaml));
  } catch (const YAML::Exception& e) {
    return Status::InvalidArgument(std::string(file) + ": yaml: " + e.what());
  }
  std::vector<RuleGroupConfig> groups;
  if (!root || root.IsNull()) return groups;  // an empty file has no groups
  Checker c(file);
  if (!root.IsMap())
    return Status::InvalidArgument(std::string(file) + ": not a mapping with groups");
  c.CheckKeys(root, {"groups"}, "rulefmt.RuleGroups");
  const YAML::Node list = root["groups"];
  if (list && !list.IsNull() && !list.IsSequence()) c.Add(Pos(list) + "groups must be a list");
  std::set<std::string> names;
  if (list && list.IsSequence()) {
    for (const YAML::Node& g : list) {
      if (!g.IsMap()) {
        c.Add(Pos(g) + "a group must be a mapping");
        continue;
      }
      c.CheckKeys(g, {"name", "interval", "limit", "rules"}, "rulefmt.RuleGroup");
      RuleGroupConfig group;
      group.file = std::string(file);
      group.name = c.Scalar(g["name"], "name");
      if (group.name.empty()) c.Add(Pos(g) + "Groupname must not be empty");
      if (!names.insert(group.name).second) {
        c.Add(Pos(g) + "groupname: \"" + group.name + "\" is repeated in the same file");
      }
      group.interval_ms = c.Duration(g["interval"]);
      if (const YAML::Node l = g["limit"]; l && !l.IsNull()) {
        try {
          group.limit = l.as<int64_t>();
        } catch (const YAML::Exception&) {
          c.Add(Pos(l) + "limit must be an integer");
        }
      }
      const YAML::Node rules = g["rules"];
      if (rules && !rules.IsNull() && !rules.IsSequence())
        c.Add(Pos(rules) + "rules must be a list");
      size_t index = 0;
      for (const YAML::Node& rn : rules&& rules.IsSequence() ? rules : YAML::Node()) {
        ++index;
        if (!rn.IsMap()) {
          c.Add(Pos(rn) + "group \"" + group.name + "\", rule " + std::to_string(index) +
                ": a rule must be a mapping");
          continue;
        }
        c.CheckKeys(rn,
                    {"record", "alert", "expr", "for", "keep_firing_for", "labels", "annotations"},
                    "rulefmt.RuleNode");
        RuleConfig r;
        r.record = c.Scalar(rn["record"], "record");
        r.alert = c.Scalar(rn["alert"], "alert");
        r.expr = c.Scalar(rn["expr"], "expr");
        r.for_ms = c.Duration(rn["for"]);
        r.keep_firing_for_ms = c.Duration(rn["keep_firing_for"]);
        r.labels = c.Map(rn["labels"], "labels");
        r.annotations = c.Map(rn["annotations"], "annotations");
        ValidateRule(r, rn, group.name, index, &c);
        group.rules.push_back(std::move(r));
      }
      groups.push_back(std::move(group));
    }
  }
  if (!c.ok()) return c.status();
  return groups;
}

Result<std::vector<std::string>> ExpandRuleFiles(const std::vector<std::string>& patterns,
                                                 const std::string& base_dir) {
  std::set<std::string> files;
  for (const std::string& p : patterns) {
    const std::string pattern =
        (p.empty() || p[0] == '/' || base_dir.empty()) ? p : base_dir + "/" + p;
    glob_t g{};
    const int rc = glob(pattern.c_str(), 0, nullptr, &g);
    if (rc == 0) {
      for (size_t i = 0; i < g.gl_pathc; ++i) files.insert(g.gl_pathv[i]);
    }
    globfree(&g);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      return Status::InvalidArgument("error retrieving rule files for " + p + ": glob failed");
    }
  }
  return std::vector<std::string>(files.begin(), files.end());
}

Result<std::vector<RuleGroupConfig>> LoadRuleFiles(const std::vector<std::string>& patterns,
                                                   const std::string& base_dir) {
  ASSIGN_OR_RETURN(std::vector<std::string> files, ExpandRuleFiles(patterns, base_dir));
  std::vector<RuleGroupConfig> all;
  for (const std::string& f : files) {
    std::ifstream in(f, std::ios::binary);
    if (!in) return Status::InvalidArgument("rule file " + f + ": cannot read it");
    std::stringstream ss;
    ss << in.rdbuf();
    ASSIGN_OR_RETURN(std::vector<RuleGroupConfig> groups, ParseRuleFile(ss.str(), f));
    for (RuleGroupConfig& g : groups) all.push_back(std::move(g));
  }
  return all;
}

}  // namespace quartet::alert

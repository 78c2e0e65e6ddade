// Label sets and label matchers of PromQL: a series is identified by its
// labels sorted by name (no duplicate names, no empty values), the metric name
// being the label "__name__". Matchers are the `name op "value"` terms of a
// selector; regex matchers are fully anchored RE2 (Go's regexp dialect, as
// Prometheus uses). Values; a built Matcher is immutable and thread-safe.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace re2 {
class RE2;
}

namespace quartet::promql {

inline constexpr std::string_view kMetricName = "__name__";

struct Label {
  std::string name;
  std::string value;
  friend bool operator==(const Label&, const Label&) = default;
  friend auto operator<=>(const Label&, const Label&) = default;
};

// Sorted by name; a name appears at most once; values are never empty.
using Labels = std::vector<Label>;

// The value of `name`, or "" when absent.
std::string_view GetLabel(const Labels& labels, std::string_view name);
// Sets (or with an empty value deletes) `name`, keeping the order.
void SetLabel(Labels* labels, std::string_view name, std::string_view value);
void DeleteLabel(Labels* labels, std::string_view name);
// Sorts by name and drops empty values (for sets built in any order).
void Canonicalize(Labels* labels);
// `{a="1", b="2"}` as Prometheus prints a label set.
std::string LabelsToString(const Labels& labels);
// A byte string equal for equal label sets; used as a hash-map key.
std::string LabelsKey(const Labels& labels);
// LabelsKey of the labels `keep` accepts (an aggregation's by/without),
// written into `key` so a loop over many series reuses one buffer.
template <typename Keep>
void SubsetKey(const Labels& labels, const Keep& keep, std::string* key) {
  key->clear();
  for (const Label& l : labels) {
    if (!keep(l)) continue;
    *key += l.name;
    *key += '\xff';
    *key += l.value;
    *key += '\xff';
  }
}
// True for [a-zA-Z_][a-zA-Z0-9_]*.
bool IsValidLabelName(std::string_view name);

class Matcher {
 public:
  enum class Type { kEqual, kNotEqual, kRegex, kNotRegex };

  // Compiles the regex of a (not-)regex matcher; a bad one is InvalidArgument.
  static Result<Matcher> Make(Type type, std::string name, std::string value);

  Type type() const { return type_; }
  const std::string& name() const { return name_; }
  const std::string& value() const { return value_; }
  // Whether a label value (or "" for an absent label) satisfies the matcher.
  bool Matches(std::string_view label_value) const;
  bool MatchesLabels(const Labels& labels) const { return Matches(GetLabel(labels, name_)); }
  // `name="value"` with the operator and Go-quoted value.
  std::string ToString() const;

  friend bool operator==(const Matcher& a, const Matcher& b) {
    return a.type_ == b.type_ && a.name_ == b.name_ && a.value_ == b.value_;
  }

 private:
  Type type_ = Type::kEqual;
  std::string name_;
  std::string value_;
  std::shared_ptr<const re2::RE2> re_;  // set for regex types
};

std::string_view MatcherOpString(Matcher::Type type);

}  // namespace quartet::promql

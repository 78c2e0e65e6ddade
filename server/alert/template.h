// Template: the subset of Go's text/template that Prometheus rule labels and
// annotations are written in, with Prometheus's data and functions, so that
// a rule file copied from Prometheus expands to the same text:
//   {{ $labels.instance }}  {{ .Labels.job }}  {{ $value }}  {{ .Value }}
//   {{ $externalLabels.cluster }}  {{ $externalURL }}
//   {{ humanize $value }}  {{ $value | humanizePercentage }}
//   {{ printf "%.2f" $value }}  {{ if gt $value 0.5 }}...{{ else }}...{{ end }}
//   {{- trims -}}, {{/* comments */}}, {{ $x := ... }}, with / if / else if
// Functions: humanize, humanize1024, humanizeDuration, humanizePercentage,
// humanizeTimestamp, printf, print, toUpper, toLower, title, match,
// reReplaceAll, stripPort, index, len, eq, ne, lt, le, gt, ge, and, or, not.
// As in Go, a number literal without '.' or exponent is an int and comparing
// it with a float ($value) is an error ("incompatible types for
// comparison"); a missing label is "". Unsupported constructs (range,
// query, define/block) are parse errors naming them.
//
// A parsed Template is immutable and thread-safe to execute concurrently.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::alert {

// What a rule's templates see (Prometheus's AlertTemplateData).
struct TemplateData {
  std::map<std::string, std::string> labels;  // the alert's series labels, __name__ included
  std::map<std::string, std::string> external_labels;
  std::string external_url;
  double value = 0;
};

class Template {
 public:
  struct Node;

  // Parses `text` under `name` (errors read "template: NAME:LINE: ...", as
  // Go's). The text is used as written: ExpandRuleTemplate adds the $labels,
  // $value, ... definitions Prometheus prepends.
  static Result<Template> Parse(std::string_view name, std::string_view text);

  // Executes with `data` as dot; InvalidArgument with Go's wording
  // ("template: NAME:1:90: executing \"NAME\" at <...>: ...") on failure.
  Result<std::string> Execute(const TemplateData& data) const;

 private:
  std::string name_;
  std::string text_;
  std::shared_ptr<const Node> root_;
};

// The text Prometheus puts before each rule template, defining $labels,
// $externalLabels, $externalURL and $value.
std::string_view RuleTemplatePrelude();

// Checks a rule's label or annotation template at load (rule validation).
Status ValidateRuleTemplate(std::string_view rule_name, std::string_view text);

// Expands a rule's label or annotation template for one alert as Prometheus
// does: on any error the result is "<error expanding template: ...>".
std::string ExpandRuleTemplate(std::string_view rule_name, std::string_view text,
                               const TemplateData& data);

// Go's %v of a float64 (strconv 'g', shortest): "0.75", "1e+06", "NaN", "+Inf".
std::string GoFloatV(double v);

// Prometheus's humanize functions (template funcs), for reuse and tests.
std::string Humanize(double v);
std::string Humanize1024(double v);
std::string HumanizeDuration(double seconds);
std::string HumanizePercentage(double ratio);

}  // namespace quartet::alert

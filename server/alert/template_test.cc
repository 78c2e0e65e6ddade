#include "server/alert/template.h"

#include <gtest/gtest.h>

#include <cmath>

namespace quartet::alert {
namespace {

TEST(TemplateTest, GoFloatV) {
  const std::pair<double, const char*> cases[] = {
      {0, "0"},
      {0.75, "0.75"},
      {1, "1"},
      {123456, "123456"},
      {1e6, "1e+06"},
      {1234567, "1.234567e+06"},
      {0.0001, "0.0001"},
      {0.00001, "1e-05"},
      {-2.5, "-2.5"},
      {NAN, "NaN"},
      {INFINITY, "+Inf"},
      {-INFINITY, "-Inf"},
      {0.1 + 0.2, "0.30000000000000004"},
  };
  for (const auto& [v, want] : cases) EXPECT_EQ(GoFloatV(v), want) << v;
}

TEST(TemplateTest, HumanizeFunctions) {
  EXPECT_EQ(Humanize(0), "0");
  EXPECT_EQ(Humanize(1234), "1.234k");
  EXPECT_EQ(Humanize(1234567), "1.235M");
  EXPECT_EQ(Humanize(0.0012), "1.2m");
  EXPECT_EQ(Humanize(12), "12");
  EXPECT_EQ(Humanize(NAN), "NaN");
  EXPECT_EQ(Humanize1024(2048), "2ki");
  EXPECT_EQ(Humanize1024(1), "1");
  EXPECT_EQ(HumanizeDuration(0), "0s");
  EXPECT_EQ(HumanizeDuration(0.75), "750ms");
  EXPECT_EQ(HumanizeDuration(1.5), "1.5s");
  EXPECT_EQ(HumanizeDuration(90), "1m 30s");
  EXPECT_EQ(HumanizeDuration(3661), "1h 1m 1s");
  EXPECT_EQ(HumanizeDuration(90061), "1d 1h 1m 1s");
  EXPECT_EQ(HumanizeDuration(-90), "-1m 30s");
  EXPECT_EQ(HumanizePercentage(0.1234), "12.34%");
}

TEST(TemplateTest, ExpandsWhatRuleAuthorsWrite) {
  TemplateData data;
  data.labels = {{"__name__", "x"}, {"instance", "web-1:8080"}, {"job", "checkout"}};
  data.external_labels = {{"cluster", "eu1"}};
  data.external_url = "http://q:4318";
  data.value = 0.7512;
  struct Case {
    const char* text;
    const char* want;
  };
  const Case cases[] = {
      {"plain text", "plain text"},
      {"{{ $labels.instance }}", "web-1:8080"},
      {"{{ .Labels.job }} {{ $labels.missing }}.", "checkout ."},
      {"{{ $value }}", "0.7512"},
      {"{{ .Value }}", "0.7512"},
      {"{{ $externalLabels.cluster }} {{ $externalURL }}", "eu1 http://q:4318"},
      {"{{ humanize $value }}", "751.2m"},
      {"{{ $value | humanizePercentage }}", "75.12%"},
      {"{{ $value | humanizeDuration }}", "751.2ms"},
      {"{{ printf \"%.2f\" $value }}", "0.75"},
      {"{{ printf \"%s is %.1f%%\" $labels.job 99.5 }}", "checkout is 99.5%"},
      {"{{ printf \"%d\" 3 }}/{{ printf \"%d\" $value }}", "3/%!d(float64=0.7512)"},
      {"{{ if gt $value 0.5 }}high{{ else }}low{{ end }}", "high"},
      {"{{ if lt $value 0.5 }}low{{ else if lt $value 0.9 }}mid{{ else }}high{{ end }}", "mid"},
      {"{{ if eq $labels.job \"checkout\" }}yes{{ end }}", "yes"},
      {"{{ if and (gt $value 0.5) (eq $labels.job \"x\") }}a{{ else }}b{{ end }}", "b"},
      {"{{ if not (eq $labels.job \"x\") }}ok{{ end }}", "ok"},
      {"a  {{- $labels.job -}}  b", "acheckoutb"},
      {"{{/* comment */}}x", "x"},
      {"{{ $j := $labels.job }}{{ $j | toUpper }}", "CHECKOUT"},
      {"{{ with $labels.job }}{{ . }}{{ end }}", "checkout"},
      {"{{ index $labels \"instance\" | stripPort }}", "web-1"},
      {"{{ reReplaceAll \"(.*):(.*)\" \"$2\" $labels.instance }}", "8080"},
      {"{{ if match \"^web\" $labels.instance }}web{{ end }}", "web"},
      {"{{ title \"hello world\" }} {{ toLower \"AB\" }} {{ len $labels }}", "Hello World ab 3"},
      {"{{ humanize \"1500\" }}", "1.5k"},
      {"{{ 1 }} {{ 1.5 }} {{ true }} {{ \"s\" }}", "1 1.5 true s"},
  };
  for (const Case& c : cases) {
    EXPECT_EQ(ExpandRuleTemplate("A", c.text, data), c.want) << c.text;
  }
}

TEST(TemplateTest, ErrorsExpandLikePrometheus) {
  TemplateData data;
  data.value = 0.75;
  // Go compares only the same kinds: the int literal 1 against float64.
  EXPECT_EQ(ExpandRuleTemplate("HighLatency", "{{ if gt $value 1 }}x{{ end }}", data),
            "<error expanding template: error executing template __alert_HighLatency: template: "
            "__alert_HighLatency:1:118: executing "
            "\"__alert_HighLatency\" at <gt $value 1>: error calling gt: incompatible types for "
            "comparison>");
  // The same text as Prometheus 2.42 (checked against it).
  EXPECT_EQ(ExpandRuleTemplate("A", "{{ humanize \"abc\" }}", data),
            "<error expanding template: error executing template __alert_A: template: "
            "__alert_A:1:115: executing \"__alert_A\" at <humanize \"abc\">: error calling "
            "humanize: strconv.ParseFloat: parsing \"abc\": invalid syntax>");
  EXPECT_EQ(ExpandRuleTemplate("A", "{{ $nope }}", data),
            "<error expanding template: error parsing template __alert_A: template: __alert_A:1: "
            "undefined variable \"$nope\">");
  EXPECT_EQ(ExpandRuleTemplate("A", "{{ if true }}x", data),
            "<error expanding template: error parsing template __alert_A: template: __alert_A:1: "
            "unexpected EOF>");
  EXPECT_NE(ExpandRuleTemplate("A", "{{ range $labels }}{{ end }}", data).find("not supported"),
            std::string::npos);
  EXPECT_TRUE(ValidateRuleTemplate("A", "{{ $labels.x }} {{ humanize $value }}").ok());
  EXPECT_FALSE(ValidateRuleTemplate("A", "{{ foo }}").ok());
}

}  // namespace
}  // namespace quartet::alert

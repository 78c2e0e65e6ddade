#include "server/ingest/prometheus/scrape_relabel.h"

#include <gtest/gtest.h>
#include <re2/re2.h>

namespace quartet::ingest {
namespace {

using server::ParsePrometheusYaml;

// Rules written as in a prometheus.yml (one job's relabel_configs).
std::vector<server::RelabelConfig> Rules(const std::string& yaml) {
  Result<server::PrometheusConfig> c =
      ParsePrometheusYaml("scrape_configs:\n- job_name: j\n  relabel_configs:\n" + yaml);
  EXPECT_TRUE(c.ok()) << c.status().message();
  return c.ok() ? c->scrape_configs[0].relabel_configs : std::vector<server::RelabelConfig>{};
}

store::Labels L(std::initializer_list<std::pair<std::string, std::string>> l) {
  store::Labels out(l);
  std::sort(out.begin(), out.end());
  return out;
}

// Cases after Prometheus's relabel documentation and its relabel_test.go.
TEST(Relabel, ActionsFollowPrometheusSemantics) {
  struct Case {
    std::string name;
    std::string rules;
    store::Labels in;
    bool kept;
    store::Labels out;
  };
  const Case cases[] = {
      {"replace with groups",
       "  - {source_labels: [a], regex: 'f(.*)', target_label: d, replacement: 'ch${1}-ch${1}'}\n",
       L({{"a", "foo"}, {"b", "bar"}}), true, L({{"a", "foo"}, {"b", "bar"}, {"d", "choo-choo"}})},
      {"replace joins sources with the separator",
       "  - {source_labels: [a, b], separator: '/', regex: '(.*)/(.*)', target_label: c, "
       "replacement: '$2:$1'}\n",
       L({{"a", "x"}, {"b", "y"}}), true, L({{"a", "x"}, {"b", "y"}, {"c", "y:x"}})},
      {"regex anchored: no partial match, no change",
       "  - {source_labels: [a], regex: 'o', target_label: c, replacement: hit}\n",
       L({{"a", "foo"}}), true, L({{"a", "foo"}})},
      {"empty replacement deletes the target",
       "  - {source_labels: [a], regex: '.*', target_label: b, replacement: ''}\n",
       L({{"a", "foo"}, {"b", "bar"}}), true, L({{"a", "foo"}})},
      {"$1x names group 1x, which expands to nothing",
       "  - {source_labels: [a], regex: '(.*)', target_label: b, replacement: '$1x'}\n",
       L({{"a", "foo"}, {"b", "old"}}), true, L({{"a", "foo"}})},
      {"${1}x and $$",
       "  - {source_labels: [a], regex: '(.*)', target_label: b, replacement: '${1}x$$'}\n",
       L({{"a", "foo"}}), true, L({{"a", "foo"}, {"b", "foox$"}})},
      {"named group and target from the match",
       "  - {source_labels: [a], regex: '(?P<k>[a-z]+)=(?P<v>.*)', target_label: '${k}', "
       "replacement: '$v'}\n",
       L({{"a", "env=prod"}}), true, L({{"a", "env=prod"}, {"env", "prod"}})},
      {"invalid expanded target: no change",
       "  - {source_labels: [a], regex: '(.*)', target_label: '$1', replacement: x}\n",
       L({{"a", "1abc"}}), true, L({{"a", "1abc"}})},
      {"absent source label is the empty string",
       "  - {source_labels: [missing], regex: '', target_label: c, replacement: empty}\n",
       L({{"a", "foo"}}), true, L({{"a", "foo"}, {"c", "empty"}})},
      {"keep matching", "  - {source_labels: [a], regex: 'f.*', action: keep}\n", L({{"a", "foo"}}),
       true, L({{"a", "foo"}})},
      {"keep not matching",
       "  - {source_labels: [a], regex: 'f', action: keep}\n",
       L({{"a", "foo"}}),
       false,
       {}},
      {"drop matching",
       "  - {source_labels: [a], regex: 'foo|bar', action: drop}\n",
       L({{"a", "bar"}}),
       false,
       {}},
      {"drop not matching (partial)", "  - {source_labels: [a], regex: 'ba', action: drop}\n",
       L({{"a", "bar"}}), true, L({{"a", "bar"}})},
      {"keepequal", "  - {source_labels: [a], target_label: b, action: keepequal}\n",
       L({{"a", "x"}, {"b", "x"}}), true, L({{"a", "x"}, {"b", "x"}})},
      {"keepequal differs",
       "  - {source_labels: [a], target_label: b, action: keepequal}\n",
       L({{"a", "x"}, {"b", "y"}}),
       false,
       {}},
      {"dropequal",
       "  - {source_labels: [a], target_label: b, action: dropequal}\n",
       L({{"a", "x"}, {"b", "x"}}),
       false,
       {}},
      {"labelmap", "  - {regex: '__meta_(.+)', action: labelmap}\n",
       L({{"__meta_zone", "eu"}, {"__meta_rack", "r1"}, {"a", "1"}}), true,
       L({{"__meta_zone", "eu"},
          {"__meta_rack", "r1"},
          {"a", "1"},
          {"zone", "eu"},
          {"rack", "r1"}})},
      {"labelmap with replacement",
       "  - {regex: 'old_(.*)', replacement: 'new_${1}', action: labelmap}\n", L({{"old_a", "1"}}),
       true, L({{"old_a", "1"}, {"new_a", "1"}})},
      {"labeldrop", "  - {regex: 'tmp_.*', action: labeldrop}\n",
       L({{"tmp_a", "1"}, {"tmp_b", "2"}, {"keep", "3"}}), true, L({{"keep", "3"}})},
      {"labelkeep", "  - {regex: '__name__|job', action: labelkeep}\n",
       L({{"__name__", "up"}, {"job", "j"}, {"other", "x"}}), true,
       L({{"__name__", "up"}, {"job", "j"}})},
      {"lowercase", "  - {source_labels: [a, b], target_label: c, action: lowercase}\n",
       L({{"a", "FoO"}, {"b", "BÄR"}}), true, L({{"a", "FoO"}, {"b", "BÄR"}, {"c", "foo;bÄr"}})},
      {"uppercase", "  - {source_labels: [a], target_label: a, action: uppercase}\n",
       L({{"a", "get"}}), true, L({{"a", "GET"}})},
      {"rules chain: each reads the result of the one before",
       "  - {source_labels: [a], target_label: b}\n"
       "  - {source_labels: [b], regex: 'foo', action: drop}\n",
       L({{"a", "foo"}}),
       false,
       {}},
      {"dropping every label drops the set",
       "  - {regex: '.*', action: labeldrop}\n",
       L({{"a", "1"}}),
       false,
       {}},
  };
  for (const Case& c : cases) {
    std::vector<server::RelabelConfig> rules = Rules(c.rules);
    ASSERT_FALSE(rules.empty()) << c.name;
    store::Labels labels = c.in;
    EXPECT_EQ(Relabel(rules, &labels), c.kept) << c.name;
    if (c.kept) {
      EXPECT_EQ(labels, c.out) << c.name;
    }
  }
}

TEST(Relabel, HashModMatchesPrometheus) {
  // The expected values of Prometheus's relabel_test.go.
  EXPECT_EQ(HashModSum("baz") % 1000, 976u);
  EXPECT_EQ(HashModSum("foo\nbar") % 1000, 734u);
  std::vector<server::RelabelConfig> rules =
      Rules("  - {source_labels: [c], modulus: 1000, target_label: d, action: hashmod}\n");
  store::Labels labels = L({{"a", "foo"}, {"c", "baz"}});
  ASSERT_TRUE(Relabel(rules, &labels));
  EXPECT_EQ(GetLabel(labels, "d"), "976");
}

TEST(Relabel, ExpandTemplateLeavesMalformedReferencesAsText) {
  re2::RE2 re("(a)(?P<n>b)");
  std::vector<std::string_view> groups = {"ab", "a", "b"};
  EXPECT_EQ(ExpandTemplate(re, "$1-$n-${2}-$9-${}-$-x$", groups), "a-b-b--${}-$-x$");
  EXPECT_EQ(ExpandTemplate(re, "${1", groups), "${1");
}

TEST(Labels, SetKeepsOrderAndEmptyDeletes) {
  store::Labels l;
  SetLabel(&l, "b", "2");
  SetLabel(&l, "a", "1");
  SetLabel(&l, "c", "3");
  EXPECT_EQ(l, L({{"a", "1"}, {"b", "2"}, {"c", "3"}}));
  SetLabel(&l, "b", "");
  SetLabel(&l, "zz", "");
  EXPECT_EQ(l, L({{"a", "1"}, {"c", "3"}}));
  EXPECT_EQ(GetLabel(l, "c"), "3");
  EXPECT_EQ(GetLabel(l, "b"), "");
}

}  // namespace
}  // namespace quartet::ingest

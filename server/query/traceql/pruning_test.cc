#include "server/query/traceql/pruning.h"

#include <gtest/gtest.h>

#include "server/query/traceql/parser.h"
#include "server/query/traceql/printer.h"

namespace quartet::traceql {
namespace {

// The plan printed compactly: per filter "[cond; cond]" (with "~" when not
// exact), then the CNF clauses.
std::string Describe(const PruningPlan& plan) {
  std::string out;
  for (const FilterPlan& f : plan.filters) {
    out += f.exact ? "[" : "~[";
    for (size_t k = 0; k < f.conditions.size(); ++k) {
      if (k > 0) out += "; ";
      out += ToString(f.conditions[k]);
    }
    out += "] ";
  }
  out += "=>";
  for (const auto& clause : plan.required_any_of) {
    out += " (";
    for (size_t k = 0; k < clause.size(); ++k) {
      if (k > 0) out += "|";
      out += std::to_string(clause[k]);
    }
    out += ")";
  }
  return out;
}

TEST(TraceqlPruningTest, Plans) {
  struct Case {
    const char* query;
    const char* plan;
  };
  const Case cases[] = {
      {"{ }", "[] =>"},
      {R"({ span.http.route = "/checkout" && duration > 500ms })",
       R"([span.http.route = "/checkout"; duration > 500ms] => (0))"},
      {R"({ resource.service.name = "db" })", R"([resource.service.name = "db"] => (0))"},
      {"{ status = error || kind = server }", "~[] =>"},
      {"{ status = error && (kind = server || kind = client) }", "~[status = error] => (0)"},
      {"{ !(status = error) }", "~[] =>"},
      {"{ trace:duration > 1s && .x = 1 }", "[trace:duration > 1s; .x = 1] => (0)"},
      {"{ status = error } && { kind = server }", "[status = error] [kind = server] => (0) (1)"},
      {"{ status = error } || { kind = server }", "[status = error] [kind = server] => (0|1)"},
      {"{ status = error } || { }", "[status = error] [] =>"},
      {"({ status = error } || { kind = server }) && { name = \"x\" }",
       "[status = error] [kind = server] [name = \"x\"] => (0|1) (2)"},
      {"({ span.a = 1 } && { span.b = 2 }) || { span.c = 3 }",
       "[span.a = 1] [span.b = 2] [span.c = 3] => (0|2) (1|2)"},
      {"{ kind = server } >> { status = error }", "[kind = server] [status = error] => (0) (1)"},
      {"{ kind = server } !>> { status = error }", "[kind = server] [status = error] => (1)"},
      {"{ status = error } | count() > 2", "[status = error] => (0)"},
      {"{ } | { status = error } | avg(duration) > 1s", "[] [status = error] => (1)"},
  };
  for (const Case& c : cases) {
    auto q = Parse(c.query);
    ASSERT_TRUE(q.ok()) << c.query << ": " << q.status().ToString();
    EXPECT_EQ(Describe(PlanPruning(*q)), c.plan) << c.query;
  }
}

TEST(TraceqlPruningTest, RegexConditionsKeepTheirCompiledPattern) {
  auto q = Parse(R"({ name =~ "GET .*" })");
  ASSERT_TRUE(q.ok());
  PruningPlan plan = PlanPruning(*q);
  ASSERT_EQ(plan.filters.size(), 1u);
  ASSERT_EQ(plan.filters[0].conditions.size(), 1u);
  EXPECT_NE(plan.filters[0].conditions[0].regex, nullptr);
  EXPECT_EQ(plan.filters[0].conditions[0].intrinsic, Intrinsic::kName);
  EXPECT_EQ(plan.filters[0].conditions[0].scope, Scope::kIntrinsic);
}

TEST(TraceqlPruningTest, WideDisjunctionsAreNotExpanded) {
  // (a1 && b1) || (a2 && b2) || ... has 2^n CNF clauses: the plan gives up
  // on the disjunction instead (sound: no pruning).
  std::string q;
  for (int k = 0; k < 10; ++k) {
    if (k > 0) q += " || ";
    q += "({ span.a = " + std::to_string(k) + " } && { span.b = " + std::to_string(k) + " })";
  }
  auto parsed = Parse(q);
  ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
  PruningPlan plan = PlanPruning(*parsed);
  EXPECT_EQ(plan.filters.size(), 20u);
  EXPECT_TRUE(plan.required_any_of.empty());
}

}  // namespace
}  // namespace quartet::traceql

#include "server/query/promql/parser.h"

#include <gtest/gtest.h>

#include <cmath>

namespace quartet::promql {
namespace {

// Each query parses, prints as `printed` and the printed form parses to an
// equal tree.
TEST(Parser, PrintsCanonicalFormAndRoundTrips) {
  struct Case {
    const char* query;
    const char* printed;
  } cases[] = {
      {"foo", "foo"},
      {"foo{b=\"2\", a=\"1\"}", "foo{a=\"1\",b=\"2\"}"},
      {"{__name__=~\"foo.*\"}", "{__name__=~\"foo.*\"}"},
      {"foo[5m]", "foo[5m]"},
      {"foo[90m] offset 1h30m", "foo[1h30m] offset 1h30m"},
      {"foo offset -5m", "foo offset -5m"},
      {"foo @ 100", "foo @ 100.000"},
      {"foo offset 5m @ start()", "foo @ start() offset 5m"},
      {"rate(foo[5m])[30m:1m]", "rate(foo[5m])[30m:1m]"},
      {"foo[1h:]", "foo[1h:]"},
      {"1 + 2 * 3", "1 + 2 * 3"},
      {"(1 + 2) * 3", "(1 + 2) * 3"},
      {"2 ^ 3 ^ 2", "2 ^ 3 ^ 2"},
      {"-foo", "-foo"},
      {"-1", "-1"},
      {"+1", "1"},
      {"0x1F", "31"},
      {"1e3", "1000"},
      {"Inf", "+Inf"},
      {"-inf", "-Inf"},
      {"nan", "NaN"},
      {"-NaN", "NaN"},  // fuzz: a negative NaN prints as NaN and must re-parse equal
      {"'a\\'b'", "\"a'b\""},
      {"`raw`", "\"raw\""},
      {"a > bool 1", "a > bool 1"},
      {"a * on(x, y) group_left(z) b", "a * on (x, y) group_left (z) b"},
      {"a / ignoring(x) group_right b", "a / ignoring (x) group_right () b"},
      {"a AND b OR c UNLESS d", "a and b or c unless d"},
      {"sum(foo) by (job)", "sum by (job) (foo)"},
      {"SUM without (a) (foo)", "sum without (a) (foo)"},
      {"topk(3, foo)", "topk(3, foo)"},
      {"count_values(\"v\", foo)", "count_values(\"v\", foo)"},
      {"quantile by (le) (0.9, foo)", "quantile by (le) (0.9, foo)"},
      {"histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))",
       "histogram_quantile(0.99, sum by (le) (rate(x_bucket[5m])))"},
      {"label_join(foo, \"d\", \",\", \"a\", \"b\", \"c\")",
       "label_join(foo, \"d\", \",\", \"a\", \"b\", \"c\")"},
      {"round(foo)", "round(foo)"},
      {"hour()", "hour()"},
      {"time() - 1", "time() - 1"},
      {"foo # comment\n + 1", "foo + 1"},
      {"job:rate5m:sum", "job:rate5m:sum"},
      {"foo{on=\"x\", by=\"y\"}", "foo{by=\"y\",on=\"x\"}"},
      {"sum by (on, group) (foo)", "sum by (on, group) (foo)"},
      {"a atan2 b", "a atan2 b"},
      {"017", "15"},
  };
  for (const Case& c : cases) {
    Result<ExprPtr> e = Parse(c.query);
    ASSERT_TRUE(e.ok()) << c.query << ": " << e.status().ToString();
    std::string printed = Print(**e);
    EXPECT_EQ(printed, c.printed) << c.query;
    Result<ExprPtr> again = Parse(printed);
    ASSERT_TRUE(again.ok()) << printed << ": " << again.status().ToString();
    EXPECT_TRUE(Equal(**e, **again)) << c.query;
  }
}

TEST(Parser, PrecedenceAndAssociativity) {
  struct Case {
    const char* query;
    const char* same_as;
  } cases[] = {
      {"1 + 2 * 3", "1 + (2 * 3)"},
      {"2 ^ 3 ^ 2", "2 ^ (3 ^ 2)"},
      {"1 - 2 - 3", "(1 - 2) - 3"},
      {"-a ^ b", "-(a ^ b)"},
      {"-a * b", "(-a) * b"},
      {"a or b and c", "a or (b and c)"},
      {"a + b > bool c * d", "(a + b) > bool (c * d)"},
      {"a + b offset 5m", "a + (b offset 5m)"},
      {"a atan2 b + c", "(a atan2 b) + c"},
  };
  auto strip = [](const Expr& e) { return Print(e); };
  for (const Case& c : cases) {
    Result<ExprPtr> a = Parse(c.query);
    Result<ExprPtr> b = Parse(c.same_as);
    ASSERT_TRUE(a.ok() && b.ok()) << c.query;
    // Parenthesised operands keep a Paren node; compare by evaluating the
    // shape: printing `b` without parens must give `a`'s print.
    std::string pb = strip(**b);
    std::string no_parens;
    for (char ch : pb) {
      if (ch != '(' && ch != ')') no_parens += ch;
    }
    std::string pa = strip(**a);
    std::string pa_np;
    for (char ch : pa) {
      if (ch != '(' && ch != ')') pa_np += ch;
    }
    EXPECT_EQ(pa_np, no_parens) << c.query;
    // And the structure: the top node's operator matches.
    const Expr* ua = Unparen(a->get());
    const Expr* ub = Unparen(b->get());
    EXPECT_EQ(ua->kind, ub->kind) << c.query;
    if (ua->kind == ExprKind::kBinary) {
      EXPECT_EQ(ua->op, ub->op) << c.query;
      EXPECT_EQ(Print(*Unparen(ua->lhs.get())), Print(*Unparen(ub->lhs.get()))) << c.query;
    }
  }
}

TEST(Parser, UnaryMinusFoldsIntoNumbers) {
  Result<ExprPtr> e = Parse("-2 ^ 2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->kind, ExprKind::kUnary);  // -(2 ^ 2), as Prometheus
  e = Parse("-2 * 2");
  ASSERT_TRUE(e.ok());
  EXPECT_EQ((*e)->kind, ExprKind::kBinary);
  EXPECT_EQ((*e)->lhs->kind, ExprKind::kNumber);
  EXPECT_EQ((*e)->lhs->number, -2);
}

TEST(Parser, RejectsInvalidQueriesWithPrometheusWording) {
  struct Case {
    const char* query;
    const char* error_contains;
  } cases[] = {
      {"", "unexpected end of input"},
      {"foo{", "unexpected end of input"},
      {"{}", "vector selector must contain at least one non-empty matcher"},
      {"{a=\"\"}", "vector selector must contain at least one non-empty matcher"},
      {"foo{__name__=\"bar\"}", "metric name must not be set twice"},
      {"foo{a=~\"(\"}", "error parsing regexp"},
      {"rate(foo)", "expected type range vector in call to function \"rate\", got instant vector"},
      {"rate(foo[5m], 1)", "expected 1 argument(s) in call to \"rate\", got 2"},
      {"label_join(foo, \"a\")", "expected at least 3 argument(s)"},
      {"round(foo, 1, 2)", "expected at most 2 argument(s)"},
      {"nosuch(foo)", "unknown function with name \"nosuch\""},
      {"sum(foo[5m])", "expected type instant vector in aggregation expression, got range vector"},
      {"topk(foo)",
       "wrong number of arguments for aggregate expression provided, expected 2, got 1"},
      {"topk(\"a\", foo)", "expected type scalar in aggregation parameter, got string"},
      {"count_values(1, foo)", "expected type string in aggregation parameter, got scalar"},
      {"sum()", "no arguments for aggregate expression provided"},
      {"1 > 2", "comparisons between scalars must use BOOL modifier"},
      {"a + bool b", "bool modifier can only be used on comparison operators"},
      {"1 and foo", "set operator \"and\" not allowed in binary scalar expression"},
      {"a and on(x) group_left b", "no grouping allowed for \"and\" operation"},
      {"a * on(x) group_left(x) b", "must not occur in ON and GROUP clause at once"},
      {"1 + on(x) foo", "vector matching only allowed between instant vectors"},
      {"foo[5m] + 1", "binary expression must contain only scalar and instant vector types"},
      {"-foo[5m]", "unary expression only allowed on expressions of type scalar or instant vector"},
      {"(foo)[5m]", "ranges only allowed for vector selectors"},
      {"foo offset 5m [5m]", "no offset modifiers allowed before range"},
      {"foo[5m][5m:1m]", "subquery is only allowed on instant vector, got range vector"},
      {"sum(foo) offset 5m", "offset modifier must be preceded by an instant vector selector"},
      {"foo offset 5m offset 1m", "offset may not be set multiple times"},
      {"foo @ 1 @ 2", "@ <timestamp> may not be set multiple times"},
      {"foo @ Inf", "timestamp out of bounds for @ modifier"},
      {"foo[5]", "unexpected number"},
      {"foo[1.5m]", "bad number or duration syntax"},
      {"foo offset 5", "unexpected number"},
      {"rate(foo[5m],)", "trailing commas not allowed in function call args"},
      {"\"unterminated", "unterminated quoted string"},
      {"foo{a=\"\\q\"}", "invalid syntax"},
      {"sum by (a:b) (foo)", "unexpected identifier \"a:b\""},
      {"foo $", "unexpected character"},
      {"foo bar", "unexpected identifier \"bar\""},
      {"by", "unexpected <by>"},
  };
  for (const Case& c : cases) {
    Result<ExprPtr> e = Parse(c.query);
    ASSERT_FALSE(e.ok()) << c.query;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << c.query;
    EXPECT_NE(e.status().message().find(c.error_contains), std::string_view::npos)
        << c.query << " -> " << e.status().message();
    EXPECT_NE(e.status().message().find("parse error: "), std::string_view::npos) << c.query;
  }
}

TEST(Parser, DeepNestingIsAnErrorNotACrash) {
  std::string q(100000, '(');
  q += "1";
  q += std::string(100000, ')');
  Result<ExprPtr> e = Parse(q);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("nested too deeply"), std::string_view::npos);
  std::string minus(100000, '-');
  EXPECT_FALSE(Parse(minus + "1").ok());
}

}  // namespace
}  // namespace quartet::promql

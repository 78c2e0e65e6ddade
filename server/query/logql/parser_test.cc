#include "server/query/logql/parser.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "server/query/logql/literals.h"

namespace quartet::logql {
namespace {

TEST(ParseTest, ValidQueriesPrintCanonically) {
  struct Case {
    const char* in;
    const char* out;
  };
  const Case cases[] = {
      {R"({app="x"})", R"({app="x"})"},
      {R"({app="x", env=~"prod|stage", pod!="a", ns!~"kube.*",})",
       R"({app="x", env=~"prod|stage", pod!="a", ns!~"kube.*"})"},
      {R"({app="x"}|="err"!="debug"|~`\d+`!~"a.c")",
       R"({app="x"} |= "err" != "debug" |~ "\\d+" !~ "a.c")"},
      {R"({app="x"} |= "a" or "b")", R"({app="x"} |= "a" or "b")"},
      {R"({app="x"} | json)", R"({app="x"} | json)"},
      {R"({app="x"} | json status="response.status", first=`items[0]`, id)",
       R"({app="x"} | json status="response.status", first="items[0]", id="id")"},
      {R"({app="x"} | logfmt | level="error")", R"({app="x"} | logfmt | level="error")"},
      {R"({app="x"} | pattern "<ip> - <_> <status>")",
       R"({app="x"} | pattern "<ip> - <_> <status>")"},
      {R"q({app="x"} | regexp "(?P<x>\\w+)")q", R"q({app="x"} | regexp "(?P<x>\\w+)")q"},
      {R"({app="x"} | status>=500)", R"({app="x"} | status >= 500)"},
      {R"({app="x"} | status=500)", R"({app="x"} | status == 500)"},
      {R"({app="x"} | duration > 1.5s, size <= 10KB)",
       R"({app="x"} | duration > 1.5s and size <= 10KB)"},
      {R"({app="x"} | a="1" or b="2" and c="3")", R"({app="x"} | a="1" or (b="2" and c="3"))"},
      {R"({app="x"} | (a="1" or b="2") and c=~"3.*")",
       R"({app="x"} | (a="1" or b="2") and c=~"3.*")"},
      {R"({app="x"} | __error__="")", R"({app="x"} | __error__="")"},
      {R"({app="x"} | line_format "{{.status}} {{ .path }}")",
       R"({app="x"} | line_format "{{.status}} {{ .path }}")"},
      {R"({app="x"} | label_format a=b, c="{{.d}}")",
       R"({app="x"} | label_format a=b, c="{{.d}}")"},
      {R"({app="x"} | drop a, b="x" | keep c)", R"({app="x"} | drop a, b="x" | keep c)"},
      {R"(count_over_time({app="x"} |= "x" [5m]))", R"(count_over_time({app="x"} |= "x" [5m]))"},
      {R"(count_over_time({app="x"}[300s] |= "x"))", R"(count_over_time({app="x"} |= "x" [5m]))"},
      {R"(rate({app="x"}[1m30s] offset 1h))", R"(rate({app="x"} [1m30s] offset 1h))"},
      {R"(bytes_rate({app="x"}[5m]))", R"(bytes_rate({app="x"} [5m]))"},
      {R"(quantile_over_time(0.99, {app="x"} | json | unwrap duration(latency) | __error__="" [5m]) by (path))",
       R"(quantile_over_time(0.99, {app="x"} | json | unwrap duration(latency) | __error__="" [5m]) by (path))"},
      {R"(sum by (x) (rate({app="x"}[5m])))", R"(sum by (x) (rate({app="x"} [5m])))"},
      {R"(sum(rate({app="x"}[5m])) by (x, y))", R"(sum by (x, y) (rate({app="x"} [5m])))"},
      {R"(sum without (x) (rate({app="x"}[5m])))", R"(sum without (x) (rate({app="x"} [5m])))"},
      {R"(topk(5, sum by (p) (count_over_time({app="x"}[1h]))))",
       R"(topk(5, sum by (p) (count_over_time({app="x"} [1h]))))"},
      {R"(sum(rate({app="x"}[5m])) * 100 > 10)", R"(sum(rate({app="x"} [5m])) * 100 > 10)"},
      {R"((1 + 2) * 3)", R"((1 + 2) * 3)"},
      {R"(1 - (2 - 3))", R"(1 - (2 - 3))"},
      {R"(2 ^ 3 ^ 2)", R"(2 ^ 3 ^ 2)"},
      {R"(-1 + 2)", R"((-1) + 2)"},
      {R"(1 > bool 2)", R"(1 > bool 2)"},
      {R"(sum(rate({app="x"}[5m])) or vector(0))", R"(sum(rate({app="x"} [5m])) or vector(0))"},
      {R"(rate({a="x"}[1m]) and rate({b="x"}[1m]) or rate({c="x"}[1m]) unless vector(1))",
       R"(rate({a="x"} [1m]) and rate({b="x"} [1m]) or rate({c="x"} [1m]) unless vector(1))"},
      {R"(rate({a="x"}[1m]) > 1 or vector(0) + 1)", R"(rate({a="x"} [1m]) > 1 or vector(0) + 1)"},
      {"# comment\n{app=\"x\"}", R"({app="x"})"},
      {R"({app="x"} | decolorize | logfmt)", R"({app="x"} | decolorize | logfmt)"},
  };
  for (const auto& c : cases) {
    auto e = Parse(c.in);
    ASSERT_TRUE(e.ok()) << c.in << ": " << e.status().ToString();
    EXPECT_EQ(ToString(*e), c.out) << c.in;
    auto again = Parse(ToString(*e));
    ASSERT_TRUE(again.ok()) << ToString(*e) << ": " << again.status().ToString();
    EXPECT_EQ(ToString(*again), c.out);
  }
}

TEST(ParseTest, InvalidQueriesNameTheProblem) {
  struct Case {
    const char* in;
    const char* error;
  };
  const Case cases[] = {
      {R"({app="x"} |= x)",
       R"(parse error at 1:14: expected a string after "|=", got identifier "x")"},
      {R"({app="x")",
       R"(parse error at 1:9: expected "," or "}" in stream selector, got end of query)"},
      {R"({app=~".*"})", "at least one regexp or equality matcher"},
      {R"({})", "at least one regexp or equality matcher"},
      {R"({app=~"("})", "parse error at 1:2: invalid regex (: missing )"},
      {R"({app="x"} |~ "(")", "parse error at 1:14: invalid regex \"(\": missing )"},
      {R"(count_over_time({app="x"}))", "count_over_time needs a range such as [5m]"},
      {R"(foo({app="x"}[5m]))", "parse error at 1:1: unknown function \"foo\""},
      {R"(sum_over_time({app="x"}[5m]))", "sum_over_time needs an unwrapped label"},
      {R"({app="x"} | unwrap x)", "unwrap is only allowed in a range aggregation"},
      {R"(count_over_time({app="x"}[5m]) by (a))", "grouping is only allowed on unwrapped"},
      {R"(topk(0, rate({app="x"}[5m])))", "a positive integer as first argument of topk"},
      {R"({app="x"} | pattern "<a><b>")", "must be separated by literal text"},
      {R"({app="x"} | pattern "abc")", "at least one named capture"},
      {R"q({app="x"} | regexp "(\\w+)")q", "no named capture group"},
      {R"({app="x"} | line_format "{{ printf .x }}")", "unsupported action"},
      {R"({app="x"} | status > "5")", "needs a number, duration or byte size"},
      {R"({app="x"} | json a="b..c")", "invalid json path"},
      {R"({app="x"} "a)", "parse error at 1:11: unterminated string"},
      {R"({app="x"} | unpack)", "not supported"},
      {R"(rate({app="x"}[5m]) + {app="x"})", "a log query cannot be used in a metric expression"},
      {R"(1 > 2)", "must use the bool modifier"},
      {R"(rate({a="x"}[1m]) or 1)", "only allowed between vectors"},
      {R"(vector(x))", "expected a number in vector(...)"},
      {R"({app="x"} $)", "parse error at 1:11: unexpected character '$'"},
      {R"(rate({app="x"}[5m]) rate)", "expected an operator or the end of the query"},
      {R"(sum(rate({app="x"}[5x])))", "malformed number, duration or byte size \"5x\""},
  };
  for (const auto& c : cases) {
    auto e = Parse(c.in);
    ASSERT_FALSE(e.ok()) << c.in;
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(e.status().message().find(c.error), std::string_view::npos)
        << c.in << "\n  got: " << e.status().message() << "\n  want: " << c.error;
  }
}

TEST(ParseTest, NestingIsBounded) {
  std::string deep(200, '(');
  deep += "1";
  deep += std::string(200, ')');
  auto e = Parse(deep);
  ASSERT_FALSE(e.ok());
  EXPECT_NE(e.status().message().find("nests too deeply"), std::string_view::npos);
  std::string ok = std::string(20, '(') + "1" + std::string(20, ')');
  EXPECT_TRUE(Parse(ok).ok());
}

// The fuzz seeds are realistic queries: every one must parse and round-trip.
TEST(ParseTest, FuzzSeedCorpusParses) {
  const char* root = std::getenv("QUARTET_SOURCE_DIR");
  if (root == nullptr) GTEST_SKIP() << "QUARTET_SOURCE_DIR not set";
  size_t n = 0;
  for (const auto& entry : std::filesystem::directory_iterator(std::filesystem::path(root) /
                                                               "fuzz/corpus/logql_fuzz")) {
    if (entry.path().filename().string().rfind("seed_", 0) != 0) continue;
    std::ifstream in(entry.path(), std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    auto e = Parse(text);
    ASSERT_TRUE(e.ok()) << entry.path() << ": " << e.status().ToString();
    auto again = Parse(ToString(*e));
    ASSERT_TRUE(again.ok()) << ToString(*e);
    EXPECT_EQ(ToString(*again), ToString(*e));
    ++n;
  }
  EXPECT_GE(n, 30u);
}

TEST(LiteralsTest, Durations) {
  EXPECT_EQ(ParseDuration("5m"), 300'000'000'000);
  EXPECT_EQ(ParseDuration("1.5s"), 1'500'000'000);
  EXPECT_EQ(ParseDuration("250ms"), 250'000'000);
  EXPECT_EQ(ParseDuration("1h30m"), 5'400'000'000'000);
  EXPECT_EQ(ParseDuration("-2us"), -2000);
  EXPECT_FALSE(ParseDuration("5"));
  EXPECT_FALSE(ParseDuration("5x"));
  EXPECT_FALSE(ParseDuration(""));
  EXPECT_EQ(FormatDuration(5'400'000'000'000), "1h30m");
  EXPECT_EQ(FormatDuration(1'500'000'000), "1s500ms");
  EXPECT_EQ(FormatDuration(0), "0s");
}

TEST(LiteralsTest, Bytes) {
  EXPECT_EQ(ParseBytes("10KB"), 10000);
  EXPECT_EQ(ParseBytes("10kib"), 10240);
  EXPECT_EQ(ParseBytes("1.5MB"), 1.5e6);
  EXPECT_EQ(ParseBytes("5B"), 5);
  EXPECT_EQ(ParseBytes("42"), 42);
  EXPECT_FALSE(ParseBytes("5XB"));
  EXPECT_FALSE(ParseBytes("KB"));
}

}  // namespace
}  // namespace quartet::logql

#include "server/query/traceql/parser.h"

#include <gtest/gtest.h>

#include "server/query/traceql/printer.h"

namespace quartet::traceql {
namespace {

// Each valid query prints canonically, and the canonical text parses back to
// an equal tree that prints the same.
TEST(TraceqlParserTest, ValidQueriesPrintCanonically) {
  struct Case {
    const char* text;
    const char* canonical;
  };
  const Case cases[] = {
      {"{}", "{ }"},
      {"{ true }", "{ }"},
      {"{ false }", "{ false }"},
      {R"({span.http.route="/checkout"})", R"({ span.http.route = "/checkout" })"},
      {R"({ resource.service.name = "checkout" && span.http.route = "/checkout" && duration > 1s && status = error })",
       R"({ resource.service.name = "checkout" && span.http.route = "/checkout" && duration > 1s && status = error })"},
      {R"({ .http.route = "/a" })", R"({ .http.route = "/a" })"},
      {R"({ span."http route" = "/a" })", R"({ span."http route" = "/a" })"},
      {R"({ span."plain" = "/a" })", R"({ span.plain = "/a" })"},
      {"{ span:name = \"GET\" }", "{ name = \"GET\" }"},
      {"{ span:status = ok }", "{ status = ok }"},
      {"{ span:kind = server }", "{ kind = server }"},
      {"{ span:duration >= 1500ms }", "{ duration >= 1500ms }"},
      {"{ kind != consumer && status != unset }", "{ kind != consumer && status != unset }"},
      {"{ statusMessage =~ \"time.*\" }", "{ statusMessage =~ \"time.*\" }"},
      {"{ traceDuration > 2s }", "{ trace:duration > 2s }"},
      {"{ rootName = \"GET /\" }", "{ trace:rootName = \"GET /\" }"},
      {"{ rootServiceName = \"web\" }", "{ trace:rootService = \"web\" }"},
      {"{ trace:rootService != \"web\" }", "{ trace:rootService != \"web\" }"},
      {"{ duration > 90s }", "{ duration > 90s }"},
      {"{ duration > 1m30s }", "{ duration > 90s }"},
      {"{ duration > 1.5s }", "{ duration > 1500ms }"},
      {"{ duration > 60000ms }", "{ duration > 1m }"},
      {"{ duration < 250\xC2\xB5s }", "{ duration < 250us }"},
      {"{ duration > 100 }", "{ duration > 100 }"},
      {"{ span.x = 1.0 }", "{ span.x = 1.0 }"},
      {"{ span.x > 2.50 }", "{ span.x > 2.5 }"},
      {"{ span.x <= -3 }", "{ span.x <= -3 }"},
      {"{ span.x = 1e21 }", "{ span.x = 1e+21 }"},
      {"{ span.ok = true }", "{ span.ok = true }"},
      {"{ span.x = nil }", "{ span.x = nil }"},
      {"{ span.x != nil }", "{ span.x != nil }"},
      {R"({ span.x = "a\"b\\c\n" })", R"({ span.x = "a\"b\\c\n" })"},
      {"{ span.x = `raw\\d` }", R"({ span.x = "raw\\d" })"},
      {"{ span.a = 1 || span.c = 2 && span.d = 3 }", "{ span.a = 1 || span.c = 2 && span.d = 3 }"},
      {"{ (span.a = 1 || span.c = 2) && span.d = 3 }",
       "{ (span.a = 1 || span.c = 2) && span.d = 3 }"},
      {"{ (span.a = 1 && span.c = 2) && (span.d = 3) }",
       "{ span.a = 1 && span.c = 2 && span.d = 3 }"},
      {"{ !(span.a = 1) }", "{ !(span.a = 1) }"},
      {"{ !(span.a = 1 || span.b = 2) && !!(span.c = 3) }",
       "{ !(span.a = 1 || span.b = 2) && !!(span.c = 3) }"},
      {"{ span.a = 1 } && { span.b = 2 }", "{ span.a = 1 } && { span.b = 2 }"},
      {"{ span.a = 1 } || { span.b = 2 } && { }", "{ span.a = 1 } || { span.b = 2 } && { }"},
      {"({ span.a = 1 } || { span.b = 2 }) && { }", "({ span.a = 1 } || { span.b = 2 }) && { }"},
      {"(({ span.a = 1 }))", "{ span.a = 1 }"},
      {"{ kind = server } >> { status = error }", "{ kind = server } >> { status = error }"},
      {"{ } > { } ~ { }", "{ } > { } ~ { }"},
      {"{ } > ({ } ~ { })", "{ } > ({ } ~ { })"},
      {"{ } << { } && { } < { }", "{ } << { } && { } < { }"},
      {"{ } !>> { } || { } !> { } || { } !~ { } || { } !<< { } || { } !< { }",
       "{ } !>> { } || { } !> { } || { } !~ { } || { } !<< { } || { } !< { }"},
      {"{ span.a =~ \"x\" } !~ { span.b !~ \"y\" }", "{ span.a =~ \"x\" } !~ { span.b !~ \"y\" }"},
      {"{ } | count() > 2", "{ } | count() > 2"},
      {"{ } | avg(duration) > 1s | max(span.http.status_code) >= 500",
       "{ } | avg(duration) > 1s | max(span.http.status_code) >= 500"},
      {"{ } | min(trace:duration) < 1.5 | sum(.bytes) != 10",
       "{ } | min(trace:duration) < 1.5 | sum(.bytes) != 10"},
      {"{ } | by(resource.service.name) | count() > 1 | select(span.a, name)",
       "{ } | by(resource.service.name) | count() > 1 | select(span.a, name)"},
      {"{ } | { status = error } | coalesce()", "{ } | { status = error } | coalesce()"},
      {"({ } | count() > 1) | count() < 5", "{ } | count() > 1 | count() < 5"},
      {"({ } | count() > 1) && { }", "({ } | count() > 1) && { }"},
      {"{ event.exception.type = \"E\" && event:name = \"exception\" && link.x = 1 }",
       "{ event.exception.type = \"E\" && event:name = \"exception\" && link.x = 1 }"},
      {"{ instrumentation:name = \"a\" && instrumentation.x = 1 }",
       "{ instrumentation:name = \"a\" && instrumentation.x = 1 }"},
      {"{\n  span.a = 1\n}", "{ span.a = 1 }"},
      {"{nestedSetParent<0 && true}", "{ nestedSetParent < 0 && true }"},
      {R"({ span:id = "ab" && span:parentID != "" && trace:id =~ "0.*" })",
       R"({ span:id = "ab" && span:parentID != "" && trace:id =~ "0.*" })"},
  };
  for (const Case& c : cases) {
    auto q = Parse(c.text);
    ASSERT_TRUE(q.ok()) << c.text << ": " << q.status().ToString();
    const std::string printed = ToString(*q);
    EXPECT_EQ(printed, c.canonical) << c.text;
    auto again = Parse(printed);
    ASSERT_TRUE(again.ok()) << printed << ": " << again.status().ToString();
    EXPECT_TRUE(*again == *q) << printed;
    EXPECT_EQ(ToString(*again), printed);
  }
}

TEST(TraceqlParserTest, InvalidQueriesGivePreciseErrors) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {"", "parse error at 1:1: empty query"},
      {"{ span.http.route = }", "parse error at 1:21: expected a value after \"=\", got \"}\""},
      {"{ span.a = 1", "parse error at 1:13: expected \"}\" to close the spanset filter"},
      {"{ span.a 1 }",
       "parse error at 1:10: expected an operator (=, !=, <, <=, >, >=, =~, !~) "
       "after \"span.a\", got \"1\""},
      {"{ foo = 1 }",
       "parse error at 1:3: unknown intrinsic \"foo\" (attributes need a scope: span.foo, "
       "resource.foo or .foo)"},
      {"{ span:foo = 1 }", "parse error at 1:3: unknown intrinsic \"span:foo\""},
      {"{ trace:nope = 1 }", "unknown intrinsic \"trace:nope\""},
      {"{ status = \"error\" }", "parse error at 1:12: status compares with error, ok or unset"},
      {"{ status > error }", "status compares only with = and !="},
      {"{ kind = 2 }", "kind compares with unspecified, internal"},
      {"{ duration > \"1s\" }", "\"duration\" compares with a duration"},
      {"{ nestedSetParent < \"x\" }", "nestedSetParent compares with a number"},
      {"{ name = 3 }", "\"name\" compares with a string, got \"3\""},
      {"{ span.a = foo }", "unknown value \"foo\" (strings need quotes: \"foo\")"},
      {"{ span.a =~ 3 }", "\"=~\" needs a string pattern"},
      {"{ duration =~ \"x\" }", "\"=~\" applies to strings"},
      {"{ span.a =~ \"(abc\" }", "parse error at 1:13: bad regex \"\"(abc\"\": missing )"},
      {"{ span.a > true }", "\">\" needs a number, duration or string"},
      {"{ span.a < nil }", "\"<\" needs a number, duration or string"},
      {"{ !span.a = 1 }", "\"!\" negates a parenthesized expression"},
      {"{ span.a = 1 } { }", "parse error at 1:16: expected \"|\", \"&&\""},
      {"{ span.a = 1 } &&", "expected a spanset \"{ ... }\" or \"(\", got end of query"},
      {"({ span.a = 1 }", "expected \")\" to close \"(\""},
      {"{ } | nope()", "unknown pipeline stage \"nope\""},
      {"{ } | count() > \"x\"", "count() compares with a number or duration"},
      {"{ } | count() =~ 3", "expected a comparison (=, !=, <, <=, >, >=) after count()"},
      {"{ } | avg(name) > 1", "avg() needs a numeric field, and name is not one"},
      {"{ } | by()", "expected a field"},
      {"{ } |", "expected a pipeline stage after \"|\""},
      {"span.a = 1", "expected a spanset \"{ ... }\" or \"(\", got \"span.a\""},
      {"{ } >= { }", "expected \"|\", \"&&\", \"||\" or a structural operator, got \">=\""},
  };
  for (const Case& c : cases) {
    auto q = Parse(c.text);
    ASSERT_FALSE(q.ok()) << c.text << " parsed as " << ToString(*q);
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(q.status().message().find(c.message), std::string_view::npos)
        << c.text << " -> " << q.status().message();
  }
}

TEST(TraceqlParserTest, NestingIsBounded) {
  auto nested = [](int n, const std::string& open, const std::string& mid,
                   const std::string& close) {
    std::string s;
    for (int k = 0; k < n; ++k) s += open;
    s += mid;
    for (int k = 0; k < n; ++k) s += close;
    return s;
  };
  EXPECT_TRUE(Parse(nested(kMaxNesting, "(", "{ }", ")")).ok());
  auto deep = Parse(nested(kMaxNesting + 1, "(", "{ }", ")"));
  ASSERT_FALSE(deep.ok());
  EXPECT_NE(deep.status().message().find("nests deeper than 64"), std::string_view::npos);
  EXPECT_FALSE(Parse("{ " + nested(10000, "(", "span.a = 1", ")") + " }").ok());
  EXPECT_FALSE(Parse("{ " + nested(10000, "!(", "span.a = 1", ")") + " }").ok());
  std::string chain = "{ }";
  for (int k = 0; k < 10000; ++k) chain += " > { }";
  EXPECT_FALSE(Parse(chain).ok());
  // Long flat conjunctions are not nesting.
  std::string flat = "{ span.a = 0";
  for (int k = 1; k < 2000; ++k) flat += " && span.a = " + std::to_string(k);
  EXPECT_TRUE(Parse(flat + " }").ok());
}

TEST(TraceqlParserTest, SelectedFields) {
  auto q = Parse("({ } | select(span.a, name)) && { } | select(name, resource.b)");
  ASSERT_TRUE(q.ok()) << q.status().ToString();
  const std::vector<FieldRef> fields = SelectedFields(*q);
  ASSERT_EQ(fields.size(), 3u);
  EXPECT_EQ(fields[0], (FieldRef{Scope::kSpan, "a", Intrinsic::kNone}));
  EXPECT_EQ(fields[1], (FieldRef{Scope::kIntrinsic, "name", Intrinsic::kName}));
  EXPECT_EQ(fields[2], (FieldRef{Scope::kResource, "b", Intrinsic::kNone}));
  EXPECT_TRUE(SelectedFields(*Parse("{ }")).empty());
}

TEST(TraceqlParserTest, RegexIsCompiledOnce) {
  auto q = Parse(R"({ span.a =~ "x.*" })");
  ASSERT_TRUE(q.ok());
  EXPECT_NE(q->root.filter.condition.regex, nullptr);
  EXPECT_EQ(q->root.filter.condition.intrinsic, Intrinsic::kNone);
}

}  // namespace
}  // namespace quartet::traceql

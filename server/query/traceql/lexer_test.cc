#include "server/query/traceql/lexer.h"

#include <gtest/gtest.h>

namespace quartet::traceql {
namespace {

TEST(TraceqlLexerTest, Durations) {
  struct Case {
    const char* text;
    int64_t nanos;
  };
  const Case cases[] = {
      {"100ns", 100},
      {"10us", 10000},
      {"10\xC2\xB5s", 10000},
      {"10\xCE\xBCs", 10000},
      {"500ms", 500000000},
      {"1s", 1000000000},
      {"1.5s", 1500000000},
      {"2m", 120000000000},
      {"1h", 3600000000000},
      {"1m30s", 90000000000},
      {"1h2m3s4ms", 3723004000000},
      {"-1s", -1000000000},
      {"0.000000001s", 1},
  };
  for (const Case& c : cases) {
    auto tokens = Lex(c.text);
    ASSERT_TRUE(tokens.ok()) << c.text << ": " << tokens.status().ToString();
    ASSERT_EQ(tokens->size(), 2u) << c.text;
    EXPECT_EQ((*tokens)[0].kind, TokenKind::kDuration) << c.text;
    EXPECT_EQ((*tokens)[0].i, c.nanos) << c.text;
  }
}

TEST(TraceqlLexerTest, NumbersAndStrings) {
  auto tokens = Lex(R"(42 -7 1.5 2e3 "a\"b\\c\n\u00e9\x41" `raw\d+`)");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 7u);
  EXPECT_EQ((*tokens)[0].kind, TokenKind::kInt);
  EXPECT_EQ((*tokens)[0].i, 42);
  EXPECT_EQ((*tokens)[1].i, -7);
  EXPECT_EQ((*tokens)[2].kind, TokenKind::kFloat);
  EXPECT_EQ((*tokens)[2].f, 1.5);
  EXPECT_EQ((*tokens)[3].kind, TokenKind::kFloat);
  EXPECT_EQ((*tokens)[3].f, 2000.0);
  EXPECT_EQ((*tokens)[4].kind, TokenKind::kString);
  EXPECT_EQ((*tokens)[4].str,
            "a\"b\\c\n\xC3\xA9"
            "A");
  EXPECT_EQ((*tokens)[5].str, "raw\\d+");
}

TEST(TraceqlLexerTest, Attributes) {
  auto tokens = Lex(R"(span.http.route resource.service.name .k8s.pod-name span."a b" event.x)");
  ASSERT_TRUE(tokens.ok()) << tokens.status().ToString();
  ASSERT_EQ(tokens->size(), 6u);
  EXPECT_EQ((*tokens)[0].scope, Scope::kSpan);
  EXPECT_EQ((*tokens)[0].str, "http.route");
  EXPECT_EQ((*tokens)[1].scope, Scope::kResource);
  EXPECT_EQ((*tokens)[1].str, "service.name");
  EXPECT_EQ((*tokens)[2].scope, Scope::kAny);
  EXPECT_EQ((*tokens)[2].str, "k8s.pod-name");
  EXPECT_EQ((*tokens)[3].str, "a b");
  EXPECT_EQ((*tokens)[4].scope, Scope::kEvent);
}

TEST(TraceqlLexerTest, ErrorsNameTheProblemAndPosition) {
  struct Case {
    const char* text;
    const char* message;
  };
  const Case cases[] = {
      {R"({ name = "abc })", "parse error at 1:10: unterminated string"},
      {"{ duration > 5x }", "parse error at 1:14: bad duration \"5x\": unknown unit"},
      {"{ duration > 5sec }", "bad duration \"5sec\""},
      {"{ duration > 1m30 }", "bad duration \"1m30\": missing unit"},
      {"{ span.x = 99999999999999999999 }", "integer out of range"},
      {"{ span.x = 1e999 }", "number out of range"},
      {R"({ span.x = "\q" })", "parse error at 1:13: unknown escape \"\\q\""},
      {R"({ span.x = "\u12" })", "expected 4 hex digits"},
      {"{ foo.bar = 1 }", "parse error at 1:3: unknown attribute scope \"foo\""},
      {"{ span. = 1 }", "expected an attribute name after \"span.\""},
      {"{ span.x = 1 } & { }", "unexpected \"&\" (did you mean \"&&\"?)"},
      {"{ span.x = 1 }\n  # { }", "parse error at 2:3: unexpected character \"#\""},
  };
  for (const Case& c : cases) {
    auto tokens = Lex(c.text);
    ASSERT_FALSE(tokens.ok()) << c.text;
    EXPECT_EQ(tokens.status().code(), StatusCode::kInvalidArgument);
    EXPECT_NE(tokens.status().message().find(c.message), std::string_view::npos)
        << c.text << " -> " << tokens.status().message();
  }
}

TEST(TraceqlLexerTest, RejectsHugeQuery) {
  std::string big(kMaxQueryBytes + 1, ' ');
  EXPECT_FALSE(Lex(big).ok());
}

}  // namespace
}  // namespace quartet::traceql

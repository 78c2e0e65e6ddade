#include "wire/json/json_parser.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>

namespace quartet::json {
namespace {

TEST(JsonParserTest, AcceptsValidDocuments) {
  // RFC 8259 grammar and JSONTestSuite "y_" style cases.
  const char* accepted[] = {
      "null",
      "true",
      "false",
      "0",
      "-0",
      "1",
      "-1",
      "0.5",
      "-0.0e+0",
      "1E5",
      "1e-5",
      "1.5E+10",
      "123456789012345678901234567890",
      "\"\"",
      "\"a\\u0000b\"",
      "[]",
      "{}",
      " [ ] ",
      "\t\r\n{}\n",
      "[1,[2,[3]]]",
      "{\"a\":{\"b\":[]}}",
      "{\"\":0}",
      "{\"a\":1,\"a\":2}",
      "[null,true,false]",
      "\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
      "\"\\uD834\\uDD1E\"",
      "\"\xF0\x9D\x84\x9E\"",
      "1e400",
      "-1e400",
      "1e-400",
      "[\"\x7f\"]",
      "\"\\u00e9\"",
  };
  for (const char* text : accepted) {
    auto r = Parse(text);
    EXPECT_TRUE(r.ok()) << text << ": " << r.status().ToString();
  }
}

TEST(JsonParserTest, RejectsInvalidDocumentsWithOffsets) {
  struct Case {
    std::string text;
    std::string error;  // substring of the message, offset included
  };
  const Case rejected[] = {
      {"", "offset 0: expected a value, got end of input"},
      {" ", "offset 1: expected a value"},
      {"nul", "offset 0: invalid literal"},
      {"True", "offset 0: expected a value, got 'T'"},
      {"[1,]", "offset 3: expected a value, got ']'"},
      {"[1 2]", "offset 3: expected ',' or ']' in array, got '2'"},
      {"{\"a\" 1}", "offset 5: expected ':' after object key"},
      {"{\"a\":1,}", "offset 7: expected '\"' to start an object key, got '}'"},
      {"{'a':1}", "offset 1: expected '\"' to start an object key"},
      {"{a:1}", "offset 1: expected '\"'"},
      {"{\"a\":1", "offset 6: expected ',' or '}' in object, got end of input"},
      {"[", "offset 1: expected a value, got end of input"},
      {"]", "offset 0: expected a value"},
      {"01", "offset 1: leading zeros"},
      {"-01", "offset 2: leading zeros"},
      {"+1", "offset 0: expected a value, got '+'"},
      {".5", "offset 0: expected a value"},
      {"1.", "offset 2: expected a digit, got end of input"},
      {"1.e5", "offset 2: expected a digit, got 'e'"},
      {"1e", "offset 2: expected a digit"},
      {"1e+", "offset 3: expected a digit"},
      {"-", "offset 1: expected a digit"},
      {"- 1", "offset 1: expected a digit"},
      {"NaN", "offset 0: expected a value"},
      {"Infinity", "offset 0: expected a value"},
      {"-Infinity", "offset 1: expected a digit"},
      {"0x10", "offset 1: expected end of input"},
      {"1 2", "offset 2: expected end of input after the top-level value, got '2'"},
      {"\"abc", "offset 4: unterminated string"},
      {"\"a\nb\"", "offset 2: control characters must be escaped in strings, got byte 0x0a"},
      {std::string("\"a\0\"", 4), "offset 2: control characters"},
      {"\"\\x41\"", "offset 2: invalid escape"},
      {"\"\\'\"", "offset 2: invalid escape"},
      {"\"\\u12\"", "expected 4 hex digits after \\u"},
      {"\"\\u12g4\"", "offset 5: expected 4 hex digits"},
      {"\"\\", "offset 2: unterminated escape"},
      {"\xEF\xBB\xBF{}", "offset 0: expected a value, got byte 0xef"},  // BOM
      {"[1]x", "offset 3: expected end of input"},
      {"{\"a\":1}}", "offset 7: expected end of input"},
      {"/* c */ 1", "offset 0: expected a value, got '/'"},
      {"[1,2,3", "offset 6: expected ',' or ']' in array, got end of input"},
      {"\x01", "offset 0: expected a value, got byte 0x01"},
  };
  for (const Case& c : rejected) {
    auto r = Parse(c.text);
    ASSERT_FALSE(r.ok()) << c.text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(r.status().message().find(c.error), std::string::npos)
        << c.text << " -> " << r.status().message() << " (wanted: " << c.error << ")";
  }
}

TEST(JsonParserTest, Limits) {
  std::string deep(129, '[');
  deep += std::string(129, ']');
  auto r = Parse(deep);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("offset 128: nesting deeper than 128"), std::string::npos)
      << r.status().message();
  EXPECT_TRUE(Parse(std::string(128, '[') + std::string(128, ']')).ok());
  EXPECT_FALSE(Parse("{\"a\":" + std::string(200, '[')).ok());

  // A far deeper document fails fast instead of overflowing the stack.
  EXPECT_FALSE(Parse(std::string(1'000'000, '[')).ok());

  auto big = Parse("[1,2,3]", {.max_bytes = 6});
  ASSERT_FALSE(big.ok());
  EXPECT_EQ(big.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(big.status().message(), "json: document is 7 bytes, limit is 6");
}

TEST(JsonParserTest, Numbers) {
  struct Case {
    const char* text;
    double d;
    bool has_int;
    int64_t i;
  };
  const Case cases[] = {
      {"0", 0, true, 0},
      {"-0", 0, true, 0},
      {"42", 42, true, 42},
      {"-9223372036854775808", -9223372036854775808.0, true, INT64_MIN},
      {"9223372036854775807", 9223372036854775807.0, true, INT64_MAX},
      {"9223372036854775808", 9223372036854775808.0, false, 0},  // beyond int64
      {"1.0", 1, false, 0},
      {"1e2", 100, false, 0},
      {"0.1", 0.1, false, 0},
      {"1e400", HUGE_VAL, false, 0},
      {"-1e400", -HUGE_VAL, false, 0},
      {"1e-400", 0, false, 0},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.text);
    ASSERT_TRUE(r.ok()) << c.text;
    ASSERT_TRUE(r->is_number());
    EXPECT_EQ(r->double_value(), c.d) << c.text;
    EXPECT_EQ(r->int_value().has_value(), c.has_int) << c.text;
    if (c.has_int) {
      EXPECT_EQ(*r->int_value(), c.i) << c.text;
    }
    EXPECT_EQ(r->number_text(), c.text);
    EXPECT_EQ(Serialize(*r), c.text);  // the source text survives
  }
}

TEST(JsonParserTest, Strings) {
  struct Case {
    std::string text;
    std::string value;
  };
  const Case cases[] = {
      {"\"\\u00e9\"", "\xC3\xA9"},
      {"\"\\u20AC\"", "\xE2\x82\xAC"},
      {"\"\\uD83D\\uDE00\"", "\xF0\x9F\x98\x80"},  // surrogate pair
      {"\"\\uD83D\"", "\xEF\xBF\xBD"},             // lone high surrogate
      {"\"\\uDE00\"", "\xEF\xBF\xBD"},             // lone low surrogate
      {"\"\\uD83Dx\"",
       "\xEF\xBF\xBD"
       "x"},
      {"\"\\uD83D\\u0041\"",
       "\xEF\xBF\xBD"
       "A"},  // the second escape stands alone
      {"\"\\uD83D\\uD83D\\uDE00\"", "\xEF\xBF\xBD\xF0\x9F\x98\x80"},
      {"\"\\u0000\"", std::string(1, '\0')},
      {"\"a\xFF"
       "b\"",
       "a\xEF\xBF\xBD"
       "b"},  // invalid UTF-8 replaced
      {"\"\xED\xA0\x80\"", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"\"\xC3\xA9\"", "\xC3\xA9"},
  };
  for (const Case& c : cases) {
    auto r = Parse(c.text);
    ASSERT_TRUE(r.ok()) << c.text << ": " << r.status().ToString();
    EXPECT_EQ(r->string_value(), c.value) << c.text;
  }
  auto strict = Parse("\"a\xFF\"", {.reject_invalid_utf8 = true});
  ASSERT_FALSE(strict.ok());
  EXPECT_NE(strict.status().message().find("offset 2: invalid UTF-8"), std::string::npos);
}

TEST(JsonParserTest, ObjectsKeepOrderAndDuplicates) {
  auto r = Parse(R"({"b":1,"a":[true,null,"x"],"b":2})");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ(r->members().size(), 3u);
  EXPECT_EQ(r->members()[0].key, "b");
  EXPECT_EQ(r->members()[1].key, "a");
  EXPECT_EQ(*r->Find("b")->int_value(), 2);  // the last duplicate wins
  EXPECT_EQ(r->Find("a")->items().size(), 3u);
  EXPECT_EQ(r->Find("missing"), nullptr);
  EXPECT_EQ(Serialize(*r), R"({"b":1,"a":[true,null,"x"],"b":2})");
}

TEST(JsonParserTest, RoundTrips) {
  const char* docs[] = {
      R"({"resourceLogs":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"checkout"}}]},"scopeLogs":[{"logRecords":[{"timeUnixNano":"1700000000000000000","severityNumber":9,"body":{"stringValue":"hi \"there\"\n"},"traceId":"5b8efff798038103d269b633813fc60c"}]}]}]})",
      R"({"streams":[{"stream":{"app":"x","n":1},"values":[["1700000000000000000","line",{"k":"v"}]]}]})",
      R"([0.1,-2.5e-3,1E+2,"\u0001\u001f",{},[],"\ud83d\ude00"])",
  };
  for (const char* doc : docs) {
    auto first = Parse(doc);
    ASSERT_TRUE(first.ok()) << first.status().ToString();
    const std::string text = Serialize(*first);
    auto second = Parse(text);
    ASSERT_TRUE(second.ok()) << text;
    EXPECT_EQ(*first, *second);
    EXPECT_EQ(Serialize(*second), text);
  }
  // Values built in code serialize to parseable JSON.
  Value v = Value::Object({{"i", Value::Int(-7)},
                           {"d", Value::Double(0.25)},
                           {"s", Value::String("a\"b")},
                           {"n", Value::Null()},
                           {"a", Value::Array({Value::Bool(true)})}});
  EXPECT_EQ(Serialize(v), R"({"i":-7,"d":0.25,"s":"a\"b","n":null,"a":[true]})");
  auto back = Parse(Serialize(v));
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(*back->Find("i")->int_value(), -7);
  EXPECT_EQ(back->Find("d")->double_value(), 0.25);
}

}  // namespace
}  // namespace quartet::json

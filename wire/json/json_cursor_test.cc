#include "wire/json/json_cursor.h"

#include <gtest/gtest.h>

#include <string>

namespace quartet::json {
namespace {

// Strings: a view into the text when nothing needs decoding, the decoded
// bytes (in the scratch) otherwise.
TEST(JsonCursorTest, StringsAreViewsUnlessDecoded) {
  struct Case {
    std::string text;
    std::string want;
    bool in_place;
  };
  const Case cases[] = {
      {R"("plain")", "plain", true},
      {R"("")", "", true},
      {"\"caf\xc3\xa9 \xe2\x82\xac\"", "caf\xc3\xa9 \xe2\x82\xac", true},  // well-formed UTF-8
      {R"("a\"b\\c\/d\b\f\n\r\t")", "a\"b\\c/d\b\f\n\r\t", false},
      {R"("\u0041\u00e9\u20ac\ud83d\ude00")", "A\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80", false},
      {R"("\ud800\u0041")",
       "\xef\xbf\xbd"
       "A",
       false},                                     // lone high surrogate
      {R"("\udc00")", "\xef\xbf\xbd", false},      // lone low surrogate
      {"\"x\xff y\"", "x\xef\xbf\xbd y", false},   // ill-formed UTF-8 repaired
      {"\"\xef\xbf\xbd\"", "\xef\xbf\xbd", true},  // a literal U+FFFD is kept
      {"\"" + std::string(1000, 'z') + "\\n\"", std::string(1000, 'z') + "\n", false},
  };
  for (const Case& c : cases) {
    JsonCursor json(c.text);
    JsonScratch scratch;
    std::string_view got;
    ASSERT_TRUE(json.String(&got, &scratch)) << c.text << ": " << json.error().ToString();
    EXPECT_EQ(got, c.want) << c.text;
    const bool in_text = got.data() >= c.text.data() && got.data() <= c.text.data() + c.text.size();
    EXPECT_EQ(in_text, c.in_place) << c.text;
    EXPECT_TRUE(json.AtEnd()) << c.text;
  }
}

// Syntax errors read as json::Parse's do, at the same offsets.
TEST(JsonCursorTest, SyntaxErrorsNameOffsetAndByte) {
  struct Case {
    std::string_view text;
    std::string_view want;
    StatusCode code = StatusCode::kInvalidArgument;
  };
  const Case cases[] = {
      {"", "json: offset 0: expected a value, got end of input"},
      {"[1,]", "json: offset 3: expected a value, got ']'"},
      {"[01]", "json: offset 2: leading zeros are not allowed, got '1'"},
      {"[1.]", "json: offset 3: expected a digit, got ']'"},
      {"{\"a\" 1}", "json: offset 5: expected ':' after object key, got '1'"},
      {"{\"a\":1 \"b\"}", "json: offset 7: expected ',' or '}' in object, got '\"'"},
      {"[\"a\x01\"]",
       "json: offset 3: control characters must be escaped in strings, got byte 0x01"},
      {R"(["\x"])",
       "json: offset 3: invalid escape (expected one of \" \\ / b f n r t u), got 'x'"},
      {R"(["\u12G4"])", "json: offset 6: expected 4 hex digits after \\u, got 'G'"},
      {"[\"abc", "json: offset 5: unterminated string, got end of input"},
      {"[nul]", "json: offset 1: invalid literal (expected true, false or null), got 'n'"},
      {"[[[[", "json: offset 4: expected a value, got end of input"},
  };
  for (const Case& c : cases) {
    JsonCursor json(c.text);
    EXPECT_FALSE(json.SkipValue(1)) << c.text;
    EXPECT_EQ(json.error().code(), c.code) << c.text;
    EXPECT_EQ(json.error().message(), c.want) << c.text;
  }
  const std::string deep = std::string(129, '[') + std::string(129, ']');
  JsonCursor json(deep);
  EXPECT_FALSE(json.SkipValue(1));
  EXPECT_EQ(json.error().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(json.error().message(), "json: offset 128: nesting deeper than 128");
  const std::string ok = std::string(128, '[') + std::string(128, ']');
  JsonCursor fine(ok);
  EXPECT_TRUE(fine.SkipValue(1)) << fine.error().ToString();
}

}  // namespace
}  // namespace quartet::json

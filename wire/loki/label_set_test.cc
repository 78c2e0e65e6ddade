#include "wire/loki/label_set.h"

#include <gtest/gtest.h>

#include <random>

namespace quartet::loki {
namespace {

TEST(LabelSetTest, ParsesValidSets) {
  struct Case {
    std::string_view text;
    Labels want;
  };
  const Case cases[] = {
      {"{}", {}},
      {"  { }  ", {}},
      {R"({a="b"})", {{"a", "b"}}},
      {R"({level="info",app="winston-app"})", {{"app", "winston-app"}, {"level", "info"}}},
      {R"({ b = "2" , a = "1" , })", {{"a", "1"}, {"b", "2"}}},
      {R"({_x1="", Y_="v"})", {{"Y_", "v"}, {"_x1", ""}}},
      {R"({a="q\"uote\\ \n\t\r\a\b\f\v"})", {{"a", "q\"uote\\ \n\t\r\a\b\f\v"}}},
      {R"({a="\x41\101\u00e9\U0001F600"})", {{"a", "AA\xc3\xa9\xf0\x9f\x98\x80"}}},
      {R"({a='it\'s "ok"'})", {{"a", "it's \"ok\""}}},
      {"{a=`raw \\n \"x\"`}", {{"a", "raw \\n \"x\""}}},
      {"{a=\"caf\xc3\xa9\"}", {{"a", "caf\xc3\xa9"}}},
  };
  for (const Case& c : cases) {
    Result<Labels> got = ParseLabelSet(c.text);
    ASSERT_TRUE(got.ok()) << c.text << ": " << got.status().ToString();
    EXPECT_EQ(*got, c.want) << c.text;
  }
}

TEST(LabelSetTest, RejectsWithPreciseErrors) {
  struct Case {
    std::string_view text;
    std::string_view want;  // substring of the message
  };
  const Case cases[] = {
      {"", "offset 0: expected '{', got end of input"},
      {R"(a="b")", "offset 0: expected '{', got 'a'"},
      {R"({a="b")", "offset 6: expected ',' or '}', got end of input"},
      {R"({a="b"} x)", "offset 8: unexpected text after '}'"},
      {R"({1a="b"})", "offset 1: expected a label name, got '1'"},
      {R"({a-b="c"})", "expected '=' after label name a"},
      {R"({a!="b"})", "matcher a!= is not allowed"},
      {R"({a=~"b"})", "matcher a=~ is not allowed"},
      {R"({a!~"b"})", "matcher a!~ is not allowed"},
      {R"({a=b})", "offset 3: expected a quoted label value, got 'b'"},
      {R"({a="b)", "offset 3: unterminated label value"},
      {R"({a="\q"})", "offset 4: unknown escape sequence"},
      {R"({a="\'"})", "unknown escape sequence"},  // \' only inside '...'
      {R"({a='\"'})", "unknown escape sequence"},
      {R"({a="\x4"})", "invalid \\x escape"},
      {R"({a="\xzz"})", "invalid \\x escape"},
      {R"({a="\400"})", "octal escape value over 255"},
      {R"({a="\uD800"})", "invalid code point"},
      {R"({a="\U00110000"})", "invalid code point"},
      {R"({a="\xff"})", "offset 3: label value is not valid UTF-8"},
      {"{a=\"\xc3\x28\"}", "not valid UTF-8"},
      {"{a=\"line\nbreak\"}", "newline in quoted label value"},
      {R"({a="1", b="2", a="3"})", "duplicate label name a"},
      {R"({a="1",,})", "expected a label name, got ','"},
  };
  for (const Case& c : cases) {
    Result<Labels> got = ParseLabelSet(c.text);
    ASSERT_FALSE(got.ok()) << c.text;
    EXPECT_EQ(got.status().code(), StatusCode::kInvalidArgument) << c.text;
    EXPECT_NE(got.status().message().find(c.want), std::string_view::npos)
        << c.text << " -> " << got.status().ToString();
  }
}

TEST(LabelSetTest, FormatsCanonically) {
  EXPECT_EQ(FormatLabelSet({}), "{}");
  EXPECT_EQ(FormatLabelSet({{"a", "b"}, {"c", "d"}}), R"({a="b", c="d"})");
  EXPECT_EQ(FormatLabelSet({{"a", "q\"\\\n\t\r\x01\x7f\xc3\xa9\xff"}}), R"({a="q\"\\\n\t\r\x01\x7f)"
                                                                        "\xc3\xa9"
                                                                        R"(\xff"})");
}

TEST(LabelSetTest, FormatThenParseRoundTripsRandomValidLabels) {
  std::mt19937 rng(42);
  const std::string alphabet = std::string("abcXYZ _-=,{}\"'`\\\n\t\x01\x7f") + "\xc3\xa9";
  for (int iter = 0; iter < 500; ++iter) {
    Labels labels;
    int n = static_cast<int>(rng() % 5);
    for (int i = 0; i < n; ++i) {
      std::string value;
      int len = static_cast<int>(rng() % 12);
      for (int k = 0; k < len; ++k) {
        size_t pick = rng() % (alphabet.size() - 1);
        if (alphabet[pick] == '\xc3') {
          value += "\xc3\xa9";
        } else if (alphabet[pick] != '\xa9') {
          value += alphabet[pick];
        }
      }
      labels.emplace_back("l" + std::to_string(i), value);
    }
    Result<Labels> back = ParseLabelSet(FormatLabelSet(labels));
    ASSERT_TRUE(back.ok()) << FormatLabelSet(labels) << ": " << back.status().ToString();
    EXPECT_EQ(*back, labels);
  }
}

TEST(LabelSetTest, LabelNameRules) {
  for (std::string_view ok : {"a", "_", "__name__", "A9_z", "service_name"}) {
    EXPECT_TRUE(IsValidLabelName(ok)) << ok;
  }
  for (std::string_view bad : {"", "9a", "a-b", "a.b", "é", "a b"}) {
    EXPECT_FALSE(IsValidLabelName(bad)) << bad;
  }
}

}  // namespace
}  // namespace quartet::loki

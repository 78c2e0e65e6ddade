#include "wire/json/json_writer.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <string>

#include "wire/json/json_parser.h"

namespace quartet::json {
namespace {

std::string Quoted(std::string_view s) {
  std::string out;
  AppendString(&out, s);
  return out;
}

TEST(JsonWriterTest, EscapesEveryControlCharacter) {
  const char* kShort[32] = {};
  kShort['\b'] = "\\b";
  kShort['\f'] = "\\f";
  kShort['\n'] = "\\n";
  kShort['\r'] = "\\r";
  kShort['\t'] = "\\t";
  for (int c = 0; c < 0x20; ++c) {
    char expected[16];
    if (kShort[c] != nullptr) {
      snprintf(expected, sizeof expected, "\"%s\"", kShort[c]);
    } else {
      snprintf(expected, sizeof expected, "\"\\u%04x\"", c);
    }
    EXPECT_EQ(Quoted(std::string(1, static_cast<char>(c))), expected) << "byte " << c;
  }
}

TEST(JsonWriterTest, EscapeTable) {
  struct Case {
    std::string in;
    std::string out;  // without quotes
  };
  const Case cases[] = {
      {"", ""},
      {"plain ascii text, long enough for the 8-byte path",
       "plain ascii text, long enough for the 8-byte path"},
      {"say \"hi\"", "say \\\"hi\\\""},
      {"back\\slash", "back\\\\slash"},
      {"/", "/"},
      {"\x7f", "\x7f"},
      {std::string("nul\0byte", 8), "nul\\u0000byte"},
      {"multi\nline\r\n", "multi\\nline\\r\\n"},
      // Valid UTF-8 of every length passes through.
      {"caf\xC3\xA9", "caf\xC3\xA9"},
      {"\xE2\x82\xAC euro", "\xE2\x82\xAC euro"},
      {"\xF0\x9F\x98\x80 emoji", "\xF0\x9F\x98\x80 emoji"},
      {"\xF4\x8F\xBF\xBF", "\xF4\x8F\xBF\xBF"},  // U+10FFFF
      {"\xEF\xBF\xBD", "\xEF\xBF\xBD"},          // a real U+FFFD
      {"\xEE\x80\x80", "\xEE\x80\x80"},          // U+E000, just past the surrogates
      // Ill-formed UTF-8 becomes U+FFFD, one per maximal subpart.
      {"\x80", "\xEF\xBF\xBD"},  // stray continuation
      {"a\xBF"
       "b",
       "a\xEF\xBF\xBD"
       "b"},
      {"\xC0\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD"},  // overlong '/'
      {"\xC1\xBF", "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"\xE0\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // overlong 3-byte
      {"\xF0\x80\x80\xAF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"\xED\xA0\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // surrogate D800 in UTF-8
      {"\xED\xBF\xBF", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // surrogate DFFF
      {"\xF4\x90\x80\x80", "\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD\xEF\xBF\xBD"},  // > U+10FFFF
      {"\xF5\x80", "\xEF\xBF\xBD\xEF\xBF\xBD"},
      {"\xFF", "\xEF\xBF\xBD"},
      {"\xE2\x82", "\xEF\xBF\xBD"},  // truncated 3-byte: one U+FFFD
      {"\xE2\x82"
       "x",
       "\xEF\xBF\xBD"
       "x"},
      {"\xF0\x9F\x98", "\xEF\xBF\xBD"},  // truncated 4-byte
      {"\xC3", "\xEF\xBF\xBD"},
      {"\xC3\"", "\xEF\xBF\xBD\\\""},  // the quote is not swallowed
  };
  for (const Case& c : cases) {
    std::string out;
    AppendEscaped(&out, c.in);
    EXPECT_EQ(out, c.out) << "input bytes: " << c.in;
  }
}

TEST(JsonWriterTest, AnyByteStringParsesBackAsValidJson) {
  // Every 1- and 2-byte string, and a deterministic sweep of longer ones.
  std::string s;
  for (int a = 0; a < 256; ++a) {
    for (int b = -1; b < 256; ++b) {
      s.assign(1, static_cast<char>(a));
      if (b >= 0) s.push_back(static_cast<char>(b));
      auto parsed = Parse(Quoted(s), {.reject_invalid_utf8 = true});
      ASSERT_TRUE(parsed.ok()) << a << "," << b << ": " << parsed.status().ToString();
      if (s.size() == 1 && a < 0x80) {
        EXPECT_EQ(parsed->string_value(), s);
      }
    }
  }
  uint32_t x = 12345;
  for (int i = 0; i < 20000; ++i) {
    s.clear();
    for (int j = 0; j < 12; ++j) {
      x = x * 1103515245 + 12345;
      s.push_back(static_cast<char>(x >> 16));
    }
    auto parsed = Parse(Quoted(s), {.reject_invalid_utf8 = true});
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    // Escaping is idempotent on its own output's decoded form.
    EXPECT_EQ(Quoted(parsed->string_value()), Quoted(s));
  }
}

TEST(JsonWriterTest, Numbers) {
  auto num = [](auto f) {
    std::string out;
    f(&out);
    return out;
  };
  EXPECT_EQ(num([](std::string* o) { AppendInt(o, 0); }), "0");
  EXPECT_EQ(num([](std::string* o) { AppendInt(o, -42); }), "-42");
  EXPECT_EQ(num([](std::string* o) { AppendInt(o, std::numeric_limits<int64_t>::min()); }),
            "-9223372036854775808");
  EXPECT_EQ(num([](std::string* o) { AppendUint(o, std::numeric_limits<uint64_t>::max()); }),
            "18446744073709551615");
  struct Case {
    double in;
    const char* out;
  };
  const Case doubles[] = {
      {0.0, "0"},
      {-0.0, "-0"},
      {1.5, "1.5"},
      {0.1, "0.1"},
      {1e21, "1e+21"},
      {1e-7, "1e-07"},
      {123456789.125, "123456789.125"},
      {std::numeric_limits<double>::quiet_NaN(), "\"NaN\""},
      {std::numeric_limits<double>::infinity(), "\"Infinity\""},
      {-std::numeric_limits<double>::infinity(), "\"-Infinity\""},
  };
  for (const Case& c : doubles) {
    EXPECT_EQ(num([&](std::string* o) { AppendDouble(o, c.in); }), c.out);
  }
  // Shortest round trip: parsing the text gives the same bits.
  for (double d : {0.1 + 0.2, 1.0 / 3, 5e-324, 1.7976931348623157e308, -2.5e-300}) {
    std::string out;
    AppendDouble(&out, d);
    auto parsed = Parse(out);
    ASSERT_TRUE(parsed.ok()) << out;
    EXPECT_EQ(parsed->double_value(), d) << out;
  }
}

}  // namespace
}  // namespace quartet::json

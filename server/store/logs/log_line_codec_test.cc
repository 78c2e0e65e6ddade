#include "server/store/logs/log_line_codec.h"

#include <gtest/gtest.h>

#include <random>

#include "server/store/block/varint.h"

namespace quartet::store {
namespace {

constexpr int64_t kTs = 1'795'479'939'694'123'456;  // 2026-11-25T...

LineRow Row() {
  LineRow row;
  row.timestamp_ns = kTs;
  for (int i = 0; i < 16; ++i) row.trace_id.bytes[i] = static_cast<uint8_t>(0x10 + i * 7);
  for (int i = 0; i < 8; ++i) row.span_id.bytes[i] = static_cast<uint8_t>(0xa0 + i * 3);
  return row;
}

std::string Time(int digits) {
  std::string s;
  EXPECT_TRUE(RenderRfc3339(kTs, digits, &s));
  return s;
}

// Version 1 without numbers, version 2 with.
struct Coded {
  std::string text, side, numbers;
  bool v2 = false;
};
Coded Encode(std::string_view line, const LineRow& row, bool v2 = false) {
  Coded c;
  c.v2 = v2;
  EncodeLogLine(line, row, &c.text, &c.side, v2 ? &c.numbers : nullptr);
  return c;
}
std::string Decode(const Coded& c, const LineRow& row) {
  std::string out;
  std::string_view side = c.side, numbers = c.numbers;
  Status s = DecodeLogLine(c.text, row, &side, &out, c.v2 ? &numbers : nullptr);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(side.empty());
  EXPECT_TRUE(numbers.empty());
  return out;
}
// The number stream of `values` (value, leading zeros).
std::string Numbers(std::initializer_list<std::pair<uint64_t, uint64_t>> values) {
  std::string out;
  for (const auto& [v, zeros] : values) {
    uint64_t x = v << 1 | (zeros != 0);
    while (x >= 0x80) {
      out.push_back(static_cast<char>(x | 0x80));
      x >>= 7;
    }
    out.push_back(static_cast<char>(x));
    if (zeros != 0) out.push_back(static_cast<char>(zeros));
  }
  return out;
}

TEST(LogLineCodecTest, RendersRfc3339InUtc) {
  std::string s;
  ASSERT_TRUE(RenderRfc3339(0, 9, &s));
  EXPECT_EQ(s, "1970-01-01T00:00:00.000000000Z");
  ASSERT_TRUE(RenderRfc3339(1'709'251'199'999'999'999, 3, &s));  // leap day's last ms
  EXPECT_EQ(s, "2024-02-29T23:59:59.999Z");
  ASSERT_TRUE(RenderRfc3339(-1, 6, &s));
  EXPECT_EQ(s, "1969-12-31T23:59:59.999999Z");
  ASSERT_TRUE(RenderRfc3339(INT64_MIN, 9, &s));
  EXPECT_EQ(s, "1677-09-21T00:12:43.145224192Z");
  ASSERT_TRUE(RenderRfc3339(INT64_MAX, 9, &s));
  EXPECT_EQ(s, "2262-04-11T23:47:16.854775807Z");
}

// Each row: a line and what it must encode to (with the row of Row()).
TEST(LogLineCodecTest, EncodesRegionsAndEscapes) {
  const LineRow row = Row();
  const std::string trace = row.trace_id.ToHex(), span = row.span_id.ToHex();
  const struct {
    std::string line;
    std::string text;
    size_t side_bytes;
  } kCases[] = {
      {"", "", 0},
      {"plain text", "plain text", 0},
      {"\"trace_id\":\"" + trace + "\"", "\"trace_id\":\"\x01\"", 0},
      {"trace_id=" + trace + " span_id=" + span, "trace_id=\x01 span_id=\x02", 0},
      {trace + trace, "\x06", 1 + 32},        // one 64-digit run: packed as such
      {trace + "," + trace, "\x01,\x01", 0},  // the id twice
      {"x" + trace, "x" + trace, 0},          // no boundary before
      {trace + "g", trace + "g", 0},          // no boundary after
      {std::string(trace.substr(0, 31)), trace.substr(0, 31), 0},  // partial (odd run)
      {"\"time\":\"" + Time(9) + "\"", std::string("\"time\":\"\x03\""), 0},
      {"at " + Time(6) + " ok", "at \x04 ok", 0},
      {"[" + Time(3) + "]", "[\x05]", 0},
      {Time(9) + "x", Time(9) + "x", 0},  // 'Z' followed by a letter
      {"\"time\":1795479939694,", "\"time\":\x07,", 0},
      {"\"time\":1795479939695,", "\"time\":1795479939695,", 0},
      {"req=0123456789abcdef0123", std::string("req=\x06", 5), 1 + 10},
      {std::string("\x00\x01\x07\x08", 4), std::string("\x00\x00\x00\x01\x00\x07\x08", 7), 0},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.line);
    Coded coded = Encode(c.line, row);
    EXPECT_EQ(coded.text, c.text);
    EXPECT_EQ(coded.side.size(), c.side_bytes);
    EXPECT_EQ(Decode(coded, row), c.line);
  }
}

// Version 2: digit words become kLineNumber with their value in the number
// stream; other regions as in version 1; 0x08 is escaped.
TEST(LogLineCodecTest, Version2EncodesNumbers) {
  const LineRow row = Row();
  const std::string trace = row.trace_id.ToHex();
  const struct {
    std::string line;
    std::string text;
    std::string numbers;
  } kCases[] = {
      {"\"status\":500,", "\"status\":\x08,", Numbers({{500, 0}})},
      {"u-12345\"", "u-\x08\"", Numbers({{12345, 0}})},
      {"10.0.7.255", "\x08.\x08.\x08.\x08", Numbers({{10, 0}, {0, 0}, {7, 0}, {255, 0}})},
      {"0.012 007 00", "\x08.\x08 \x08 \x08", Numbers({{0, 0}, {12, 1}, {7, 2}, {0, 1}})},
      {"v2 2x x2 a1b", "v2 2x x2 a1b", ""},  // digits inside words stay
      {"n=12345678901234567", "n=\x08", Numbers({{12345678901234567, 0}})},
      {"n=123456789012345678", std::string("n=\x06", 3), ""},    // an even hex run first
      {"n=1234567890123456789", "n=1234567890123456789", ""},    // 19 digits: text
      {"n=12345678901234567890", std::string("n=\x06", 3), ""},  // 20: an even hex run
      {"\"time\":1795479939694,", "\"time\":\x07,", ""},         // the row's time first
      {"trace " + trace + " 42", "trace \x01 \x08", Numbers({{42, 0}})},
      {std::string("\x08\x09", 2), std::string("\x00\x08\x09", 3), ""},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.line);
    Coded coded = Encode(c.line, row, /*v2=*/true);
    EXPECT_EQ(coded.text, c.text);
    EXPECT_EQ(coded.numbers, c.numbers);
    EXPECT_EQ(Decode(coded, row), c.line);
  }
  // Version 1 keeps the digits and the 0x08 byte as they are.
  EXPECT_EQ(Encode("\"status\":500\x08", row).text, "\"status\":500\x08");
}

TEST(LogLineCodecTest, UppercaseAndOtherRowsIdsStayText) {
  const LineRow row = Row();
  std::string upper = row.trace_id.ToHex();
  for (char& ch : upper) ch = static_cast<char>(toupper(ch));
  EXPECT_EQ(Encode("id=" + upper, row).text, "id=" + upper);
  LineRow other = row;
  other.trace_id = TraceId{};  // no trace: its hex is just a hex run
  Coded c = Encode("id=" + row.trace_id.ToHex(), other);
  EXPECT_EQ(c.text, std::string("id=\x06", 4));
  EXPECT_EQ(Decode(c, other), "id=" + row.trace_id.ToHex());
}

TEST(LogLineCodecTest, RoundTripsRandomAdversarialLines) {
  const LineRow row = Row();
  const std::string pieces[] = {row.trace_id.ToHex(),
                                row.span_id.ToHex(),
                                Time(9),
                                Time(6),
                                Time(3),
                                "1795479939694",
                                "0123456789abcdef",
                                "deadbeef",
                                std::string(1, '\0'),
                                "\x01",
                                "\x07",
                                "\xff",
                                "\"",
                                "=",
                                " ",
                                "a",
                                "Z",
                                "-",
                                ":",
                                "7",
                                "T",
                                "0",
                                "007",
                                "500",
                                "123456789012345678",
                                ".",
                                "\x08"};
  std::mt19937 rng(3);
  for (int i = 0; i < 40000; ++i) {
    const bool v2 = i % 2 == 1;
    std::string line;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) line += pieces[rng() % std::size(pieces)];
    LineRow r = row;
    if (rng() % 4 == 0) r.trace_id = TraceId{};
    if (rng() % 4 == 0) r.span_id = SpanId{};
    Coded coded = Encode(line, r, v2);
    ASSERT_EQ(Decode(coded, r), line) << i;
    std::string_view side = coded.side, numbers = coded.numbers;
    ASSERT_TRUE(SkipLogLine(coded.text, &side, v2 ? &numbers : nullptr).ok());
    EXPECT_TRUE(side.empty());
    EXPECT_TRUE(numbers.empty());
  }
}

// A needle the codec says is searchable in encoded text is found there
// exactly when it is found in the decoded line.
TEST(LogLineCodecTest, SafeNeedlesMatchEncodedTextExactly) {
  const LineRow row = Row();
  const std::string pieces[] = {row.trace_id.ToHex(),
                                row.span_id.ToHex(),
                                Time(9),
                                Time(3),
                                "1795479939694",
                                "0123456789abcdef",
                                "\"",
                                ":",
                                "=",
                                " ",
                                "5",
                                "00",
                                "error",
                                "status",
                                "-",
                                "T",
                                "Z",
                                "ab",
                                "\x01",
                                "42",
                                "\x08",
                                "0.5"};
  std::mt19937 rng(4);
  int safe = 0, safe_v2 = 0;
  for (int i = 0; i < 40000; ++i) {
    const bool v2 = i % 2 == 1;
    std::string line, needle_source;
    for (int k = 0; k < 8; ++k) line += pieces[rng() % std::size(pieces)];
    // Needles: substrings of the line (often matching) and of other lines.
    for (int k = 0; k < 8; ++k) needle_source += pieces[rng() % std::size(pieces)];
    const std::string& src = rng() % 2 ? line : needle_source;
    const size_t at = rng() % (src.size() + 1);
    const std::string needle = src.substr(at, rng() % 24);
    if (!NeedleMatchesEncodedExactly(needle, v2)) continue;
    ++(v2 ? safe_v2 : safe);
    const Coded coded = Encode(line, row, v2);
    EXPECT_EQ(coded.text.find(needle) != std::string::npos, line.find(needle) != std::string::npos)
        << "line " << line << " needle " << needle;
  }
  EXPECT_GT(safe, 2000);
  EXPECT_GT(safe_v2, 1000);
}

TEST(LogLineCodecTest, ClassifiesNeedles) {
  const struct {
    const char* needle;
    bool safe;
  } kCases[] = {
      {"error", true},           {"request completed", true},
      {"u-12345\"", true},       {"\"WARN\"", true},
      {"\"status\":500", false}, {"500", false},
      {"deadbeef rows", false},  {"12:30", false},
      {"level=error", true},     {"", true},
      {"\x01", false},           {"id=0123456789abcdef0", false},
      {"GET /api/cart", true},   {"ab", false},
  };
  for (const auto& c : kCases) {
    EXPECT_EQ(NeedleMatchesEncodedExactly(c.needle), c.safe) << c.needle;
  }
  // Version 2: a needle that may touch a number region decodes first.
  const struct {
    const char* needle;
    bool safe;
  } kV2Cases[] = {
      {"error", true},
      {"\"WARN\"", true},
      {"level=error", true},
      {"u-12345\"", false},
      {"\"user_id\":1234,", false},
      {"HTTP/1.1 ", false},
      {"v2", true},
      {"x1b y", true},
      {"x 7", false},
      {"7 x", false},
      {"\x08", false},
      {"GET /api/cart", true},
  };
  for (const auto& c : kV2Cases) {
    EXPECT_EQ(NeedleMatchesEncodedExactly(c.needle, true), c.safe) << c.needle;
  }
}

std::vector<std::string> Units(std::initializer_list<std::pair<uint64_t, uint64_t>> values) {
  std::vector<std::string> out;
  for (const auto& v : values) out.push_back(Numbers({v}));
  return out;
}

TEST(LogLineCodecTest, FindsTheWholeNumbersOfNeedles) {
  const struct {
    const char* needle;
    std::vector<std::string> units;
  } kCases[] = {
      {"u-12345\"", Units({{12345, 0}})},
      {"\"user_id\":1234,", Units({{1234, 0}})},
      {"\"status\":500", {}},  // the word may go on
      {"500,", {}},            // ... or begin earlier
      {"\"2024-", {}},         // may be in a time
      {"=12:", {}},            // ... or a time
      {"=12.5 ", Units({{5, 0}})},
      {"= 007 ,", Units({{7, 2}})},
      {"=1234567890123 ", {}},                   // 13 digits: maybe epoch millis
      {"a=1 b=22 c", Units({{1, 0}, {22, 0}})},  // not "c": may go on
  };
  for (const auto& c : kCases) EXPECT_EQ(NumbersInNeedle(c.needle), c.units) << c.needle;
}

// Every line holding a needle holds the needle's numbers as whole entries
// of its number stream.
TEST(LogLineCodecTest, LinesWithANeedleHoldItsNumbers) {
  const LineRow row = Row();
  const std::string pieces[] = {"\"", "=", " ", ",", "-", ":", "12", "0", "7", "x", "Z", "."};
  std::mt19937 rng(6);
  int checked = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    for (int k = 0; k < 10; ++k) line += pieces[rng() % std::size(pieces)];
    const size_t at = rng() % line.size();
    const std::string needle = line.substr(at, 2 + rng() % 8);
    const Coded coded = Encode(line, row, true);
    for (const std::string& unit : NumbersInNeedle(needle)) {
      ++checked;
      bool found = false;
      std::string_view in = coded.numbers;
      while (!in.empty() && !found) {
        const std::string_view start = in;
        uint64_t v = 0, z = 0;
        ASSERT_TRUE(GetVarint64(&in, &v));
        if (v & 1) {
          ASSERT_TRUE(GetVarint64(&in, &z));
        }
        found = start.substr(0, start.size() - in.size()) == unit;
      }
      EXPECT_TRUE(found) << line << " / " << needle;
    }
  }
  EXPECT_GT(checked, 1000);
}

TEST(LogLineCodecTest, FindsTheSafeHeadOfNeedlesWhoseTailMayBeginARegion) {
  const struct {
    const char* needle;
    size_t head;
  } kCases[] = {
      {"\"status\":500", 9},
      {"trace_id=4bf9", 9},
      {"error", std::string_view::npos},
      {"500", std::string_view::npos},
      {"x=12:30", std::string_view::npos},
      {"id=0123456789abcdef0", std::string_view::npos},  // tail long enough to be a region
      {"a:b=5", std::string_view::npos},                 // the head itself may touch one
  };
  for (const auto& c : kCases) EXPECT_EQ(NeedleSafeHead(c.needle), c.head) << c.needle;
}

// The property NeedleSafeHead promises, on random lines.
TEST(LogLineCodecTest, SafeHeadFindsEveryMatch) {
  const LineRow row = Row();
  const std::string trace = row.trace_id.ToHex();
  const std::string pieces[] = {trace, "\"status\":", "500", "=", " ", trace.substr(0, 3), "x"};
  const std::string needles[] = {"\"status\":500", "=" + trace.substr(0, 3), " 500"};
  std::mt19937 rng(5);
  int matched = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    for (int k = 0; k < 6; ++k) line += pieces[rng() % std::size(pieces)];
    const Coded coded = Encode(line, row);
    for (const std::string& n : needles) {
      const size_t k = NeedleSafeHead(n);
      ASSERT_NE(k, std::string_view::npos) << n;
      bool candidate = coded.text.find(n) != std::string::npos;
      const std::string head = n.substr(0, k);
      for (size_t at = coded.text.find(head); at != std::string::npos;
           at = coded.text.find(head, at + 1)) {
        const size_t next = at + k;
        candidate = candidate || (next < coded.text.size() &&
                                  static_cast<uint8_t>(coded.text[next]) <= kLineLastCode);
      }
      if (line.find(n) != std::string::npos) {
        ++matched;
        EXPECT_TRUE(candidate) << line << " / " << n;
      }
    }
  }
  EXPECT_GT(matched, 1000);
}

TEST(LogLineCodecTest, RefusesMalformedVersion2Input) {
  const LineRow row = Row();
  const struct {
    std::string text, numbers;
    const char* error;
  } kCases[] = {
      {"\x08", "", "truncated number stream"},
      {"\x08", "\x81", "truncated number stream"},
      {"\x08", "\x03", "truncated number stream"},           // zeros promised, missing
      {"\x08", std::string("\x03\x00", 2), "out of range"},  // zero leading zeros
      {"\x08", "\x03\x13", "out of range"},                  // 1 + 19 digits
      {std::string("\x00\x09", 2), "", "needs none"},
  };
  for (const auto& c : kCases) {
    std::string out;
    std::string_view side, numbers = c.numbers;
    Status s = DecodeLogLine(c.text, row, &side, &out, &numbers);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.error;
    EXPECT_NE(s.message().find(c.error), std::string_view::npos) << s.ToString();
  }
  // Version-1 text holds 0x08 as a literal byte.
  std::string out;
  std::string_view side;
  ASSERT_TRUE(DecodeLogLine("a\x08", row, &side, &out).ok());
  EXPECT_EQ(out, "a\x08");
}

TEST(LogLineCodecTest, RefusesMalformedInput) {
  const LineRow row = Row();
  LineRow bare;
  bare.timestamp_ns = -1;  // before 1970: no epoch-millisecond rendering
  const struct {
    std::string text, side;
    const LineRow* row;
    const char* error;
  } kCases[] = {
      {std::string("a\x00", 2), "", &row, "dangling escape"},
      {std::string("\x00"
                   "a",
                   2),
       "", &row, "needs none"},
      {"\x01", "", &bare, "trace id of a row without one"},
      {"\x02", "", &bare, "span id of a row without one"},
      {"\x07", "", &bare, "epoch millis"},
      {"\x06", "", &row, "truncated hex"},
      {"\x06", std::string("\x09", 1) + "12345678", &row, "truncated hex"},
      {"\x06", std::string("\x01", 1) + "1", &row, "truncated hex"},  // shorter than 8 bytes
  };
  for (const auto& c : kCases) {
    std::string out;
    std::string_view side = c.side;
    Status s = DecodeLogLine(c.text, *c.row, &side, &out);
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << c.error;
    EXPECT_NE(s.message().find(c.error), std::string_view::npos) << s.ToString();
    // Skipping checks the structure only: escapes and the side stream.
    side = c.side;
    Status skip = SkipLogLine(c.text, &side);
    const bool structural = std::string_view(c.error).find("escape") != std::string_view::npos ||
                            std::string_view(c.error).find("truncated") != std::string_view::npos;
    EXPECT_EQ(skip.ok(), !structural || std::string_view(c.error) == "needs none") << c.error;
  }
}

}  // namespace
}  // namespace quartet::store

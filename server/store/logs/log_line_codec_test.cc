#include "server/store/logs/log_line_codec.h"

#include <gtest/gtest.h>

#include <random>

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

struct Coded {
  std::string text, side;
};
Coded Encode(std::string_view line, const LineRow& row) {
  Coded c;
  EncodeLogLine(line, row, &c.text, &c.side);
  return c;
}
std::string Decode(const Coded& c, const LineRow& row) {
  std::string out;
  std::string_view side = c.side;
  Status s = DecodeLogLine(c.text, row, &side, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_TRUE(side.empty());
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
                                "T"};
  std::mt19937 rng(3);
  for (int i = 0; i < 20000; ++i) {
    std::string line;
    const int n = static_cast<int>(rng() % 12);
    for (int k = 0; k < n; ++k) line += pieces[rng() % std::size(pieces)];
    LineRow r = row;
    if (rng() % 4 == 0) r.trace_id = TraceId{};
    if (rng() % 4 == 0) r.span_id = SpanId{};
    Coded coded = Encode(line, r);
    ASSERT_EQ(Decode(coded, r), line) << i;
    std::string_view side = coded.side;
    ASSERT_TRUE(SkipLogLine(coded.text, &side).ok());
    EXPECT_TRUE(side.empty());
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
                                "\x01"};
  std::mt19937 rng(4);
  int safe = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string line, needle_source;
    for (int k = 0; k < 8; ++k) line += pieces[rng() % std::size(pieces)];
    // Needles: substrings of the line (often matching) and of other lines.
    for (int k = 0; k < 8; ++k) needle_source += pieces[rng() % std::size(pieces)];
    const std::string& src = rng() % 2 ? line : needle_source;
    const size_t at = rng() % (src.size() + 1);
    const std::string needle = src.substr(at, rng() % 24);
    if (!NeedleMatchesEncodedExactly(needle)) continue;
    ++safe;
    const Coded coded = Encode(line, row);
    EXPECT_EQ(coded.text.find(needle) != std::string::npos, line.find(needle) != std::string::npos)
        << "line " << line << " needle " << needle;
  }
  EXPECT_GT(safe, 2000);
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

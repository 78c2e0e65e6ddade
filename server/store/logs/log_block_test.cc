// LogBlock with the line codec: adversarial rows round-trip through a block
// file, substring filters answer as on the raw lines whether they run on
// encoded or decoded text, blocks written before the codec still read, and
// damaged codec sections are refused with errors that name them.
#include "server/store/logs/log_block.h"

#include <gtest/gtest.h>
#include <zstd.h>

#include <filesystem>
#include <map>
#include <random>
#include <set>

#include "server/store/block/block_reader.h"
#include "server/store/block/block_writer.h"
#include "server/store/block/varint.h"
#include "server/store/logs/log_line_codec.h"
#include "server/store/logs/log_page_columns.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

constexpr int64_t kT0 = 1'795'479'939'694'000'000;

TraceId MakeTrace(std::mt19937_64* rng) {
  TraceId t;
  for (auto& b : t.bytes) b = static_cast<uint8_t>((*rng)());
  return t;
}
SpanId MakeSpan(std::mt19937_64* rng) {
  SpanId s;
  for (auto& b : s.bytes) b = static_cast<uint8_t>((*rng)());
  return s;
}

// Lines that stress the codec, for a row with these ids and time.
std::string AdversarialLine(std::mt19937_64* rng, const LogEntry& e, const TraceId& other) {
  std::string time;
  RenderRfc3339(e.timestamp_ns, 9, &time);
  const std::string trace = e.trace_id.ToHex(), span = e.span_id.ToHex();
  std::string upper = trace;
  for (char& c : upper) c = static_cast<char>(toupper(c));
  switch ((*rng)() % 11) {
    case 0:
      return "{\"time\":\"" + time +
             "\",\"level\":\"INFO\",\"message\":\"db query\",\"trace_id\":\"" + trace +
             "\",\"span_id\":\"" + span + "\",\"request_id\":\"" + other.ToHex() + "\"}";
    case 1:
      return "trace_id=" + trace + " again=" + trace + " span=" + span + span;
    case 2:
      return "upper " + upper + " partial " + trace.substr(0, 20) + " odd " + trace.substr(1);
    case 3:
      return "";
    case 4: {
      std::string bin(1 + (*rng)() % 40, '\0');
      for (char& c : bin) c = static_cast<char>((*rng)() % 256);
      return bin;
    }
    case 5:
      return std::string("\x00\x01\x02\x03\x04\x05\x06\x07\x08", 9) + trace;
    case 6:
      return "ms " + std::to_string(e.timestamp_ns / 1'000'000) + " " + time.substr(0, 23) + "Z";
    case 7:
      return "other row's id " + other.ToHex() + " " + std::string(200, 'x');
    case 8:
      return "\"status\":500 " + trace + "00";
    case 9:
      return "n=0 7 05 12 -42 3.14 007 1234567890123456789 12345678901234567 v2 \x08 10.0.0." +
             std::to_string((*rng)() % 300) + " d=" + std::to_string((*rng)() % 100000);
    default:
      return "level=error msg=\"request failed\" status=500 t=" + time;
  }
}

class LogBlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("log_block_test_" + std::to_string(::testing::UnitTest::GetInstance()->random_seed()) +
            "_" + ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Two streams of adversarial rows, > 1 page.
  void MakeRows(int rows) {
    std::mt19937_64 rng(11);
    labels_ = {{{"app", "a"}}, {{"app", "b"}}};
    entries_.assign(2, {});
    int64_t ts = kT0;
    for (int i = 0; i < rows; ++i) {
      LogEntry e;
      e.timestamp_ns = (ts += 1 + static_cast<int64_t>(rng() % 3'000'000));
      if (rng() % 5 != 0) e.trace_id = MakeTrace(&rng);
      if (rng() % 4 != 0) e.span_id = MakeSpan(&rng);
      const TraceId other = MakeTrace(&rng);
      e.line = AdversarialLine(&rng, e, other);
      if (e.trace_id.valid()) e.structured_metadata.emplace_back("trace_id", e.trace_id.ToHex());
      if (rng() % 2) e.structured_metadata.emplace_back("user", "\x01u" + other.ToHex());
      entries_[rng() % 2].push_back(std::move(e));
    }
  }

  std::string Write() {
    std::vector<LogBlockSource> sources;
    for (size_t s = 0; s < labels_.size(); ++s) {
      LogBlockSource src{.labels = &labels_[s], .entries = {}};
      for (const LogEntry& e : entries_[s]) src.entries.push_back(&e);
      sources.push_back(std::move(src));
    }
    BlockMeta meta;
    meta.id = "0000000000TEST";
    const std::string path = dir_ + "/b.blk";
    Result<BlockMeta> written = WriteLogBlock(sources, meta, path);
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    meta_ = *written;
    return path;
  }

  Result<std::shared_ptr<const LogBlock>> Open(const std::string& path) {
    ASSIGN_OR_RETURN(std::unique_ptr<BlockReader> reader, BlockReader::Open(path));
    auto cb = std::make_shared<CatalogBlock>();
    cb->meta = meta_;
    cb->path = path;
    cb->reader = std::move(reader);
    return LogBlock::Open(std::move(cb));
  }

  // Rewrites the block at `path` with `change` applied to its sections.
  void Rewrite(const std::string& path,
               const std::function<void(std::map<std::string, std::string>*)>& change) {
    std::map<std::string, std::string> sections;
    {
      auto r = BlockReader::Open(path);
      ASSERT_TRUE(r.ok());
      for (const std::string& name : (*r)->SectionNames())
        sections[name] = *(*r)->ReadSection(name);
    }
    change(&sections);
    fs::remove(path);
    auto w = BlockWriter::Create(path);
    ASSERT_TRUE(w.ok());
    for (const auto& [name, bytes] : sections) ASSERT_TRUE((*w)->AddSection(name, bytes).ok());
    ASSERT_TRUE((*w)->Finish(meta_.ToJson()).ok());
  }

  // Every row of the block against the rows written, in storage order.
  void ExpectSameRows(const LogBlock& block) {
    std::vector<const LogEntry*> want;
    for (const auto& stream : entries_) {
      for (const LogEntry& e : stream) want.push_back(&e);
    }
    size_t next = 0;
    for (uint32_t p = 0; p < block.page_count(); ++p) {
      auto page = block.ReadPage(p);
      ASSERT_TRUE(page.ok()) << page.status().ToString();
      for (size_t i = 0; i < (*page)->size(); ++i, ++next) {
        ASSERT_LT(next, want.size());
        const LogEntry& e = *want[next];
        ASSERT_EQ((*page)->line(i), e.line) << "row " << next;
        EXPECT_EQ((*page)->timestamp(i), e.timestamp_ns);
        Labels md;
        ASSERT_TRUE((*page)->Metadata(i, &md).ok());
        EXPECT_EQ(md, e.structured_metadata);
        auto ids = (*page)->Ids(i);
        ASSERT_TRUE(ids.ok());
        EXPECT_EQ(ids->first.bytes, e.trace_id.bytes);
        EXPECT_EQ(ids->second.bytes, e.span_id.bytes);
      }
    }
    EXPECT_EQ(next, want.size());
  }

  // `trace_id=` and the first hex digits of a row's own trace id, which the
  // codec stores as a region: found only by decoding that row.
  std::vector<std::string> TraceIdNeedle() const {
    for (const LogEntry& e : entries_[0]) {
      if (e.line.starts_with("trace_id=")) return {"trace_id=" + e.trace_id.ToHex().substr(0, 5)};
    }
    return {"trace_id="};
  }

  std::string dir_;
  std::vector<Labels> labels_;
  std::vector<std::vector<LogEntry>> entries_;
  BlockMeta meta_;
};

TEST_F(LogBlockTest, AdversarialRowsRoundTrip) {
  MakeRows(20000);
  auto block = Open(Write());
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  EXPECT_GT((*block)->page_count(), 1u);
  ExpectSameRows(**block);
}

TEST_F(LogBlockTest, SubstringFiltersAnswerAsOnRawLines) {
  MakeRows(3000);
  EXPECT_NE(NeedleSafeHead(TraceIdNeedle()[0]), std::string_view::npos);
  auto block = Open(Write());
  ASSERT_TRUE(block.ok());
  const std::vector<std::vector<std::string>> kNeedles = {
      {"db query"},
      {"\"status\":500"},
      {"again="},
      {"00"},
      {"Z"},
      {"x", "id"},
      {std::string("\x01", 1)},
      {std::string("\x00\x01", 2)},
      {"request failed", "level=error"},
      {entries_[0][0].trace_id.ToHex().substr(0, 8)},
      {""},
      TraceIdNeedle(),
      {"again=", "span="},
      {"\"status\":500", "trace_id=1"},
      {"-42 3"},
      {"d=1"},
      {" 007 "},
      {"v2 "}};
  // Fresh pages search encoded text where they can; decoded pages decoded text.
  for (bool decoded_first : {false, true}) {
    for (const auto& needles : kNeedles) {
      auto page = (*block)->ReadPage(0);
      ASSERT_TRUE(page.ok());
      const LogPage& p = **page;
      if (decoded_first) (void)p.line(0);
      std::vector<std::string> lines;
      std::vector<uint32_t> want;
      for (uint32_t i = 0; i < p.size(); ++i) {
        bool all = true;
        for (const std::string& n : needles) all = all && p.line(i).find(n) != std::string::npos;
        if (all && i >= 5 && i < p.size() - 5) want.push_back(i);
      }
      auto fresh = (*block)->ReadPage(0);
      ASSERT_TRUE(fresh.ok());
      if (decoded_first) (void)(*fresh)->line(0);
      EXPECT_EQ((*fresh)->RowsContaining(5, static_cast<uint32_t>(p.size() - 5), needles), want)
          << needles[0] << " decoded_first=" << decoded_first;
    }
  }
}

// A block written before the line codec (plain `pN.line`, four-part
// metadata) reads as before.
TEST_F(LogBlockTest, BlocksWithoutTheCodecStillRead) {
  MakeRows(500);
  const std::string path = Write();
  Rewrite(path, [&](std::map<std::string, std::string>* s) {
    std::vector<std::string_view> lines, values;
    std::vector<uint32_t> counts;
    for (const auto& stream : entries_) {
      for (const LogEntry& e : stream) {
        lines.push_back(e.line);
        counts.push_back(static_cast<uint32_t>(e.structured_metadata.size()));
        for (const auto& kv : e.structured_metadata) values.push_back(kv.second);
      }
    }
    s->erase("p0.text");
    s->erase("p0.hex");
    (*s)["p0.line"] = EncodeStrings(lines);
    std::string_view in = (*s)["p0.meta"], names, count_bytes, ids;
    ASSERT_TRUE(GetLengthPrefixed(&in, &names) && GetLengthPrefixed(&in, &count_bytes) &&
                GetLengthPrefixed(&in, &ids));
    std::string meta;
    PutLengthPrefixed(&meta, names);
    PutLengthPrefixed(&meta, count_bytes);
    PutLengthPrefixed(&meta, ids);
    PutLengthPrefixed(&meta, EncodeStrings(values));
    (*s)["p0.meta"] = meta;
  });
  auto block = Open(path);
  ASSERT_TRUE(block.ok());
  ASSERT_EQ((*block)->page_count(), 1u);
  ExpectSameRows(**block);
  auto page = (*block)->ReadPage(0);
  ASSERT_TRUE(page.ok());
  EXPECT_FALSE((*page)
                   ->RowsContaining(0, static_cast<uint32_t>((*page)->size()),
                                    std::vector<std::string>{"db query"})
                   .empty());
}

// Rows decoded one by one read their numbers in place from the number
// columns: backward (from each column's marks), in strides and forward (from
// the entry read last) they come back as written.
TEST_F(LogBlockTest, RowsReadInAnyOrderDecodeTheirNumbers) {
  MakeRows(2000);
  auto block = Open(Write());
  ASSERT_TRUE(block.ok());
  std::vector<const LogEntry*> want;
  for (const auto& stream : entries_) {
    for (const LogEntry& e : stream) want.push_back(&e);
  }
  auto page = (*block)->ReadPage(0);
  ASSERT_TRUE(page.ok());
  const size_t n = (*page)->size();
  ASSERT_GT(n, 100u);
  // Under half the page: rows stay decoded one by one.
  std::vector<size_t> order;
  for (size_t i = n / 5; i-- > 0;) order.push_back(i);        // backward
  for (size_t i = n / 5; i < n; i += 37) order.push_back(i);  // strides
  for (size_t i = n - 40; i < n; ++i) order.push_back(i);     // forward
  for (size_t i : order) {
    ASSERT_EQ((*page)->line(i), want[i]->line) << "row " << i;
  }
}

// A block written by version 1 of the line codec (before number regions:
// no `pN.num`, digits in the text, 0x08 a literal byte) reads as before, and
// its filters, digits or not, answer as on the raw lines.
TEST_F(LogBlockTest, BlocksOfCodecVersion1StillRead) {
  MakeRows(500);
  const std::string path = Write();
  Rewrite(path, [&](std::map<std::string, std::string>* s) {
    ASSERT_EQ(s->count("p0.nums"), 1u);
    ASSERT_EQ(s->count("p0.time"), 1u);
    std::string text, side;
    std::vector<size_t> ends;
    std::vector<int64_t> times;
    for (const auto& stream : entries_) {
      for (const LogEntry& e : stream) {
        times.push_back(e.timestamp_ns);
        EncodeLogLine(
            e.line,
            LineRow{.timestamp_ns = e.timestamp_ns, .trace_id = e.trace_id, .span_id = e.span_id},
            &text, &side);
        ends.push_back(text.size());
      }
    }
    std::vector<std::string_view> lines;
    for (size_t i = 0, start = 0; i < ends.size(); start = ends[i++]) {
      lines.emplace_back(text.data() + start, ends[i] - start);
    }
    (*s)["p0.text"] = EncodeStrings(lines);
    (*s)["p0.hex"] = side;
    s->erase("p0.nums");
    s->erase("p0.time");
    (*s)["p0.ts"] = EncodeInt64s(times);
  });
  auto block = Open(path);
  ASSERT_TRUE(block.ok());
  ASSERT_EQ((*block)->page_count(), 1u);
  ExpectSameRows(**block);
  for (const std::vector<std::string>& needles :
       std::vector<std::vector<std::string>>{{"db query"}, {"\"status\":500"}, {"05 12"}}) {
    auto page = (*block)->ReadPage(0);
    ASSERT_TRUE(page.ok());
    std::vector<uint32_t> want;
    for (const auto& stream : entries_) {
      for (const LogEntry& e : stream) {
        if (e.line.find(needles[0]) != std::string::npos) {
          want.push_back(static_cast<uint32_t>(&e - stream.data() +
                                               (&stream == &entries_[0] ? 0 : entries_[0].size())));
        }
      }
    }
    EXPECT_FALSE(want.empty()) << needles[0];
    EXPECT_EQ((*page)->RowsContaining(0, static_cast<uint32_t>((*page)->size()), needles), want)
        << needles[0];
  }
}

// A block written by the encoder of commit b56f1d8 (codec version 2 with
// `pN.ts` as EncodeInt64s and the varint number stream `pN.num`), kept as
// testdata/log_block_codec2.blk: it reads row for row, and its filters
// answer as on the raw lines. LOG_BLOCK_GOLDEN_OUT=FILE writes the block
// today's encoder makes of the same rows (how the file was made).
TEST_F(LogBlockTest, BlocksOfTheVarintNumberStreamStillRead) {
  MakeRows(500);
  const std::string path = Write();
  if (const char* out = getenv("LOG_BLOCK_GOLDEN_OUT"); out != nullptr) fs::copy_file(path, out);
  const char* src = getenv("QUARTET_SOURCE_DIR");
  ASSERT_NE(src, nullptr) << "run through ctest (QUARTET_SOURCE_DIR)";
  const std::string golden = dir_ + "/golden.blk";
  fs::copy_file(std::string(src) + "/server/store/logs/testdata/log_block_codec2.blk", golden);
  {
    auto r = BlockReader::Open(golden);
    ASSERT_TRUE(r.ok());
    EXPECT_TRUE((*r)->HasSection("p0.num"));
    EXPECT_TRUE((*r)->HasSection("p0.ts"));
  }
  auto block = Open(golden);
  ASSERT_TRUE(block.ok()) << block.status().ToString();
  ExpectSameRows(**block);
  std::vector<const LogEntry*> all;
  for (const auto& stream : entries_) {
    for (const LogEntry& e : stream) all.push_back(&e);
  }
  for (const std::vector<std::string>& needles : std::vector<std::vector<std::string>>{
           {"db query"}, {"\"status\":500"}, {"05 12"}, {"d=1"}, {"007"}, {"status=500", "t="}}) {
    std::vector<uint32_t> want, got;
    for (size_t i = 0; i < all.size(); ++i) {
      bool has = true;
      for (const std::string& n : needles) has = has && all[i]->line.find(n) != std::string::npos;
      if (has) want.push_back(static_cast<uint32_t>(i));
    }
    uint32_t first_row = 0;
    for (uint32_t p = 0; p < (*block)->page_count(); ++p) {
      auto page = (*block)->ReadPage(p);
      ASSERT_TRUE(page.ok());
      for (uint32_t r : (*page)->RowsContaining(0, static_cast<uint32_t>((*page)->size()), needles))
        got.push_back(first_row + r);
      first_row += static_cast<uint32_t>((*page)->size());
    }
    EXPECT_FALSE(want.empty()) << needles[0];
    EXPECT_EQ(got, want) << needles[0];
  }
}

// Sections whose CRC is right but whose codec content is not: each is
// refused with a DataLoss naming the block, the page and the problem, and
// never crashes or returns wrong lines.
TEST_F(LogBlockTest, DamagedCodecSectionsAreRefusedWithNamedErrors) {
  const struct {
    const char* name;
    std::function<void(std::map<std::string, std::string>*)> damage;
    const char* error;
    bool at_read;  // refused by ReadPage rather than on first use
  } kCases[] = {
      {"reference without an id",
       [](auto* s) {
         std::vector<std::string> texts(500, std::string("\x02", 1));
         (*s)["p0.text"] = EncodeStrings(texts);
         (*s)["p0.hex"] = "";
         std::string ids;
         PutLengthPrefixed(&ids, EncodeUint32s(std::vector<uint32_t>(500, 0)));
         (*s)["p0.ids"] = ids;
       },
       "span id of a row without one", false},
      {"truncated hex side stream",
       [](auto* s) {
         std::string& hex = (*s)["p0.hex"];
         hex.resize(hex.size() / 2);
       },
       "truncated hex side stream", false},
      {"unused hex runs", [](auto* s) { (*s)["p0.hex"] += std::string("\x08", 1) + "12345678"; },
       "unused hex runs in page 0", false},
      {"dangling escape",
       [](auto* s) {
         std::vector<std::string> texts(500, "ok");
         texts[7] = std::string("a\x00", 2);
         (*s)["p0.text"] = EncodeStrings(texts);
         (*s)["p0.hex"] = "";
       },
       "line 7 of page 0: line codec: dangling escape", false},
      {"metadata without its side stream",
       [](auto* s) {
         std::string_view in = (*s)["p0.meta"], a, b, c, d;
         ASSERT_TRUE(GetLengthPrefixed(&in, &a) && GetLengthPrefixed(&in, &b) &&
                     GetLengthPrefixed(&in, &c) && GetLengthPrefixed(&in, &d));
         (*s)["p0.meta"] = (*s)["p0.meta"].substr(0, d.data() + d.size() - (*s)["p0.meta"].data());
       },
       "bad metadata of page 0", false},
      {"truncated numbers",
       [](auto* s) {
         std::string& num = (*s)["p0.nums"];
         num.resize(num.size() - 3);
       },
       "truncated number stream in page 0", false},
      {"unused numbers", [](auto* s) { (*s)["p0.nums"] += std::string("\x02", 1); },
       "unused numbers in page 0", false},
      {"number column of the wrong size",
       [](auto* s) {
         // The first column of the rows with most numbers, replaced by a
         // frame of a byte more: found when the page's numbers are first
         // used, whichever row needs them.
         std::vector<uint32_t> counts;
         std::vector<PackedNumberColumn> columns;
         const std::string num = (*s)["p0.nums"];
         ASSERT_TRUE(ParseNumberColumns(num, 500, &counts, &columns).ok());
         const uint32_t most = *std::max_element(counts.begin(), counts.end());
         std::set<uint32_t> before;
         for (uint32_t c : counts) {
           if (c != 0 && c < most) before.insert(c);
         }
         size_t column = 0;
         for (uint32_t c : before) column += c;
         const PackedNumberColumn& target = columns[column];
         std::string plain(ZSTD_getFrameContentSize(target.frame.data(), target.frame.size()) + 1,
                           1);
         std::string frame(ZSTD_compressBound(plain.size()), '\0');
         frame.resize(ZSTD_compress(frame.data(), frame.size(), plain.data(), plain.size(), 3));
         // Up to the frame's length prefix, then the new frame, then the rest.
         std::string_view prefix(num.data(), target.frame.data() - num.data());
         do prefix.remove_suffix(1);
         while (!prefix.empty() && (static_cast<uint8_t>(prefix.back()) & 0x80) != 0);
         std::string out(prefix);
         PutLengthPrefixed(&out, frame);
         out += num.substr(target.frame.data() + target.frame.size() - num.data());
         (*s)["p0.nums"] = out;
       },
       "number column: wrong size in page 0", false},
      {"damaged times",
       [](auto* s) {
         std::string& time = (*s)["p0.time"];
         time.resize(time.size() - 1);
       },
       "page 0: page times: wrong plane size", true},
      {"too few lines",
       [](auto* s) { (*s)["p0.text"] = EncodeStrings(std::vector<std::string>(3, "x")); },
       "page 0 has the wrong number of rows", true},
  };
  for (const auto& c : kCases) {
    SCOPED_TRACE(c.name);
    MakeRows(500);
    const std::string path = Write();
    Rewrite(path, c.damage);
    auto block = Open(path);
    ASSERT_TRUE(block.ok()) << block.status().ToString();
    auto page = (*block)->ReadPage(0);
    if (c.at_read) {
      ASSERT_FALSE(page.ok());
      EXPECT_EQ(page.status().code(), StatusCode::kDataLoss);
      EXPECT_NE(page.status().message().find(c.error), std::string_view::npos)
          << page.status().ToString();
      continue;
    }
    ASSERT_TRUE(page.ok()) << page.status().ToString();
    {
      // Delivering a row first decodes that row alone (or finds the page's
      // hex runs): the damage is reported all the same.
      Labels md;
      Status s = (*page)->Metadata(2, &md);
      EXPECT_EQ(s.code(), StatusCode::kDataLoss);
      EXPECT_NE(s.message().find(c.error), std::string_view::npos) << s.ToString();
      page = (*block)->ReadPage(0);
      ASSERT_TRUE(page.ok());
    }
    const LogPage& p = **page;
    // A page whose lines cannot be decoded still answers a filter with a
    // row, whose delivery reports the damage.
    const std::vector<std::string> needles = {"500"};  // only decoded text can answer
    if (std::string_view(c.name) != "metadata without its side stream") {
      EXPECT_EQ(p.RowsContaining(2, 9, needles), std::vector<uint32_t>{2});
      EXPECT_EQ(p.line(2), "");
    }
    Labels md;
    Status s = p.Metadata(2, &md);
    EXPECT_EQ(s.code(), StatusCode::kDataLoss);
    EXPECT_NE(s.message().find(c.error), std::string_view::npos) << s.ToString();
    EXPECT_NE(s.message().find("b.blk"), std::string_view::npos) << s.ToString();
    EXPECT_EQ(p.Ids(2).status().code(), StatusCode::kDataLoss);
  }
}

// The trace index finds exactly the rows of a trace across pages and
// streams, and blocks written with the older full trace index (sorted ids,
// rows, Bloom filter; before `trace.fp`) answer the same.
TEST_F(LogBlockTest, TraceLookupsAgreeInBothIndexFormats) {
  std::mt19937_64 rng(5);
  labels_ = {{{"app", "a"}}, {{"app", "b"}}};
  entries_.assign(2, {});
  std::vector<TraceId> traces;
  for (int i = 0; i < 900; ++i) traces.push_back(MakeTrace(&rng));
  int64_t ts = kT0;
  for (int i = 0; i < 12000; ++i) {
    LogEntry e;
    e.timestamp_ns = (ts += 1000);
    // Mostly runs of 3 rows per trace; some traces recur far apart (other
    // pages, the other stream); some rows have none.
    if (i % 7 != 0) e.trace_id = traces[(i % 11 == 0) ? rng() % 5 : (i / 3) % traces.size()];
    e.span_id = MakeSpan(&rng);
    e.line = "request " + std::to_string(i) + " " + std::string(380, 'x');
    entries_[(i / 3) % 2].push_back(std::move(e));
  }
  const std::string path = Write();
  // Storage order is stream a, then stream b; rows map to pages in order.
  std::map<std::array<uint8_t, 16>, std::vector<uint64_t>> want;  // trace -> global rows
  uint64_t g = 0;
  for (const auto& stream : entries_) {
    for (const LogEntry& e : stream) {
      if (e.trace_id.valid()) want[e.trace_id.bytes].push_back(g);
      ++g;
    }
  }
  auto check = [&](const LogBlock& block) {
    ASSERT_GT(block.page_count(), 3u);
    std::vector<uint64_t> page_first{0};
    for (uint32_t p = 0; p < block.page_count(); ++p) {
      page_first.push_back(page_first.back() + (*block.ReadPage(p))->size());
    }
    for (const auto& [bytes, rows] : want) {
      TraceId id;
      id.bytes = bytes;
      auto found = block.RowsOfTrace(id);
      ASSERT_TRUE(found.ok()) << found.status().ToString();
      std::vector<uint64_t> got;
      for (const auto& [page, row] : *found) got.push_back(page_first[page] + row);
      EXPECT_EQ(got, rows);
    }
    for (int i = 0; i < 200; ++i) {
      auto found = block.RowsOfTrace(MakeTrace(&rng));
      ASSERT_TRUE(found.ok());
      EXPECT_TRUE(found->empty());
    }
  };
  {
    auto block = Open(path);
    ASSERT_TRUE(block.ok()) << block.status().ToString();
    check(**block);
  }
  // The same block with the older index sections instead of trace.fp.
  Rewrite(path, [&](std::map<std::string, std::string>* s) {
    ASSERT_EQ(s->erase("trace.fp"), 1u);
    std::string ids;
    std::vector<uint32_t> counts, rows;
    std::vector<uint64_t> hashes;
    for (const auto& [bytes, r] : want) {  // std::map: sorted by id bytes
      ids.append(reinterpret_cast<const char*>(bytes.data()), 16);
      hashes.push_back(Hash64(std::string_view(ids).substr(ids.size() - 16)));
      counts.push_back(static_cast<uint32_t>(r.size()));
      for (uint64_t row : r) rows.push_back(static_cast<uint32_t>(row));
    }
    std::string index;
    PutLengthPrefixed(&index, ids);
    PutLengthPrefixed(&index, EncodeUint32s(counts));
    PutLengthPrefixed(&index, EncodeUint32s(rows));
    (*s)["trace.index"] = index;
    (*s)["trace.bloom"] = BloomFilter::Build(hashes, 10).Encode();
  });
  {
    auto block = Open(path);
    ASSERT_TRUE(block.ok()) << block.status().ToString();
    check(**block);
  }
}

// A trace.fp section that is malformed but CRC-correct sets the block aside
// at open with a DataLoss, never a crash or a wrong answer.
TEST_F(LogBlockTest, DamagedTraceFingerprintsAreRefused) {
  MakeRows(300);
  const std::string path = Write();
  const std::string good = [&] {
    auto r = BlockReader::Open(path);
    return *(*r)->ReadSection("trace.fp");
  }();
  std::vector<std::string> bad;
  bad.push_back("");
  bad.push_back(good.substr(0, good.size() - 1));          // truncated
  bad.push_back(good + "x");                               // trailing byte
  bad.push_back(std::string("\x28", 1) + good.substr(1));  // 40-bit fingerprints
  std::string order = good;                                // count + 1, gaps short
  order[1] = static_cast<char>(order[1] + 1);
  bad.push_back(order);
  {
    std::string huge;  // one fingerprint gap past the width
    PutVarint64(&huge, 16);
    PutVarint64(&huge, 1);
    std::string gaps;
    PutVarint64(&gaps, uint64_t{1} << 40);
    PutLengthPrefixed(&huge, gaps);
    PutVarint64(&huge, 0);
    bad.push_back(huge);
  }
  {
    std::string page;  // a page past the block's
    PutVarint64(&page, 16);
    PutVarint64(&page, 1);
    std::string gaps;
    PutVarint64(&gaps, 7);
    PutLengthPrefixed(&page, gaps);
    PutVarint64(&page, 99);
    bad.push_back(page);
  }
  for (size_t i = 0; i < bad.size(); ++i) {
    Rewrite(path, [&](std::map<std::string, std::string>* s) { (*s)["trace.fp"] = bad[i]; });
    auto block = Open(path);
    ASSERT_FALSE(block.ok()) << "case " << i;
    EXPECT_EQ(block.status().code(), StatusCode::kDataLoss) << "case " << i;
    EXPECT_NE(block.status().message().find("trace"), std::string::npos)
        << block.status().ToString();
  }
}

}  // namespace
}  // namespace quartet::store

// The log table with blocks: every query answers the same from the head, from
// blocks and from both; flush, reopen, crash and damage never duplicate or
// lose acknowledged lines; retention and compaction.
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>

#include "server/store/logs/log_table.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;
constexpr int64_t kT0 = 1'700'000'000'000'000'000;
using Op = LabelMatch::Op;

TraceId Trace(int n) {
  TraceId id;
  id.bytes[0] = 0xab;
  id.bytes[15] = static_cast<uint8_t>(n);
  return id;
}
SpanId Span(int n) {
  SpanId id;
  id.bytes[7] = static_cast<uint8_t>(n);
  return id;
}

// Rows of 4 streams with distinct timestamps, arriving shuffled in batches.
std::vector<std::vector<LogStream>> Batches(int rows_per_stream, int first_row, uint32_t seed) {
  const char* apps[] = {"api", "cart", "db", "web"};
  std::mt19937 rng(seed);
  struct Row {
    int stream;
    LogEntry entry;
  };
  std::vector<Row> rows;
  for (int s = 0; s < 4; ++s) {
    for (int i = first_row; i < first_row + rows_per_stream; ++i) {
      LogEntry e;
      e.timestamp_ns = kT0 + int64_t{i} * 1000 + s;
      e.line = std::string("{\"level\":\"") + (i % 7 == 0 ? "error" : "info") +
               "\",\"user\":" + std::to_string(i % 13) + ",\"msg\":\"request " + std::to_string(i) +
               " of " + apps[s] + "\",\"pad\":\"" + std::string(200 + rng() % 400, 'x') + "\"}";
      if (i % 5 == 0) {
        e.trace_id = Trace(i % 20 + 1);
        e.span_id = Span(i % 3 + 1);
        e.structured_metadata = {{"trace_id", e.trace_id.ToHex()}};
      }
      if (i % 4 == 0) e.structured_metadata.emplace_back("user", std::to_string(i));
      rows.push_back(Row{s, std::move(e)});
    }
  }
  std::shuffle(rows.begin(), rows.end(), rng);
  std::vector<std::vector<LogStream>> batches;
  for (size_t at = 0; at < rows.size(); at += 250) {
    std::vector<LogStream> batch(4);
    for (int s = 0; s < 4; ++s) batch[s].labels = {{"app", apps[s]}, {"env", "prod"}};
    for (size_t i = at; i < std::min(rows.size(), at + 250); ++i) {
      batch[rows[i].stream].entries.push_back(std::move(rows[i].entry));
    }
    std::erase_if(batch, [](const LogStream& s) { return s.entries.empty(); });
    batches.push_back(std::move(batch));
  }
  return batches;
}

std::string RowText(const LogRow& row) {
  std::ostringstream out;
  out << loki::FormatLabelSet(*row.stream) << '|' << row.timestamp_ns << '|' << row.line << '|'
      << loki::FormatLabelSet(*row.structured_metadata) << '|' << row.trace_id.ToHex() << '|'
      << row.span_id.ToHex() << '\n';
  return out.str();
}

class LogFlushTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("log_flush_test_" + std::to_string(std::random_device{}()));
    options_.dir = dir_.string();
    options_.sync = SyncPolicy::kNever;
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    fs::remove_all(dir_);
  }
  void Reopen(bool background = false) {
    table_.reset();
    Result<std::unique_ptr<LogTable>> t = LogTable::Open(options_, background);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  void Append(std::vector<std::vector<LogStream>> batches) {
    for (auto& b : batches) {
      Result<AppendResult> r = table_->AppendLogs(std::move(b));
      ASSERT_TRUE(r.ok()) << r.status().message();
    }
  }
  std::string ScanText(const LogScan& scan, int limit = -1) {
    std::string out;
    int n = 0;
    Status s = table_->Scan(scan, [&](const LogRow& row) {
      out += RowText(row);
      return ++n != limit;
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }
  int64_t CountAll() {
    int64_t n = 0;
    EXPECT_TRUE(table_->Scan(LogScan{}, [&](const LogRow&) { return ++n > 0; }).ok());
    return n;
  }
  // Every kind of query, as text.
  std::string Everything() {
    std::string out;
    const std::vector<std::vector<LabelMatch>> matchers = {
        {}, {{"app", Op::kEq, "cart"}}, {{"app", Op::kRe, "api|db"}}, {{"app", Op::kNeq, "web"}}};
    const std::vector<TimeRange> ranges = {{}, {kT0 + 300'000, kT0 + 900'002}};
    const std::vector<std::vector<std::string>> needles = {
        {}, {"error"}, {"\"user\":7,", "error"}, {"no such text"}};
    for (Direction d : {Direction::kForward, Direction::kBackward}) {
      for (const auto& m : matchers) {
        for (const auto& r : ranges) {
          for (const auto& n : needles) {
            LogScan scan{.matchers = m, .range = r, .direction = d, .required_substrings = n};
            out += "scan\n" + ScanText(scan);
          }
          out += "limit\n" + ScanText(LogScan{.matchers = m, .direction = d}, 7);
        }
      }
    }
    for (int t = 0; t <= 21; ++t) {
      out += "count " + std::to_string(table_->CountLogsOfTrace(Trace(t))) + "\n";
      for (int span : {0, 2}) {
        EXPECT_TRUE(table_
                        ->LogsOfTrace(Trace(t), span ? Span(span) : SpanId{},
                                      [&](const LogRow& row) {
                                        out += RowText(row);
                                        return true;
                                      })
                        .ok());
      }
    }
    for (const TimeRange& r : ranges) {
      const std::vector<std::string> names = *table_->LabelNames(r);
      for (const std::string& name : names) out += "name " + name + "\n";
      const std::vector<std::string> values = *table_->LabelValues("app", r);
      for (const std::string& v : values) out += "value " + v + "\n";
      std::vector<Labels> series = *table_->Series({{"app", Op::kRe, "c.*|d.*"}}, r);
      std::sort(series.begin(), series.end());
      for (const Labels& l : series) out += "series " + loki::FormatLabelSet(l) + "\n";
    }
    return out;
  }
  fs::path BlockDir() const { return dir_ / "blocks"; }
  std::vector<fs::path> BlockFiles() const {
    std::vector<fs::path> out;
    for (const auto& e : fs::directory_iterator(BlockDir())) {
      if (e.path().extension() == ".blk") out.push_back(e.path());
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  fs::path dir_;
  TableOptions options_;
  std::unique_ptr<LogTable> table_;
};

TEST_F(LogFlushTest, EveryQueryAnswersTheSameFromBlocks) {
  Append(Batches(1500, 0, 1));  // ~3.6 MB of lines: several pages
  const std::string before = Everything();
  ASSERT_GT(before.size(), 100'000u);
  ASSERT_TRUE(table_->Flush().ok());
  LogTableStats stats = table_->stats();
  EXPECT_EQ(stats.blocks, 1);
  EXPECT_EQ(stats.block_rows, 6000);
  EXPECT_EQ(stats.entries, 0);
  EXPECT_EQ(stats.head_bytes, 0u);
  EXPECT_EQ(stats.flushes, 1);
  EXPECT_EQ(Everything(), before);
  Reopen();
  EXPECT_EQ(table_->stats().entries, 0);  // nothing replayed twice
  EXPECT_EQ(CountAll(), 6000);
  EXPECT_EQ(Everything(), before);
  EXPECT_TRUE(table_->Flush().ok());  // empty head: no block
  EXPECT_EQ(table_->stats().blocks, 1);
}

TEST_F(LogFlushTest, HeadAndTwoBlocksMergeInTimeOrder) {
  // Three deliveries whose time ranges interleave.
  auto all = Batches(900, 0, 2);
  std::vector<std::vector<LogStream>> parts[3];
  for (size_t i = 0; i < all.size(); ++i) parts[i % 3].push_back(std::move(all[i]));
  Append(std::move(parts[0]));
  ASSERT_TRUE(table_->Flush().ok());
  Append(std::move(parts[1]));
  ASSERT_TRUE(table_->Flush().ok());
  Append(std::move(parts[2]));
  EXPECT_EQ(table_->stats().blocks, 2);
  for (Direction d : {Direction::kForward, Direction::kBackward}) {
    std::vector<int64_t> ts;
    ASSERT_TRUE(table_
                    ->Scan(LogScan{.direction = d},
                           [&](const LogRow& row) {
                             ts.push_back(row.timestamp_ns);
                             return true;
                           })
                    .ok());
    ASSERT_EQ(ts.size(), 3600u);
    std::vector<int64_t> sorted = ts;
    std::sort(sorted.begin(), sorted.end());
    if (d == Direction::kBackward) std::reverse(sorted.begin(), sorted.end());
    EXPECT_EQ(ts, sorted);
    EXPECT_EQ(std::adjacent_find(sorted.begin(), sorted.end()), sorted.end());
  }
  // Stopping early delivers exactly the newest rows.
  std::vector<int64_t> newest;
  ASSERT_TRUE(table_
                  ->Scan(LogScan{.direction = Direction::kBackward},
                         [&](const LogRow& row) {
                           newest.push_back(row.timestamp_ns);
                           return newest.size() < 3;
                         })
                  .ok());
  EXPECT_EQ(newest, (std::vector<int64_t>{kT0 + 899'003, kT0 + 899'002, kT0 + 899'001}));
}

TEST_F(LogFlushTest, SameAnswersWithRowsSplitAcrossHeadAndBlocks) {
  auto all = Batches(700, 0, 3);
  const size_t n = all.size();
  std::vector<std::vector<LogStream>> copy = all;
  Append(std::move(copy));
  const std::string expected = Everything();
  TearDown();
  SetUp();
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(table_->AppendLogs(std::move(all[i])).ok());
    if (i == n / 3 || i == 2 * n / 3) {
      ASSERT_TRUE(table_->Flush().ok());
    }
  }
  EXPECT_EQ(Everything(), expected);
}

TEST_F(LogFlushTest, CrashBetweenBlockAddAndWalRemovalDuplicatesNothing) {
  Append(Batches(300, 0, 4));
  // Keep the WAL as it was before the flush deleted it: the state after a
  // crash right after the catalog added the block.
  const fs::path saved = dir_ / "wal-saved";
  fs::copy(dir_ / "wal", saved);
  ASSERT_TRUE(table_->Flush().ok());
  table_.reset();
  for (const auto& e : fs::directory_iterator(saved)) {
    if (e.path().extension() == ".wal")
      fs::copy_file(e.path(), dir_ / "wal" / e.path().filename(),
                    fs::copy_options::overwrite_existing);
  }
  Reopen();
  EXPECT_EQ(CountAll(), 1200);
  EXPECT_EQ(table_->stats().entries, 0);
  EXPECT_EQ(table_->CountLogsOfTrace(Trace(1)), 4 * 300 / 20);  // i % 20 == 0
}

TEST_F(LogFlushTest, DamagedBlockIsReportedSetAsideAndTheRestServed) {
  Append(Batches(300, 0, 5));
  ASSERT_TRUE(table_->Flush().ok());
  Append(Batches(300, 1000, 6));
  ASSERT_TRUE(table_->Flush().ok());
  table_.reset();
  std::vector<fs::path> blocks = BlockFiles();
  ASSERT_EQ(blocks.size(), 2u);
  {
    // A byte inside the first page's lines of the older block.
    std::fstream f(blocks[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(2000);
    char c;
    f.seekg(2000);
    f.get(c);
    f.seekp(2000);
    f.put(static_cast<char>(c ^ 0x20));
  }
  Reopen();
  std::vector<int64_t> ts;
  ASSERT_TRUE(table_
                  ->Scan(LogScan{.direction = Direction::kForward},
                         [&](const LogRow& row) {
                           ts.push_back(row.timestamp_ns);
                           return true;
                         })
                  .ok());
  // The intact block's rows are all there.
  EXPECT_EQ(std::count_if(ts.begin(), ts.end(), [](int64_t t) { return t >= kT0 + 1'000'000; }),
            1200);
  EXPECT_EQ(table_->stats().damaged_blocks, 1);
  std::vector<CatalogIssue> issues = table_->issues();
  ASSERT_EQ(issues.size(), 1u);
  EXPECT_NE(issues[0].problem.find("DATA_LOSS"), std::string::npos) << issues[0].problem;
  EXPECT_TRUE(fs::exists(blocks[0].string() + ".corrupt"));
  // Set aside for good: the next Open serves the intact block only.
  Reopen();
  EXPECT_EQ(CountAll(), 1200);
}

TEST_F(LogFlushTest, RetentionByAgeAndBySize) {
  Append(Batches(200, 0, 7));  // kT0 + [0, 0.2 ms)
  ASSERT_TRUE(table_->Flush().ok());
  Append(Batches(200, 10'000'000, 8));  // kT0 + 10 s
  ASSERT_TRUE(table_->Flush().ok());
  Append(Batches(200, 20'000'000, 9));  // kT0 + 20 s
  ASSERT_TRUE(table_->Flush().ok());
  const uint64_t newest_bytes = fs::file_size(BlockFiles().back());
  table_.reset();
  options_.retention_age = std::chrono::seconds(15);
  options_.retention_bytes = newest_bytes;
  Reopen();
  // At kT0 + 25 s the first block (ends at kT0) is older than 15 s.
  Result<RetentionResult> r = table_->ApplyRetention(kT0 + 25'000'000'000);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed_ids.size(), 2u);  // one by age, one by size
  LogTableStats stats = table_->stats();
  EXPECT_EQ(stats.blocks, 1);
  EXPECT_EQ(stats.retention_removed_blocks, 2);
  EXPECT_EQ(CountAll(), 800);
  int64_t oldest = INT64_MAX;
  ASSERT_TRUE(table_
                  ->Scan(LogScan{.direction = Direction::kForward},
                         [&](const LogRow& row) {
                           oldest = row.timestamp_ns;
                           return false;
                         })
                  .ok());
  EXPECT_EQ(oldest, kT0 + 20'000'000'000);
}

TEST_F(LogFlushTest, CompactionMergesLevelZeroBlocksOfAWindow) {
  auto all = Batches(600, 0, 10);
  const size_t n = all.size();
  std::vector<std::vector<LogStream>> copy = all;
  Append(std::move(copy));
  const std::string expected = Everything();
  TearDown();
  SetUp();
  for (size_t i = 0; i < n; ++i) {
    ASSERT_TRUE(table_->AppendLogs(std::move(all[i])).ok());
    if (i % 3 == 2) {
      ASSERT_TRUE(table_->Flush().ok());
    }
  }
  ASSERT_TRUE(table_->Flush().ok());
  ASSERT_GE(table_->stats().blocks, 3);
  Result<int> written = table_->Compact();
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_EQ(*written, 1);
  EXPECT_EQ(table_->stats().blocks, 1);
  EXPECT_EQ(Everything(), expected);
  Reopen();
  EXPECT_EQ(Everything(), expected);
}

TEST_F(LogFlushTest, SustainedAppendsWithASmallFlushSizeAreNeverRefused) {
  options_.head_flush_bytes = 256 << 10;
  options_.memory_limit_bytes = 2 << 20;  // 8x the flush size, 1/6 of the data
  Reopen(/*background=*/true);
  int64_t appended = 0;
  for (int round = 0; round < 6; ++round) {
    for (auto& batch : Batches(1000, round * 1000, 20 + round)) {
      for (const LogStream& s : batch) appended += s.entries.size();
      Result<AppendResult> r = table_->AppendLogs(std::move(batch));
      ASSERT_TRUE(r.ok()) << r.status().message();
    }
  }
  EXPECT_EQ(table_->stats().refused_appends, 0);
  EXPECT_GT(table_->stats().flushes, 0);
  EXPECT_EQ(CountAll(), appended);
  Reopen();
  EXPECT_EQ(CountAll(), appended);
}

}  // namespace
}  // namespace quartet::store

#include "server/store/logs/log_table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "server/store/logs/log_record.h"

namespace quartet::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
using Op = LabelMatch::Op;

TraceId MakeTraceId(uint8_t n) {
  TraceId id;
  id.bytes[15] = n;
  return id;
}
SpanId MakeSpanId(uint8_t n) {
  SpanId id;
  id.bytes[7] = n;
  return id;
}

LogEntry Entry(int64_t t, std::string line, uint8_t trace = 0, uint8_t span = 0) {
  LogEntry e;
  e.timestamp_ns = kT0 + t;
  e.line = std::move(line);
  if (trace != 0) {
    e.trace_id = MakeTraceId(trace);
    e.structured_metadata = {{"trace_id", e.trace_id.ToHex()}};
  }
  if (span != 0) e.span_id = MakeSpanId(span);
  return e;
}

class LogTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("log_table_test_" + std::to_string(std::random_device{}()));
    options_.dir = dir_.string();
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    table_.reset();
    Result<std::unique_ptr<LogTable>> t = LogTable::Open(options_);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  void Append(std::vector<LogStream> streams) {
    Result<AppendResult> r = table_->AppendLogs(std::move(streams));
    ASSERT_TRUE(r.ok()) << r.status().message();
  }
  // "app:line" for each delivered row.
  std::vector<std::string> Lines(const LogScan& scan) {
    std::vector<std::string> out;
    Status s = table_->Scan(scan, [&](const LogRow& row) {
      out.push_back(std::string(LabelValue(*row.stream, "app")) + ":" + std::string(row.line));
      return true;
    });
    EXPECT_TRUE(s.ok()) << s.message();
    return out;
  }
  void AppendTwoApps() {
    Append(
        {LogStream{{{"app", "checkout"}, {"env", "prod"}},
                   {Entry(10, "c1"), Entry(30, "c3 error"), Entry(20, "c2")}},
         LogStream{{{"app", "cart"}, {"env", "prod"}}, {Entry(15, "k1"), Entry(25, "k2 error")}}});
  }

  std::filesystem::path dir_;
  TableOptions options_;
  std::unique_ptr<LogTable> table_;
};

TEST_F(LogTableTest, ScanMergesStreamsInTimeOrderBothWays) {
  AppendTwoApps();
  LogScan scan;
  scan.matchers = {{"env", Op::kEq, "prod"}};
  scan.direction = Direction::kForward;
  EXPECT_EQ(Lines(scan), (std::vector<std::string>{"checkout:c1", "cart:k1", "checkout:c2",
                                                   "cart:k2 error", "checkout:c3 error"}));
  scan.direction = Direction::kBackward;
  EXPECT_EQ(Lines(scan), (std::vector<std::string>{"checkout:c3 error", "cart:k2 error",
                                                   "checkout:c2", "cart:k1", "checkout:c1"}));
}

TEST_F(LogTableTest, ScanHonoursMatchersRangeAndSubstrings) {
  AppendTwoApps();
  LogScan scan;
  scan.direction = Direction::kForward;
  scan.matchers = {{"app", Op::kRe, "check.*"}};
  EXPECT_EQ(Lines(scan),
            (std::vector<std::string>{"checkout:c1", "checkout:c2", "checkout:c3 error"}));
  scan.matchers = {{"app", Op::kNeq, "checkout"}};
  EXPECT_EQ(Lines(scan), (std::vector<std::string>{"cart:k1", "cart:k2 error"}));
  scan.matchers = {{"app", Op::kNre, "c.*"}};
  EXPECT_TRUE(Lines(scan).empty());
  scan.matchers = {};
  scan.range = {kT0 + 15, kT0 + 30};  // end exclusive
  EXPECT_EQ(Lines(scan), (std::vector<std::string>{"cart:k1", "checkout:c2", "cart:k2 error"}));
  scan.range = {};
  scan.required_substrings = {"error"};
  EXPECT_EQ(Lines(scan), (std::vector<std::string>{"cart:k2 error", "checkout:c3 error"}));

  int delivered = 0;
  ASSERT_TRUE(table_->Scan(LogScan{}, [&](const LogRow&) { return ++delivered < 2; }).ok());
  EXPECT_EQ(delivered, 2);

  scan.matchers = {{"app", Op::kRe, "("}};
  EXPECT_EQ(table_->Scan(scan, [](const LogRow&) { return true; }).code(),
            StatusCode::kInvalidArgument);
}

TEST_F(LogTableTest, LogsOfATraceAndOfASpanWithoutATimeRange) {
  Append({LogStream{{{"app", "checkout"}},
                    {Entry(30, "t1 late", 1, 2), Entry(10, "t1 first", 1, 1), Entry(20, "other", 2),
                     Entry(40, "no trace")}},
          LogStream{{{"app", "db"}}, {Entry(25, "t1 db", 1, 3)}}});
  std::vector<std::string> lines;
  auto collect = [&](const LogRow& row) {
    lines.push_back(std::string(row.line));
    return true;
  };
  ASSERT_TRUE(table_->LogsOfTrace(MakeTraceId(1), SpanId{}, collect).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"t1 first", "t1 db", "t1 late"}));
  lines.clear();
  ASSERT_TRUE(table_->LogsOfTrace(MakeTraceId(1), MakeSpanId(3), collect).ok());
  EXPECT_EQ(lines, (std::vector<std::string>{"t1 db"}));
  EXPECT_EQ(table_->CountLogsOfTrace(MakeTraceId(1)), 3);
  EXPECT_EQ(table_->CountLogsOfTrace(MakeTraceId(7)), 0);
}

TEST_F(LogTableTest, AcknowledgedLinesSurviveReopen) {
  AppendTwoApps();
  Append({LogStream{{{"app", "checkout"}, {"env", "prod"}}, {Entry(5, "early", 4, 1)}}});
  Reopen();
  EXPECT_EQ(table_->stats().entries, 6);
  EXPECT_EQ(table_->stats().streams, 2);
  LogScan scan;
  scan.direction = Direction::kForward;
  scan.matchers = {{"app", Op::kEq, "checkout"}};
  EXPECT_EQ(Lines(scan), (std::vector<std::string>{"checkout:early", "checkout:c1", "checkout:c2",
                                                   "checkout:c3 error"}));
  EXPECT_EQ(table_->CountLogsOfTrace(MakeTraceId(4)), 1);
}

TEST_F(LogTableTest, LabelsValuesAndSeries) {
  AppendTwoApps();
  EXPECT_EQ(*table_->LabelNames({}), (std::vector<std::string>{"app", "env"}));
  EXPECT_EQ(*table_->LabelValues("app", {}), (std::vector<std::string>{"cart", "checkout"}));
  Result<std::vector<Labels>> series = table_->Series({{"app", Op::kEq, "cart"}}, {});
  ASSERT_TRUE(series.ok());
  ASSERT_EQ(series->size(), 1u);
  EXPECT_EQ((*series)[0], (Labels{{"app", "cart"}, {"env", "prod"}}));
  EXPECT_TRUE(table_->LabelNames({kT0 + 1000, kT0 + 2000})->empty());
}

TEST(LogRecord, RoundTrip) {
  std::vector<LogStream> streams = {
      LogStream{{{"app", "a"}}, {Entry(1, "x", 1, 2), Entry(2, std::string("\0bin", 4))}},
      LogStream{{{"app", "b"}, {"k", "v"}}, {}}};
  Result<std::vector<LogStream>> back = DecodeLogBatch(EncodeLogBatch(streams));
  ASSERT_TRUE(back.ok());
  ASSERT_EQ(back->size(), 2u);
  EXPECT_EQ((*back)[0].labels, streams[0].labels);
  EXPECT_EQ((*back)[0].entries[0].trace_id, streams[0].entries[0].trace_id);
  EXPECT_EQ((*back)[0].entries[0].span_id, streams[0].entries[0].span_id);
  EXPECT_EQ((*back)[0].entries[0].structured_metadata, streams[0].entries[0].structured_metadata);
  EXPECT_EQ((*back)[0].entries[1].line, streams[0].entries[1].line);
  EXPECT_EQ((*back)[1].labels, streams[1].labels);
  EXPECT_FALSE(DecodeLogBatch("\x0a\x05\x12\x03\x22\x01").ok());
}

}  // namespace
}  // namespace quartet::store

namespace quartet::store {
namespace {

std::vector<LogStream> DistinctStreams(int first, int count) {
  std::vector<LogStream> out;
  for (int i = first; i < first + count; ++i) {
    out.push_back(LogStream{{{"request_id", std::to_string(i)}}, {Entry(i, "line")}});
  }
  return out;
}

TEST_F(LogTableTest, StreamLimitRefusesUnboundedLabelValues) {
  options_.max_streams = 100;
  Reopen();
  // One request with more new streams than the limit can never fit: bad input.
  Result<AppendResult> r = table_->AppendLogs(DistinctStreams(0, 101));
  ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("101 new streams, over the limit of 100"), std::string::npos)
      << r.status().message();
  // Requests that fit alone but not together: the one over the limit is
  // pushed back, nothing of it stored, and known streams still append.
  ASSERT_TRUE(table_->AppendLogs(DistinctStreams(0, 60)).ok());
  r = table_->AppendLogs(DistinctStreams(60, 60));
  ASSERT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_NE(r.status().message().find("active stream limit exceeded"), std::string::npos);
  ASSERT_TRUE(table_->AppendLogs(DistinctStreams(0, 60)).ok());
  EXPECT_EQ(table_->stats().streams, 60);
  EXPECT_EQ(table_->stats().entries, 120);
}

}  // namespace
}  // namespace quartet::store

// Scans read the log table without holding its lock while they deliver rows:
// appends and flushes go on under a scan whose consumer is slow, and the scan
// still sees exactly the rows that were there when it started. Runs under
// TSan in CI (label "concurrency").
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <future>
#include <random>
#include <thread>

#include "server/store/logs/log_table.h"

namespace quartet::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;

std::vector<LogStream> Batch(int64_t first, int n) {
  LogStream s;
  s.labels = {{"app", "checkout"}};
  for (int i = 0; i < n; ++i) {
    LogEntry& e = s.entries.emplace_back();
    e.timestamp_ns = kT0 + first + i;
    e.line = "line " + std::to_string(first + i);
  }
  return {std::move(s)};
}

class LogScanConcurrencyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("log_scan_concurrency_" + std::to_string(std::random_device{}()));
    TableOptions options;
    options.dir = dir_.string();
    options.sync = SyncPolicy::kNever;
    auto t = LogTable::Open(options, /*background=*/false);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  void TearDown() override {
    table_.reset();
    std::filesystem::remove_all(dir_);
  }
  std::filesystem::path dir_;
  std::unique_ptr<LogTable> table_;
};

TEST_F(LogScanConcurrencyTest, AppendsAndFlushesProceedWhileAScanDeliversRows) {
  ASSERT_TRUE(table_->AppendLogs(Batch(0, 500)).ok());
  ASSERT_TRUE(table_->Flush().ok());                      // rows in a block ...
  ASSERT_TRUE(table_->AppendLogs(Batch(500, 500)).ok());  // ... and in the head

  std::promise<void> writer_done;
  std::future<void> done = writer_done.get_future();
  // The writer starts once the scan has delivered its first row (its view
  // of the table is taken by then): started earlier, it could append
  // before the scan begins, and the scan would rightly see those rows.
  std::promise<void> scan_started;
  std::future<void> started = scan_started.get_future();
  std::atomic<bool> writer_finished_during_scan{false};
  int64_t delivered = 0;
  std::thread scanner([&] {
    LogScan scan;
    scan.matchers = {{"app", LabelMatch::Op::kEq, "checkout"}};
    scan.direction = Direction::kForward;
    ASSERT_TRUE(table_
                    ->Scan(scan,
                           [&](const LogRow& row) {
                             if (delivered == 0) {
                               scan_started.set_value();
                               // Hold the scan here until the writer is through.
                               writer_finished_during_scan =
                                   done.wait_for(std::chrono::seconds(20)) ==
                                   std::future_status::ready;
                             }
                             EXPECT_EQ(row.line, "line " + std::to_string(delivered));
                             ++delivered;
                             return true;
                           })
                    .ok());
  });
  std::thread writer([&] {
    started.wait();
    for (int i = 0; i < 20; ++i) {
      EXPECT_TRUE(table_->AppendLogs(Batch(1000 + i * 100, 100)).ok());
      if (i % 5 == 4) {
        EXPECT_TRUE(table_->Flush().ok());  // the scanned head is flushed away
      }
    }
    writer_done.set_value();
  });
  writer.join();
  scanner.join();
  EXPECT_TRUE(writer_finished_during_scan);
  // The scan delivered what was there when it began, in order, and no more.
  EXPECT_EQ(delivered, 1000);

  int64_t now = 0;
  LogScan all;
  all.matchers = {{"app", LabelMatch::Op::kEq, "checkout"}};
  ASSERT_TRUE(table_->Scan(all, [&](const LogRow&) { return ++now, true; }).ok());
  EXPECT_EQ(now, 3000);
}

}  // namespace
}  // namespace quartet::store

// Many threads logging through one pipeline (run under TSan in CI): no line
// lost in block mode, none interleaved, every line intact; drop mode keeps
// exact accounting under contention; the global pipeline can be swapped while
// threads log.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <set>
#include <thread>
#include <vector>

#include "sdk/context/current.h"
#include "sdk/log/log_pipeline.h"
#include "sdk/log/log_test_util.h"

namespace quartet {
namespace {

using namespace std::chrono_literals;
using log_test::ParseLines;
using log_test::ReadLines;
using log_test::Str;
using log_test::TempFile;

constexpr int kThreads = 4;
constexpr int kPerThread = 3000;

TEST(LogConcurrencyTest, BlockModeNoLineLostOrInterleaved) {
  TempFile file;
  LogPipelineOptions o;
  o.output = file.path();
  o.buffer_records = 64;  // small: producers contend and wait
  o.block_when_full = true;
  auto r = LogPipeline::Start(o);
  ASSERT_TRUE(r.ok());
  auto p = std::move(r).value();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      SpanContext span;
      span.trace_id.bytes[0] = static_cast<uint8_t>(t + 1);
      span.span_id.bytes[0] = static_cast<uint8_t>(t + 1);
      context_internal::Frame frame;
      frame.span = &span;
      context_internal::Push(&frame);
      Logger log = p->logger().With({{"thread", t}});
      // Every third record is long enough to spill to the heap.
      const std::string pad(600, static_cast<char>('a' + t));
      for (int i = 0; i < kPerThread; ++i) {
        log.Info("work", {{"i", i}, {"pad", i % 3 == 0 ? std::string_view(pad) : "s"}});
      }
      context_internal::Pop(&frame);
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(p->Shutdown(20s));
  EXPECT_EQ(p->dropped(), 0u);
  const auto raw = ReadLines(file.path());
  ASSERT_EQ(raw.size(), static_cast<size_t>(kThreads * kPerThread));
  auto lines = ParseLines(raw);
  ASSERT_EQ(lines.size(), raw.size());
  std::vector<int> next(kThreads, 0);
  for (const auto& l : lines) {
    const int t = static_cast<int>(*l.Find("thread")->int_value());
    ASSERT_GE(t, 0);
    ASSERT_LT(t, kThreads);
    const int i = static_cast<int>(*l.Find("i")->int_value());
    EXPECT_EQ(i, next[t]) << "per-thread order";
    next[t] = i + 1;
    // The trace context is the writing thread's own.
    EXPECT_EQ(Str(l, "trace_id").substr(0, 2), "0" + std::to_string(t + 1));
    const std::string pad = Str(l, "pad");
    EXPECT_TRUE(i % 3 == 0 ? pad == std::string(600, static_cast<char>('a' + t)) : pad == "s");
  }
  for (int t = 0; t < kThreads; ++t) EXPECT_EQ(next[t], kPerThread);
}

TEST(LogConcurrencyTest, DropModeAccountsForEveryRecord) {
  TempFile file;
  LogPipelineOptions o;
  o.output = file.path();
  o.buffer_records = 16;
  auto r = LogPipeline::Start(o);
  ASSERT_TRUE(r.ok());
  auto p = std::move(r).value();
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kPerThread; ++i) p->logger().Info("x", {{"i", i}});
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(p->Shutdown(20s));
  uint64_t records = 0, reported = 0;
  for (const auto& l : ParseLines(ReadLines(file.path()))) {
    if (Str(l, "message") == "x") {
      ++records;
    } else {
      reported += static_cast<uint64_t>(*l.Find("dropped")->int_value());
    }
  }
  EXPECT_EQ(records + p->dropped(), static_cast<uint64_t>(kThreads * kPerThread));
  EXPECT_EQ(reported, p->dropped());
}

TEST(LogConcurrencyTest, SwappingTheGlobalPipelineWhileLogging) {
  TempFile a, b;
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  std::vector<std::shared_ptr<LogPipeline>> pipelines;
  for (const TempFile* f : {&a, &b, &a}) {
    LogPipelineOptions o;
    o.output = f->path();
    auto r = LogPipeline::Start(o);
    ASSERT_TRUE(r.ok());
    pipelines.push_back(std::move(r).value());
    InstallGlobalLogPipeline(pipelines.back());
    if (threads.empty()) {  // start logging once off the stderr default
      for (int t = 0; t < 2; ++t) {
        threads.emplace_back([&] {
          while (!stop.load()) Log().Warn("swap", {{"k", 1}});
        });
      }
    }
    std::this_thread::sleep_for(20ms);
  }
  // Shut an installed pipeline down while threads still log through it.
  for (auto& p : pipelines) EXPECT_TRUE(p->Shutdown(10s));
  std::this_thread::sleep_for(5ms);
  stop = true;
  for (auto& th : threads) th.join();
  ResetGlobalLogPipeline();
  for (const TempFile* f : {&a, &b}) {
    const auto raw = ReadLines(f->path());
    EXPECT_FALSE(raw.empty());
    EXPECT_EQ(ParseLines(raw).size(), raw.size());
  }
}

}  // namespace
}  // namespace quartet

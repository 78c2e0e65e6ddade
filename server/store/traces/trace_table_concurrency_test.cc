// Appends, queries, flushes and compactions at once: every acknowledged span
// is found exactly once, during and after.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "server/store/traces/trace_table.h"

namespace quartet::store {
namespace {

TEST(TraceTableConcurrencyTest, AppendsQueriesAndFlushesTogether) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("trace_concurrency_test_" + std::to_string(std::random_device{}()));
  TableOptions options;
  options.dir = dir.string();
  options.sync = SyncPolicy::kNever;
  options.head_flush_bytes = 32 << 10;
  options.retention_age = std::chrono::seconds(0);
  auto table = std::move(TraceTable::Open(options).value());
  constexpr int kWriters = 2, kPerWriter = 1500;
  std::atomic<int> done{0};
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      for (int i = 0; i < kPerWriter; ++i) {
        otlp::ExportTraceServiceRequest r;
        auto& rs = r.resource_spans.emplace_back();
        rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String("s")});
        auto& span = rs.scope_spans.emplace_back().spans.emplace_back();
        span.trace_id.bytes[0] = static_cast<uint8_t>(w + 1);
        span.trace_id.bytes[14] = static_cast<uint8_t>(i >> 8);
        span.trace_id.bytes[15] = static_cast<uint8_t>(i);
        span.span_id.bytes[7] = 1;
        span.name = std::string(100, 'x');
        span.start_time_unix_nano = 1000 + i;
        span.end_time_unix_nano = 2000 + i;
        ASSERT_TRUE(table->AppendSpans(r).ok());
        // A late second span of an earlier trace: split across sources.
        if (i >= 10) {
          span.trace_id.bytes[14] = static_cast<uint8_t>((i - 10) >> 8);
          span.trace_id.bytes[15] = static_cast<uint8_t>(i - 10);
          span.span_id.bytes[7] = 2;
          ASSERT_TRUE(table->AppendSpans(r).ok());
        }
      }
      done.fetch_add(1);
    });
  }
  threads.emplace_back([&] {
    while (done.load() < kWriters) {
      int64_t seen = 0;
      ASSERT_TRUE(table
                      ->SearchTraces({},
                                     [&](const TraceCandidate& c) {
                                       ++seen;
                                       return seen < 50;
                                     })
                      .ok());
      (void)table->TagValues("", "service.name", {}, 10);
      ASSERT_TRUE(table->Compact().ok());
    }
  });
  threads.emplace_back([&] {
    while (done.load() < kWriters) ASSERT_TRUE(table->Flush().ok());
  });
  for (auto& t : threads) t.join();
  ASSERT_TRUE(table->Flush().ok());  // at least one flush after the concurrent ones
  const TraceTableStats s = table->stats();
  EXPECT_EQ(s.spans + s.block_spans, kWriters * (2 * kPerWriter - 10));
  EXPECT_GE(s.flushes, 2);
  int64_t traces = 0, spans = 0;
  ASSERT_TRUE(table
                  ->SearchTraces({},
                                 [&](const TraceCandidate& c) {
                                   ++traces;
                                   spans += c.summary->span_count;
                                   return true;
                                 })
                  .ok());
  EXPECT_EQ(traces, kWriters * kPerWriter);
  EXPECT_EQ(spans, kWriters * (2 * kPerWriter - 10));
  table.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::store

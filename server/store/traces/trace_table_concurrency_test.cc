// Appends, queries, flushes and compactions at once: every acknowledged span
// is found exactly once, during and after.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <thread>

#include "base/clock.h"
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

// Searches with span conditions (served from the shared search cache and
// scanned on the pool) running on several threads while other traces are
// appended, flushed and compacted (blocks replaced, their cache entries
// dropped): every search finds exactly the traces a quiet table found.
TEST(TraceTableConcurrencyTest, CachedParallelSearchesDuringFlushAndCompaction) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("trace_search_concurrency_test_" + std::to_string(std::random_device{}()));
  TableOptions options;
  options.dir = dir.string();
  options.sync = SyncPolicy::kNever;
  options.retention_age = std::chrono::seconds(0);
  // A small cache, so that entries are evicted while searches hold them.
  auto table = std::move(TraceTable::Open(options, /*background=*/false, 16 << 10).value());
  auto add = [&](int i, const std::string& name) {
    otlp::ExportTraceServiceRequest r;
    auto& rs = r.resource_spans.emplace_back();
    rs.resource.attributes.push_back(
        {"service.name", otlp::AnyValue::String(i % 2 ? "odd" : "even")});
    for (int k = 0; k < 3; ++k) {
      auto& span = rs.scope_spans.emplace_back().spans.emplace_back();
      span.trace_id.bytes[0] = static_cast<uint8_t>(i >> 8);
      span.trace_id.bytes[1] = static_cast<uint8_t>(i);
      span.trace_id.bytes[2] = name == "late" ? 1 : 0;
      span.span_id.bytes[7] = static_cast<uint8_t>(k + 1);
      span.name = name + std::to_string(k);
      span.start_time_unix_nano = 1'000'000 + static_cast<uint64_t>(i) * 10;
      span.end_time_unix_nano = span.start_time_unix_nano + 100 * static_cast<uint64_t>(k + 1);
      span.attributes.push_back({"code", otlp::AnyValue::Int((i * 7 + k) % 600)});
    }
    return table->AppendSpans(r).status();
  };
  for (int i = 0; i < 900; ++i) {
    ASSERT_TRUE(add(i, "op").ok());
    if (i % 300 == 299) {
      ASSERT_TRUE(table->Flush().ok());
    }
  }
  std::vector<TraceFilter> filters(4);
  filters[0].span_name = "op1";
  filters[0].numeric_attributes = {{"code", NumericAttributeCondition::Op::kGte, 300}};
  filters[1].service = "odd";
  filters[1].min_span_duration_ns = 250;
  filters[2].numeric_attributes = {{"code", NumericAttributeCondition::Op::kLt, 20}};
  filters[3].span_name = "op0";
  filters[3].other_spans.emplace_back().numeric_attributes = {
      {"code", NumericAttributeCondition::Op::kEq, 42}};
  auto ids = [&](const TraceFilter& f) {
    std::vector<TraceId> out;
    Status st = table->SearchTraces(f, [&](const TraceCandidate& c) {
      if (c.summary->trace_id.bytes[2] == 0) out.push_back(c.summary->trace_id);
      return true;
    });
    EXPECT_TRUE(st.ok()) << st.message();
    return out;
  };
  std::vector<std::vector<TraceId>> want;
  for (const TraceFilter& f : filters) {
    want.push_back(ids(f));
    ASSERT_FALSE(want.back().empty());
  }
  std::atomic<bool> stop{false};
  std::atomic<int> wrong{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) {
    threads.emplace_back([&, t] {
      for (int round = 0; round < 4; ++round) {
        const size_t k = static_cast<size_t>(t + round) % filters.size();
        if (ids(filters[k]) != want[k]) wrong.fetch_add(1);
      }
    });
  }
  threads.emplace_back([&] {
    for (int i = 0; !stop.load(); ++i) {
      ASSERT_TRUE(add(i % 900, "late").ok());
      if (i % 100 == 99) {
        ASSERT_TRUE(table->Flush().ok());
        ASSERT_TRUE(table->Compact().ok());
      }
    }
  });
  for (size_t t = 0; t < 3; ++t) threads[t].join();
  stop.store(true);
  threads.back().join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_GT(table->stats().search_cache.evictions, 0);
  EXPECT_LE(table->stats().search_cache.bytes, size_t{16} << 10);
  table.reset();
  std::filesystem::remove_all(dir);
}

// The background thread fills the search cache with the blocks' search
// columns after open, so that the first search does not decode them; it
// never evicts to do so.
TEST(TraceTableConcurrencyTest, BackgroundWarmsTheSearchCache) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("trace_warm_test_" + std::to_string(std::random_device{}()));
  TableOptions options;
  options.dir = dir.string();
  options.sync = SyncPolicy::kNever;
  options.retention_age = std::chrono::seconds(0);
  {
    auto table = std::move(TraceTable::Open(options, /*background=*/false).value());
    for (int i = 0; i < 3000; ++i) {
      otlp::ExportTraceServiceRequest r;
      auto& span = r.resource_spans.emplace_back().scope_spans.emplace_back().spans.emplace_back();
      span.trace_id.bytes[0] = static_cast<uint8_t>(i >> 8);
      span.trace_id.bytes[1] = static_cast<uint8_t>(i);
      span.trace_id.bytes[2] = 1;  // never the invalid all-zero id
      span.span_id.bytes[7] = 1;
      span.name = i % 3 == 0 ? "three" : "other";
      span.start_time_unix_nano = 1000 + static_cast<uint64_t>(i);
      span.end_time_unix_nano = 2000 + static_cast<uint64_t>(i);
      ASSERT_TRUE(table->AppendSpans(r).ok());
    }
    ASSERT_TRUE(table->Flush().ok());
  }
  auto table = std::move(TraceTable::Open(options, /*background=*/true).value());
  const int64_t deadline = MonotonicNanos() + 10'000'000'000;
  while (table->stats().search_cache.entries < 2 && MonotonicNanos() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  const SearchCacheStats warmed = table->stats().search_cache;
  EXPECT_EQ(warmed.entries, 2u);  // 3000 spans: row groups of 2048 + 952
  EXPECT_EQ(warmed.evictions, 0);
  TraceFilter f;
  f.span_name = "three";
  int found = 0;
  ASSERT_TRUE(table->SearchTraces(f, [&](const TraceCandidate&) { return ++found, true; }).ok());
  EXPECT_EQ(found, 1000);
  EXPECT_EQ(table->stats().search_cache.misses, warmed.misses);
  EXPECT_EQ(table->stats().search_cache.hits, warmed.hits + 2);
  table.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::store

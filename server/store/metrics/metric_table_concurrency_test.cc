// Appends, selects and flushes at once, on private and shared series: every
// acknowledged sample is found exactly once, during the run (each series in
// time order) and after a restart (replay of WAL records that concurrent
// appenders wrote in another order than they entered the head).
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include "server/store/metrics/metric_table.h"

namespace quartet::store {
namespace {

TEST(MetricTableConcurrencyTest, AppendsSelectsAndFlushesTogether) {
  const std::filesystem::path dir =
      std::filesystem::temp_directory_path() /
      ("metric_concurrency_test_" + std::to_string(std::random_device{}()));
  MetricTableOptions options;
  options.table.dir = dir.string();
  options.table.sync = SyncPolicy::kNever;
  auto table = std::move(MetricTable::Open(options, /*background=*/false).value());
  constexpr int kWriters = 3, kBatches = 1500, kSeriesPerWriter = 20;
  constexpr int64_t kT0 = 1'700'000'000'000;
  std::atomic<int64_t> shared_clock{kT0};
  std::atomic<int> writers_done{0};
  std::mutex mu;
  std::set<int64_t> shared_accepted;  // guarded by mu
  int64_t private_accepted = 0;       // guarded by mu
  std::vector<std::thread> threads;
  for (int w = 0; w < kWriters; ++w) {
    threads.emplace_back([&, w] {
      int64_t mine = 0;
      std::vector<int64_t> shared;
      for (int b = 0; b < kBatches; ++b) {
        MetricBatch batch;
        for (int s = 0; s < kSeriesPerWriter; ++s) {
          batch.series.push_back(
              {{{"__name__", "private"}, {"s", std::to_string(s)}, {"w", std::to_string(w)}},
               {{kT0 + b * 1000, static_cast<double>(b)}},
               {}});
        }
        const int64_t t = shared_clock.fetch_add(1);
        batch.series.push_back({{{"__name__", "shared"}}, {{t, static_cast<double>(t)}}, {}});
        Result<MetricAppendResult> r = table->Append(batch);
        ASSERT_TRUE(r.ok()) << r.status().ToString();
        ASSERT_EQ(r->conflicting_samples, 0);
        // Only the shared series races: a later timestamp may win.
        ASSERT_EQ(r->accepted_samples + r->out_of_order_samples, kSeriesPerWriter + 1);
        mine += kSeriesPerWriter;
        if (r->accepted_samples == kSeriesPerWriter + 1) shared.push_back(t);
      }
      std::lock_guard l(mu);
      private_accepted += mine;
      shared_accepted.insert(shared.begin(), shared.end());
      writers_done.fetch_add(1);
    });
  }
  threads.emplace_back([&] {  // flusher
    while (writers_done.load() < kWriters) {
      ASSERT_TRUE(table->Flush().ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  threads.emplace_back([&] {  // reader: series in time order, counts never shrink
    int64_t last_total = 0;
    while (writers_done.load() < kWriters) {
      int64_t total = 0;
      ASSERT_TRUE(table
                      ->Select({{"__name__", LabelMatch::Op::kEq, "private"}}, INT64_MIN, INT64_MAX,
                               [&](const Labels&, std::span<const Sample> samples) {
                                 for (size_t i = 1; i < samples.size(); ++i) {
                                   EXPECT_LT(samples[i - 1].t_ms, samples[i].t_ms);
                                 }
                                 total += static_cast<int64_t>(samples.size());
                                 return true;
                               })
                      .ok());
      EXPECT_GE(total, last_total);
      last_total = total;
    }
  });
  for (auto& t : threads) t.join();

  auto check = [&](MetricTable* t) {
    int64_t total = 0;
    std::vector<int64_t> shared;
    ASSERT_TRUE(
        t->Select({}, INT64_MIN, INT64_MAX, [&](const Labels& l, std::span<const Sample> samples) {
           if (l.size() == 1) {
             for (const Sample& s : samples) shared.push_back(s.t_ms);
           } else {
             total += static_cast<int64_t>(samples.size());
           }
           return true;
         }).ok());
    EXPECT_EQ(total, private_accepted);
    EXPECT_EQ(shared, std::vector<int64_t>(shared_accepted.begin(), shared_accepted.end()));
  };
  check(table.get());
  ASSERT_TRUE(table->Close().ok());
  table.reset();
  table = std::move(MetricTable::Open(options, /*background=*/false).value());
  check(table.get());
  table.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::store

// ProfileTable under concurrent appends, selects, flushes and compactions
// (run under TSan): every profile appended is delivered exactly once at the
// end, and selects (SelectProfiles and SelectProfileBatches) never see a
// profile twice while blocks are swapped.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <random>
#include <set>
#include <thread>

#include "base/clock.h"
#include "server/store/profiles/profile_generator.h"
#include "server/store/profiles/profile_table.h"

namespace quartet::store {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
const char kCpu[] = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";

TEST(ProfileTableConcurrency, AppendsSelectsFlushesAndCompactions) {
  const auto dir = std::filesystem::temp_directory_path() /
                   ("profile_table_conc_" + std::to_string(std::random_device{}()));
  TableOptions o;
  o.dir = dir.string();
  o.sync = SyncPolicy::kNever;
  auto table = std::move(*ProfileTable::Open(o, /*background=*/false));
  const int64_t t0 = (UnixNanos() / kSecond - 7200) * kSecond;
  constexpr int kPerThread = 40;
  std::atomic<int64_t> expected{0};
  std::atomic<bool> done{false};
  std::atomic<int> appenders_left{2};
  auto appender = [&](int id) {
    ProfileGenerator gen(id + 1, 100, 150);
    for (int i = 0; i < kPerThread; ++i) {
      pprof::Profile p = gen.Next(0, 2);
      int64_t sum = 0;
      for (const auto& s : p.sample) sum += s.value[1];
      const int64_t t = t0 + (id * kPerThread + i) * 10 * kSecond;
      auto r = table->AppendProfile({{"__name__", "process_cpu"}, {"service_name", "s"}}, t,
                                    t + 10 * kSecond, p);
      ASSERT_TRUE(r.ok()) << r.status().message();
      expected += sum;
    }
    --appenders_left;
  };
  std::thread a(appender, 0), b(appender, 1);
  std::thread selector([&] {
    while (!done) {
      std::set<int64_t> seen;
      ASSERT_TRUE(table
                      ->SelectProfiles(kCpu, {}, {},
                                       [&](const StoredProfile& p) {
                                         EXPECT_TRUE(seen.insert(p.time_ns).second)
                                             << "profile delivered twice";
                                         return true;
                                       })
                      .ok());
    }
  });
  // The batch read of merges: the live head is read under the table lock,
  // blocks and the frozen head outside it; still each profile once.
  std::thread batch_selector([&] {
    while (!done) {
      std::set<int64_t> seen;
      ASSERT_TRUE(table
                      ->SelectProfileBatches(kCpu, {}, {},
                                             [&](const ProfileBatch& b) {
                                               for (const ProfileBatchRow& r : b.rows) {
                                                 EXPECT_TRUE(seen.insert(r.time_ns).second)
                                                     << "profile delivered twice";
                                                 for (uint32_t s : r.stacks) {
                                                   EXPECT_LT(s, b.stack_count());
                                                 }
                                               }
                                               return true;
                                             })
                      .ok());
    }
  });
  std::thread maintainer([&] {
    while (appenders_left > 0) {
      EXPECT_TRUE(table->Flush().ok());
      EXPECT_TRUE(table->Compact(/*all=*/true).ok());
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
  });
  a.join();
  b.join();
  maintainer.join();
  done = true;
  selector.join();
  batch_selector.join();
  int64_t batch_profiles = 0, batch_total = 0;
  ASSERT_TRUE(table
                  ->SelectProfileBatches(kCpu, {}, {},
                                         [&](const ProfileBatch& b) {
                                           for (const ProfileBatchRow& r : b.rows) {
                                             ++batch_profiles;
                                             for (int64_t v : r.values) batch_total += v;
                                           }
                                           return true;
                                         })
                  .ok());
  EXPECT_EQ(batch_profiles, 2 * kPerThread);
  EXPECT_EQ(batch_total, expected.load());
  auto count = table->CountSamples(kCpu, {}, {});
  ASSERT_TRUE(count.ok());
  EXPECT_EQ(count->first, 2 * kPerThread);
  EXPECT_EQ(count->second, expected.load());
  table.reset();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::store

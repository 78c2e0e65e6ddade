#include "examples/checkout/store.h"

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <filesystem>
#include <thread>
#include <vector>

namespace checkout {
namespace {

class StoreTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("checkout-store-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }
  std::string Path() const { return (dir_ / "orders.db").string(); }
  std::filesystem::path dir_;
};

TEST_F(StoreTest, SeedsOnceWithAHeavyUserWhoNeverSettled) {
  SeedPlan plan{.orders = 20000, .users = 500, .heavy_user_orders = 3000};
  auto store = Store::Open(Path(), plan);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto heavy = (*store)->SumOrdersForUser(kHeavyUser);
  ASSERT_TRUE(heavy.ok());
  EXPECT_EQ(heavy->rows, 3000);  // every order is open
  EXPECT_GT(heavy->total_cents, 3000 * 100);
  // Ordinary users settled recently: only orders among the last tenth of the
  // table (2000) are open, shared by 500 users.
  int64_t ordinary_rows = 0;
  for (int64_t user = kHeavyUser + 1; user <= kHeavyUser + plan.users; ++user) {
    auto ordinary = (*store)->SumOrdersForUser(user);
    ASSERT_TRUE(ordinary.ok());
    EXPECT_LT(ordinary->rows, 30) << user;
    ordinary_rows += ordinary->rows;
  }
  EXPECT_GT(ordinary_rows, 0);
  EXPECT_LT(ordinary_rows, plan.orders / 10);
  auto total = (*store)->CountOrders();
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, plan.orders);

  // Reopening must not seed again.
  store->reset();
  auto again = Store::Open(Path(), plan);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->CountOrders(), *total);
  EXPECT_EQ((*(*again)->SumOrdersForUser(kHeavyUser)).rows, 3000);
}

// The incident's mechanism: without the index only the heavy user's
// checkout scans the whole table; ordinary users scan their recent range.
TEST_F(StoreTest, DroppingTheIndexMakesOnlyTheHeavyUserScan) {
  auto store =
      Store::Open(Path(), SeedPlan{.orders = 200000, .users = 2000, .heavy_user_orders = 2000});
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(*(*store)->HasUserIndex());
  auto timed = [&](int64_t user) {
    EXPECT_TRUE((*store)->SumOrdersForUser(user).ok());  // warm the page cache
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 10; ++i) EXPECT_TRUE((*store)->SumOrdersForUser(user).ok());
    return std::chrono::steady_clock::now() - start;
  };
  auto heavy_indexed = timed(kHeavyUser);
  ASSERT_TRUE((*store)->DropUserIndex().ok());
  EXPECT_FALSE(*(*store)->HasUserIndex());
  auto heavy_scanned = timed(kHeavyUser);
  auto ordinary_scanned = timed(kHeavyUser + 7);
  // 200k rows scanned against 2k index entries; an ordinary user's range is
  // a tenth of the table at most.
  EXPECT_GT(heavy_scanned, heavy_indexed * 5);
  EXPECT_GT(heavy_scanned, ordinary_scanned * 4);
  EXPECT_EQ((*(*store)->SumOrdersForUser(kHeavyUser)).rows, 2000);  // same answer, slower
  ASSERT_TRUE((*store)->CreateUserIndex().ok());
  EXPECT_TRUE(*(*store)->HasUserIndex());
}

TEST_F(StoreTest, ThePoolLendsAtMostItsSize) {
  auto store =
      Store::Open(Path(), SeedPlan{.orders = 50000, .users = 100, .heavy_user_orders = 500},
                  /*pool_size=*/2);
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->DropUserIndex().ok());  // queries long enough to overlap
  std::atomic<bool> done{false};
  std::atomic<int64_t> max_active{0}, max_waiting{0};
  std::thread watcher([&] {
    while (!done) {
      PoolStats p = (*store)->pool_stats();
      EXPECT_EQ(p.size, 2);
      max_active = std::max<int64_t>(max_active, p.active);
      max_waiting = std::max<int64_t>(max_waiting, p.waiting);
    }
  });
  std::vector<std::thread> callers;
  for (int t = 0; t < 6; ++t) {
    callers.emplace_back([&] {
      for (int i = 0; i < 15; ++i) EXPECT_TRUE((*store)->SumOrdersForUser(kHeavyUser).ok());
    });
  }
  for (auto& c : callers) c.join();
  done = true;
  watcher.join();
  EXPECT_LE(max_active.load(), 2);
  EXPECT_GT(max_waiting.load(), 0);  // six callers, two connections
  EXPECT_EQ((*store)->pool_stats().active, 0);
  EXPECT_FALSE(Store::Open(Path(), SeedPlan{}, 0).ok());
}

TEST_F(StoreTest, FindsOrdersById) {
  auto store = Store::Open(Path(), SeedPlan{.orders = 20, .users = 10, .heavy_user_orders = 5});
  ASSERT_TRUE(store.ok());
  auto order = (*store)->FindOrder(1);
  ASSERT_TRUE(order.ok());
  ASSERT_TRUE(order->has_value());
  EXPECT_EQ((*order)->id, 1);
  auto missing = (*store)->FindOrder(1'000'000);
  ASSERT_TRUE(missing.ok());
  EXPECT_FALSE(missing->has_value());
}

TEST_F(StoreTest, ImpossibleSeedPlanIsAnError) {
  EXPECT_FALSE(
      Store::Open(Path(), SeedPlan{.orders = 10, .users = 5, .heavy_user_orders = 11}).ok());
  EXPECT_FALSE(Store::Open(Path() + "2", SeedPlan{.orders = 10, .users = 0}).ok());
}

TEST_F(StoreTest, UnopenablePathIsAnError) {
  auto store = Store::Open("/nonexistent-dir/x/orders.db", SeedPlan{});
  EXPECT_FALSE(store.ok());
}

}  // namespace
}  // namespace checkout

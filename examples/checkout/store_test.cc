#include "examples/checkout/store.h"

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>

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

TEST_F(StoreTest, SeedsOnceWithAHeavyUser) {
  SeedPlan plan{.orders = 20000, .users = 500, .heavy_user_orders = 3000};
  auto store = Store::Open(Path(), plan);
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  auto heavy = (*store)->SumOrdersForUser(kHeavyUser);
  ASSERT_TRUE(heavy.ok());
  EXPECT_EQ(heavy->rows, 3000);
  EXPECT_GT(heavy->total_cents, 3000 * 100);
  // Ordinary users share the rest: ~34 orders each, none has the heavy user's.
  int64_t ordinary_rows = 0;
  for (int64_t user = kHeavyUser + 1; user <= kHeavyUser + plan.users; ++user) {
    auto ordinary = (*store)->SumOrdersForUser(user);
    ASSERT_TRUE(ordinary.ok());
    EXPECT_LT(ordinary->rows, 200) << user;
    ordinary_rows += ordinary->rows;
  }
  EXPECT_EQ(ordinary_rows, plan.orders - plan.heavy_user_orders);
  auto total = (*store)->CountOrders();
  ASSERT_TRUE(total.ok());
  EXPECT_EQ(*total, plan.orders);

  // Reopening must not seed again.
  store->reset();
  auto again = Store::Open(Path(), plan);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*(*again)->CountOrders(), *total);
}

TEST_F(StoreTest, MigrationDropsAndRestoresTheIndex) {
  auto store =
      Store::Open(Path(), SeedPlan{.orders = 40000, .users = 2000, .heavy_user_orders = 20000});
  ASSERT_TRUE(store.ok());
  EXPECT_TRUE(*(*store)->HasUserIndex());
  auto timed = [&](int64_t user) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < 20; ++i) EXPECT_TRUE((*store)->SumOrdersForUser(user).ok());
    return std::chrono::steady_clock::now() - start;
  };
  auto indexed = timed(kHeavyUser + 7);
  ASSERT_TRUE((*store)->DropUserIndex().ok());
  EXPECT_FALSE(*(*store)->HasUserIndex());
  auto scanned = timed(kHeavyUser + 7);
  // A scan of 40k rows against an index probe: orders of magnitude apart.
  EXPECT_GT(scanned, indexed * 10);
  ASSERT_TRUE((*store)->CreateUserIndex().ok());
  EXPECT_TRUE(*(*store)->HasUserIndex());
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

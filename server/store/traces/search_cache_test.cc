#include "server/store/traces/search_cache.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

namespace quartet::store {
namespace {

// A numeric column of `n` spans: about 4n bytes (ints that fit 32 bits).
std::shared_ptr<const CachedNumericColumn> Column(size_t n, double v = 1) {
  return std::make_shared<const CachedNumericColumn>(std::vector<double>(n, v),
                                                     std::vector<uint8_t>(n, 1), true);
}

Result<std::shared_ptr<const CachedNumericColumn>> Get(SearchCache& cache, const std::string& key,
                                                       size_t n, int* loads) {
  return cache.GetNumeric(key, [&]() -> Result<std::shared_ptr<const CachedNumericColumn>> {
    ++*loads;
    return Column(n);
  });
}

TEST(SearchCacheTest, HitsMissesAndLeastRecentlyUsedEviction) {
  SearchCache cache(10'000);  // room for two 1000-span columns, not three
  int loads = 0;
  ASSERT_TRUE(Get(cache, "a", 1000, &loads).ok());
  ASSERT_TRUE(Get(cache, "b", 1000, &loads).ok());
  ASSERT_TRUE(Get(cache, "a", 1000, &loads).ok());  // hit: a is now the newest
  EXPECT_EQ(loads, 2);
  ASSERT_TRUE(Get(cache, "c", 1000, &loads).ok());  // evicts b, the least recently used
  EXPECT_EQ(loads, 3);
  ASSERT_TRUE(Get(cache, "a", 1000, &loads).ok());
  EXPECT_EQ(loads, 3);
  ASSERT_TRUE(Get(cache, "b", 1000, &loads).ok());
  EXPECT_EQ(loads, 4);
  const SearchCacheStats s = cache.stats();
  EXPECT_EQ(s.entries, 2u);
  EXPECT_LE(s.bytes, 10'000u);
  EXPECT_GE(s.bytes, 8'000u);
  EXPECT_EQ(s.hits, 2);
  EXPECT_EQ(s.misses, 4);
  EXPECT_EQ(s.evictions, 2);
}

TEST(SearchCacheTest, EntryLargerThanBudgetIsReturnedButNotKept) {
  SearchCache cache(1000);
  int loads = 0;
  for (int i = 0; i < 2; ++i) {
    auto c = Get(cache, "big", 10'000, &loads);
    ASSERT_TRUE(c.ok());
    EXPECT_EQ((*c)->size(), 10'000u);
  }
  EXPECT_EQ(loads, 2);
  EXPECT_EQ(cache.stats().entries, 0u);
  EXPECT_EQ(cache.stats().bytes, 0u);
}

TEST(SearchCacheTest, ZeroBudgetDisablesCaching) {
  SearchCache cache(0);
  int loads = 0;
  ASSERT_TRUE(Get(cache, "a", 1, &loads).ok());
  ASSERT_TRUE(Get(cache, "a", 1, &loads).ok());
  EXPECT_EQ(loads, 2);
}

TEST(SearchCacheTest, LoadErrorsAreReturnedAndNotCached) {
  SearchCache cache(1 << 20);
  auto failing = []() -> Result<std::shared_ptr<const CachedNumericColumn>> {
    return Status::DataLoss("damaged row group");
  };
  auto r = cache.GetNumeric("k", failing);
  EXPECT_EQ(r.status().code(), StatusCode::kDataLoss);
  int loads = 0;
  ASSERT_TRUE(Get(cache, "k", 10, &loads).ok());
  EXPECT_EQ(loads, 1);
}

TEST(SearchCacheTest, EraseWithPrefixDropsOneBlocksEntries) {
  SearchCache cache(1 << 20);
  int loads = 0;
  for (const char* key : {"B1@1/0/s", "B1@1/1/n/x", "B10@2/0/s", "B2@3/0/s"}) {
    ASSERT_TRUE(Get(cache, key, 10, &loads).ok());
  }
  cache.EraseWithPrefix("B1@1/");
  EXPECT_EQ(cache.stats().entries, 2u);
  ASSERT_TRUE(Get(cache, "B10@2/0/s", 10, &loads).ok());
  EXPECT_EQ(loads, 4);
  ASSERT_TRUE(Get(cache, "B1@1/0/s", 10, &loads).ok());
  EXPECT_EQ(loads, 5);
}

TEST(SearchCacheTest, NumericColumnKeepsValuesExactly) {
  struct Case {
    std::vector<double> values;
    std::vector<uint8_t> present;
    bool all_int32;
  };
  const Case cases[] = {
      {{200, 500, 0, -7}, {1, 1, 0, 1}, true},
      {{1.5, -0.0, 1e300, 3}, {1, 1, 1, 0}, false},
      {{static_cast<double>(INT64_MIN), 2}, {1, 1}, false},
  };
  for (const Case& c : cases) {
    CachedNumericColumn col(c.values, c.present, c.all_int32);
    ASSERT_EQ(col.size(), c.values.size());
    for (size_t i = 0; i < c.values.size(); ++i) {
      EXPECT_EQ(col.present(i), c.present[i] != 0) << i;
      if (c.present[i]) {
        EXPECT_EQ(col.value(i), c.values[i]) << i;
      }
    }
  }
  const std::vector<uint32_t> small = {0, 65535}, big = {0, 65536};
  NarrowIds a(small), b(big);
  EXPECT_EQ(a[1], 65535u);
  EXPECT_EQ(b[1], 65536u);
  EXPECT_LT(a.bytes(), b.bytes());
}

TEST(SearchCacheConcurrencyTest, ConcurrentGetsStayWithinBudget) {
  SearchCache cache(50'000);
  std::vector<std::thread> threads;
  std::atomic<int> wrong{0};
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 2000; ++i) {
        const int k = (i * 7 + t) % 40;
        auto c = cache.GetNumeric(
            std::to_string(k),
            [&]() -> Result<std::shared_ptr<const CachedNumericColumn>> { return Column(500, k); });
        if (!c.ok() || (*c)->value(499) != k) wrong.fetch_add(1);
        if (i % 500 == 0) cache.EraseWithPrefix(std::to_string(t));
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_EQ(wrong.load(), 0);
  EXPECT_LE(cache.stats().bytes, 50'000u);
  EXPECT_GT(cache.stats().evictions, 0);
}

}  // namespace
}  // namespace quartet::store

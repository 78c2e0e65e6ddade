#include "server/store/metrics/head_arena.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <set>
#include <vector>

namespace quartet::store {
namespace {

TEST(HeadArenaTest, CapacityCoversTheRequestWithinAnEighth) {
  HeadArena arena;
  for (size_t n = 1; n <= HeadArena::kMaxClassBytes; ++n) {
    const size_t cap = arena.Capacity(n);
    ASSERT_GE(cap, n) << n;
    ASSERT_EQ(cap % 16, 0u) << n;
    if (n > 128) {
      ASSERT_LE(cap, n + n / 8 + 16) << n;
    }
    ASSERT_EQ(arena.Capacity(cap), cap) << n;  // a capacity is its own class
  }
  EXPECT_EQ(arena.Capacity(HeadArena::kMaxClassBytes + 1), HeadArena::kMaxClassBytes + 1);
}

TEST(HeadArenaTest, FreedBlocksServeTheirClassAgain) {
  HeadArena arena;
  char* a = arena.Allocate(100);
  char* b = arena.Allocate(100);
  ASSERT_NE(a, b);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 16, 0u);
  const size_t carved = arena.MemoryBytes();
  arena.Free(a, 100);
  EXPECT_EQ(arena.Allocate(112), a);  // same class (112), no new memory
  EXPECT_EQ(arena.MemoryBytes(), carved);
  EXPECT_NE(arena.Allocate(100), a);
  EXPECT_EQ(arena.Allocate(0), nullptr);
}

TEST(HeadArenaTest, BlocksKeepTheirBytesUnderChurnAndLargeOnesComeFromTheHeap) {
  HeadArena arena;
  std::mt19937_64 rng(7);
  struct Block {
    char* p;
    size_t n;
    char fill;
  };
  std::vector<Block> live;
  for (int i = 0; i < 20000; ++i) {
    if (!live.empty() && rng() % 3 == 0) {
      const size_t k = rng() % live.size();
      const Block b = live[k];
      for (size_t j = 0; j < b.n; ++j) ASSERT_EQ(b.p[j], b.fill) << i;
      arena.Free(b.p, b.n);
      live[k] = live.back();
      live.pop_back();
      continue;
    }
    const size_t n = rng() % 8 == 0 ? 1 + rng() % (2 * HeadArena::kMaxClassBytes) : 1 + rng() % 600;
    const char fill = static_cast<char>(i);
    char* p = arena.Allocate(n);
    std::memset(p, fill, n);
    live.push_back({p, n, fill});
  }
  size_t live_bytes = 0;
  for (const Block& b : live) {
    for (size_t j = 0; j < b.n; ++j) ASSERT_EQ(b.p[j], b.fill);
    if (b.n <= HeadArena::kMaxClassBytes) live_bytes += arena.Capacity(b.n);
  }
  EXPECT_EQ(arena.LiveBytes(), live_bytes);
  EXPECT_GE(arena.MemoryBytes(), live_bytes);
}

}  // namespace
}  // namespace quartet::store

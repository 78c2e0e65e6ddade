#include "server/store/logs/log_trace_index.h"

#include <gtest/gtest.h>

#include <map>
#include <random>

namespace quartet::store {
namespace {

TraceId Id(uint64_t hi, uint64_t lo) {
  TraceId id;
  for (int i = 0; i < 8; ++i) {
    id.bytes[i] = static_cast<uint8_t>(hi >> (56 - 8 * i));
    id.bytes[8 + i] = static_cast<uint8_t>(lo >> (56 - 8 * i));
  }
  return id;
}

TEST(LogTraceIndexTest, EmptyIndexFindsNothing) {
  LogTraceIndex index;
  EXPECT_EQ(index.Count(Id(1, 2)), 0);
  EXPECT_TRUE(index.Entries(Id(1, 2)).empty());
}

TEST(LogTraceIndexTest, EntriesComeBackInInsertionOrder) {
  LogTraceIndex index;
  index.Add(Id(0, 1), 0);
  index.Add(Id(0, 2), 1);
  // Entry 2 has no trace; the index never hears of it.
  index.Add(Id(0, 1), 3);
  index.Add(Id(0, 1), 7);
  EXPECT_EQ(index.Entries(Id(0, 1)), (std::vector<uint32_t>{0, 3, 7}));
  EXPECT_EQ(index.Entries(Id(0, 2)), (std::vector<uint32_t>{1}));
  EXPECT_EQ(index.Count(Id(0, 1)), 3);
  EXPECT_EQ(index.Count(Id(0, 2)), 1);
  EXPECT_EQ(index.Count(Id(0, 3)), 0);
  // Ids that differ in one half only are distinct keys.
  EXPECT_EQ(index.Count(Id(1, 1)), 0);
}

// Many traces, several lines each, interleaved: the table grows several
// times and must agree with a plain map throughout.
TEST(LogTraceIndexTest, AgreesWithAMapAcrossGrowth) {
  std::mt19937_64 rng(42);
  std::vector<TraceId> ids;
  for (int i = 0; i < 20000; ++i) ids.push_back(Id(rng(), rng()));
  // Half-sharing ids: same high half, as a buggy client might send.
  for (int i = 0; i < 2000; ++i) ids.push_back(Id(7, static_cast<uint64_t>(i)));
  LogTraceIndex index;
  std::map<std::array<uint8_t, 16>, std::vector<uint32_t>> want;
  uint32_t entry = 0;
  for (int round = 0; round < 3; ++round) {
    for (size_t i = 0; i < ids.size(); ++i) {
      if ((i + round) % 3 == 0) continue;
      index.Add(ids[i], entry);
      want[ids[i].bytes].push_back(entry);
      entry += 1 + static_cast<uint32_t>(rng() % 3);
    }
    const size_t bytes = index.bytes();
    EXPECT_GE(bytes, want.size() * (sizeof(TraceId) + 8));
  }
  for (const TraceId& id : ids) {
    ASSERT_EQ(index.Entries(id), want[id.bytes]);
    ASSERT_EQ(index.Count(id), static_cast<int64_t>(want[id.bytes].size()));
  }
  EXPECT_EQ(index.Count(Id(rng(), rng())), 0);
}

}  // namespace
}  // namespace quartet::store

#include "server/store/wal/segment_reader.h"

#include <gtest/gtest.h>

#include <random>

#include "server/store/wal/format.h"

namespace quartet::store {
namespace {

struct Case {
  const char* name;
  std::string data;
  size_t intact_end;
  size_t corruptions;
};

TEST(ScanSegment, GarbageIsReportedNeverDelivered) {
  std::string random(100000, '\0');
  std::mt19937 rng(7);
  for (char& c : random) c = static_cast<char>(rng());
  std::vector<Case> cases = {
      {"empty", "", 0, 0},
      {"short header", "\x01\x02", 0, 1},
      {"zero block", std::string(wal_format::kBlockSize, '\0'), 0, 1},
      {"random", random, 0, 1},
      {"bad type", std::string("\0\0\0\0\0\0\x09", 7), 0, 1},
  };
  for (const Case& c : cases) {
    WalReplayReport report;
    int delivered = 0;
    auto scan = ScanSegment(
        c.data, 3,
        [&](std::string_view, WalPosition) {
          ++delivered;
          return Status::Ok();
        },
        &report);
    ASSERT_TRUE(scan.ok()) << c.name;
    EXPECT_EQ(delivered, 0) << c.name;
    EXPECT_EQ(scan->intact_end, c.intact_end) << c.name;
    ASSERT_EQ(report.corruptions.size(), c.corruptions) << c.name;
    if (c.corruptions > 0) {
      EXPECT_TRUE(report.corruptions[0].tail) << c.name;
      EXPECT_EQ(report.corruptions[0].segment, 3u) << c.name;
      EXPECT_EQ(report.corruptions[0].bytes_skipped, c.data.size()) << c.name;
    }
  }
}

}  // namespace
}  // namespace quartet::store

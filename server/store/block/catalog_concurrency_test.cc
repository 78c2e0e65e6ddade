// Queries read catalog snapshots while compaction and retention change the
// catalog: every snapshot stays consistent and readable.
#include <gtest/gtest.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <set>
#include <thread>

#include "server/store/block/block_writer.h"
#include "server/store/block/catalog.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

void WriteBlock(const std::string& path, const std::string& id, int64_t t, uint32_t level,
                std::vector<std::string> sources, uint64_t rows) {
  BlockMeta m;
  m.id = id;
  m.min_time_ns = t;
  m.max_time_ns = t + 10;
  m.rows = rows;
  m.level = level;
  m.sources = std::move(sources);
  auto w = BlockWriter::Create(path);
  ASSERT_TRUE(w.ok());
  ASSERT_TRUE((*w)->AddSection("rows", std::to_string(rows)).ok());
  ASSERT_TRUE((*w)->Finish(m.ToJson()).ok());
}

TEST(CatalogConcurrency, SnapshotsStayConsistentDuringReplaceAndRetention) {
  fs::path dir = fs::path(::testing::TempDir()) / ("catalog_conc_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto cat = BlockCatalog::Open(dir.string());
  ASSERT_TRUE(cat.ok());
  std::atomic<bool> stop{false};
  std::atomic<int> bad{0}, reads{0};
  std::vector<std::thread> readers;
  for (int r = 0; r < 3; ++r) {
    readers.emplace_back([&] {
      while (!stop.load()) {
        auto snapshot = (*cat)->Blocks();
        std::set<std::string> ids;
        for (const auto& b : *snapshot) {
          auto data = b->reader->ReadSection("rows");
          if (!data.ok() || std::stoull(*data) != b->meta.rows) bad++;
          ids.insert(b->meta.id);
        }
        // A snapshot never shows a merged block together with its sources.
        for (const auto& b : *snapshot) {
          for (const auto& src : b->meta.sources) bad += ids.count(src) ? 1 : 0;
        }
        reads++;
      }
    });
  }
  for (int round = 0; round < 40; ++round) {
    int64_t t = round * 100;
    // Each round adds a block, and every second round merges the last two.
    std::string ab = "R" + std::to_string(round) + "AB";
    WriteBlock((*cat)->PathFor(ab), ab, t, 1, {}, 2);
    ASSERT_TRUE((*cat)->Add((*cat)->PathFor(ab)).ok());
    if (round % 2 == 1) {
      // Compact the last two pairs into one block.
      std::string prev = "R" + std::to_string(round - 1) + "AB";
      std::string merged = "M" + std::to_string(round);
      WriteBlock((*cat)->PathFor(merged), merged, t - 100, 2, {prev, ab}, 4);
      std::vector<std::string> old = {prev, ab};
      ASSERT_TRUE((*cat)->Replace(old, (*cat)->PathFor(merged)).ok());
    }
    if (round % 10 == 9) {
      ASSERT_TRUE((*cat)->ApplyRetention(std::chrono::nanoseconds(500), 0, t).ok());
    }
  }
  stop = true;
  for (auto& th : readers) th.join();
  EXPECT_EQ(bad.load(), 0);
  EXPECT_GT(reads.load(), 0);
  fs::remove_all(dir);
}

}  // namespace
}  // namespace quartet::store

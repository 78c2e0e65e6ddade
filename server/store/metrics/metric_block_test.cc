#include "server/store/metrics/metric_block.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <bit>
#include <filesystem>
#include <random>

#include "base/clock.h"
#include "server/store/block/catalog.h"

namespace quartet::store {
namespace {

using Samples = std::vector<std::pair<int64_t, uint64_t>>;

uint64_t B(double v) { return std::bit_cast<uint64_t>(v); }

// A window-aligned time, so that the cases below know where windows end.
constexpr int64_t kW = 1'700'000'000'000 / kBlockWindowMs * kBlockWindowMs;

Samples Every15s(int64_t start, int n) {
  Samples out;
  for (int i = 0; i < n; ++i) out.emplace_back(start + i * 15000, B(i * 3.0));
  return out;
}

Samples DecodeAll(const std::vector<CompactChunk>& chunks) {
  Samples out;
  for (const CompactChunk& c : chunks) {
    ChunkIterator it(c.samples, c.timestamps, c.values, ValueCoding::kCompact);
    while (it.Next()) out.emplace_back(it.t(), it.value_bits());
    EXPECT_TRUE(it.status().ok()) << it.status().ToString();
  }
  return out;
}

TEST(CutBlockChunksTest, CutsAtTheSampleLimitAndAtWindows) {
  struct Case {
    const char* name;
    Samples samples;
    std::vector<uint32_t> chunk_sizes;
  };
  Samples dup = Every15s(kW, 3);
  dup.insert(dup.begin() + 1, {kW, B(99)});  // equal timestamp: the first is kept
  const std::vector<Case> cases = {
      {"one window of 15 s scrapes", Every15s(kW, 480), {480}},
      {"past the limit", Every15s(kW, 481), {480, 1}},
      {"1 s scrapes",
       [] {
         Samples s;
         for (int i = 0; i < 1000; ++i) s.emplace_back(kW + i * 1000, B(i));
         return s;
       }(),
       {480, 480, 40}},
      {"straddling a window", Every15s(kW + kBlockWindowMs - 30000, 4), {2, 2}},
      {"negative times", Every15s(-45000, 6), {3, 3}},
      {"equal timestamps", dup, {3}},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.name);
    const std::vector<CompactChunk> chunks = CutBlockChunks(c.samples);
    std::vector<uint32_t> sizes;
    for (const CompactChunk& ch : chunks) sizes.push_back(ch.samples);
    EXPECT_EQ(sizes, c.chunk_sizes);
    Samples want;
    for (const auto& s : c.samples) {
      if (want.empty() || s.first > want.back().first) want.push_back(s);
    }
    EXPECT_EQ(DecodeAll(chunks), want);
  }
}

class MetricBlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("metric_block_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    catalog_ = std::move(BlockCatalog::Open(dir_).value());
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::shared_ptr<const MetricBlock> Write(std::span<const BlockSeriesSource> series,
                                           ValueCoding coding) {
    BlockMeta meta;
    meta.id = NewBlockId(UnixNanos());
    const std::string path = catalog_->PathFor(meta.id);
    Result<BlockMeta> written = WriteMetricBlock(series, {}, meta, path, coding);
    EXPECT_TRUE(written.ok()) << written.status().ToString();
    EXPECT_TRUE(catalog_->Add(path).ok());
    for (const auto& b : *catalog_->Blocks()) {
      if (b->meta.id == meta.id) return MetricBlock::Open(b).value();
    }
    return nullptr;
  }

  std::string dir_;
  std::unique_ptr<BlockCatalog> catalog_;
};

// Blocks written before the compact coding (format 1: streaming-coded
// chunks, no format section) are read as they always were.
TEST_F(MetricBlockTest, ReadsFormatOneAndFormatTwoBlocks) {
  std::mt19937_64 rng(1);
  Samples counter, gauge;
  double c = 0;
  for (int i = 0; i < 300; ++i) {
    counter.emplace_back(kW + i * 15000, B(c += static_cast<double>(rng() % 400)));
    gauge.emplace_back(kW + i * 15000, B(static_cast<double>(rng() % 1000) / 8));
  }
  const Labels a = {{"__name__", "a"}}, b = {{"__name__", "b"}};
  // Format 1: chunks of 120 as the head's ChunkAppender wrote them.
  std::vector<ChunkAppender> appenders;
  std::vector<BlockSeriesSource> v1(2);
  v1[0].labels = a;
  v1[1].labels = b;
  for (int s = 0; s < 2; ++s) {
    const Samples& samples = s == 0 ? counter : gauge;
    for (size_t i = 0; i < samples.size(); ++i) {
      if (i % 120 == 0) appenders.emplace_back();
      appenders.back().Append(samples[i].first, std::bit_cast<double>(samples[i].second));
    }
  }
  for (size_t k = 0; k < appenders.size(); ++k) {
    const ChunkAppender& ch = appenders[k];
    v1[k < 3 ? 0 : 1].chunks.push_back(
        BlockChunk{ch.min_t(), ch.max_t(), ch.samples(), ch.timestamp_bytes(), ch.value_bytes()});
  }
  // Format 2: compact chunks.
  const std::vector<CompactChunk> ca = CutBlockChunks(counter), cb = CutBlockChunks(gauge);
  std::vector<BlockSeriesSource> v2(2);
  v2[0].labels = a;
  v2[1].labels = b;
  for (const CompactChunk& ch : ca) {
    v2[0].chunks.push_back({ch.min_t, ch.max_t, ch.samples, ch.timestamps, ch.values});
  }
  for (const CompactChunk& ch : cb) {
    v2[1].chunks.push_back({ch.min_t, ch.max_t, ch.samples, ch.timestamps, ch.values});
  }
  for (auto [series, coding] :
       {std::pair{&v1, ValueCoding::kStream}, std::pair{&v2, ValueCoding::kCompact}}) {
    SCOPED_TRACE(coding == ValueCoding::kStream ? "format 1" : "format 2");
    std::shared_ptr<const MetricBlock> block = Write(*series, coding);
    ASSERT_NE(block, nullptr);
    EXPECT_EQ(block->coding(), coding);
    EXPECT_EQ(block->meta().rows, 600u);
    for (uint32_t id = 0; id < 2; ++id) {
      ValuePages pages;
      Samples got;
      ASSERT_TRUE(block
                      ->ForEachSample(id, INT64_MIN, INT64_MAX, &pages,
                                      [&](int64_t t, double v) { got.emplace_back(t, B(v)); })
                      .ok());
      EXPECT_EQ(got, id == 0 ? counter : gauge);
    }
  }
}

}  // namespace
}  // namespace quartet::store

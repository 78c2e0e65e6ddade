#include "server/store/metrics/metric_block.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <cstdio>
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

// The buckets of a histogram (adjacent in label order) are coded against
// each other; every value comes back whatever order series are read in.
TEST_F(MetricBlockTest, HistogramBucketsCodedAgainstTheirNeighbour) {
  constexpr double kLe[] = {0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5};
  std::mt19937_64 rng(4);
  std::lognormal_distribution<double> latency(std::log(0.08), 0.7);
  // 3 histograms x (10 buckets + +Inf), 900 scrapes: two chunks each.
  std::vector<Labels> labels;
  std::vector<Samples> values;
  for (int h = 0; h < 3; ++h) {
    std::vector<double> counts(std::size(kLe) + 1, 0);
    std::vector<Samples> series(counts.size());
    for (int step = 0; step < 900; ++step) {
      for (int k = 0, n = std::poisson_distribution<int>(150)(rng); k < n; ++k) {
        const double v = latency(rng);
        for (size_t b = 0; b < std::size(kLe); ++b) counts[b] += v <= kLe[b] ? 1 : 0;
        counts.back() += 1;
      }
      for (size_t b = 0; b < counts.size(); ++b) {
        series[b].emplace_back(kW + step * 15000, B(counts[b]));
      }
    }
    for (size_t b = 0; b < counts.size(); ++b) {
      char le[32];
      std::snprintf(le, sizeof le, "%g", b < std::size(kLe) ? kLe[b] : 0.0);
      labels.push_back({{"__name__", "lat_bucket"},
                        {"h", std::to_string(h)},
                        {"le", b < std::size(kLe) ? le : "+Inf"}});
      values.push_back(series[b]);
    }
  }
  // Sorted by labels, as blocks are written.
  std::vector<size_t> order(labels.size());
  for (size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return labels[a] < labels[b]; });
  std::vector<std::vector<CompactChunk>> owned;
  std::vector<BlockSeriesSource> sources;
  size_t own_bytes = 0;
  for (size_t i : order) {
    owned.push_back(CutBlockChunks(values[i]));
    BlockSeriesSource& src = sources.emplace_back();
    src.labels = labels[i];
  }
  for (size_t k = 0; k < owned.size(); ++k) {
    for (const CompactChunk& c : owned[k]) {
      sources[k].chunks.push_back({c.min_t, c.max_t, c.samples, c.timestamps, c.values});
      own_bytes += c.values.size();
    }
  }
  std::shared_ptr<const MetricBlock> block = Write(sources, ValueCoding::kCompact);
  ASSERT_NE(block, nullptr);
  // Coded alone the buckets take ~7 bits a sample; against their neighbour
  // most take the few bits of the observations between two bounds.
  EXPECT_LT(block->meta().bytes * 10, own_bytes * 7);
  for (bool reverse : {false, true}) {
    ValuePages pages;
    for (size_t n = 0; n < sources.size(); ++n) {
      const uint32_t id = static_cast<uint32_t>(reverse ? sources.size() - 1 - n : n);
      Samples got;
      ASSERT_TRUE(block
                      ->ForEachSample(id, kW + 300000, INT64_MAX, &pages,
                                      [&](int64_t t, double v) { got.emplace_back(t, B(v)); })
                      .ok());
      const Samples& want = values[order[id]];
      ASSERT_EQ(got.size(), want.size() - 20) << id;
      EXPECT_TRUE(std::equal(got.begin(), got.end(), want.begin() + 20)) << id;
    }
  }
}

}  // namespace
}  // namespace quartet::store

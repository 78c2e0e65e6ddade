#include "server/store/metrics/metric_table.h"

#include <gtest/gtest.h>

#include <bit>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <random>

#include "base/clock.h"
#include "server/store/metrics/chunk.h"
#include "server/store/metrics/metric_record.h"

namespace quartet::store {
namespace {

using Op = LabelMatch::Op;
// A recent time at the start of a 2-hour window, so that retention at "now"
// keeps it and a few hours of samples fall in predictable windows.
const int64_t kT0 = UnixNanos() / 1'000'000 / 7'200'000 * 7'200'000 - 7'200'000;

Labels L(std::string name, std::string job, std::string extra = "") {
  Labels l = {{"__name__", std::move(name)}, {"job", std::move(job)}};
  if (!extra.empty()) l.emplace_back("path", std::move(extra));
  return l;
}

SeriesSamples Series(Labels labels, std::vector<Sample> samples) {
  return SeriesSamples{std::move(labels), std::move(samples), {}};
}

using Got = std::map<Labels, std::vector<Sample>>;

class MetricTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("metric_table_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    std::filesystem::remove_all(dir_);
    options_.table.dir = dir_;
    options_.table.sync = SyncPolicy::kNever;
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    table_.reset();
    Result<std::unique_ptr<MetricTable>> t = MetricTable::Open(options_, /*background=*/false);
    ASSERT_TRUE(t.ok()) << t.status().ToString();
    table_ = std::move(*t);
  }
  MetricAppendResult Append(std::vector<SeriesSamples> series,
                            std::vector<MetricMetadata> metadata = {}) {
    Result<MetricAppendResult> r =
        table_->Append(MetricBatch{std::move(series), std::move(metadata)});
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : MetricAppendResult{};
  }
  Got Select(std::vector<LabelMatch> matchers, int64_t min_t = INT64_MIN,
             int64_t max_t = INT64_MAX) {
    Got got;
    Status s = table_->Select(matchers, min_t, max_t,
                              [&](const Labels& l, std::span<const Sample> samples) {
                                EXPECT_FALSE(got.contains(l));
                                got[l].assign(samples.begin(), samples.end());
                                return true;
                              });
    EXPECT_TRUE(s.ok()) << s.ToString();
    return got;
  }
  // n samples every 15 s from `start`, value = index.
  static std::vector<Sample> Ramp(int64_t start, int n, double scale = 1) {
    std::vector<Sample> out;
    for (int i = 0; i < n; ++i) out.push_back({start + i * 15000, i * scale});
    return out;
  }

  std::string dir_;
  MetricTableOptions options_;
  std::unique_ptr<MetricTable> table_;
};

void ExpectSamples(const std::vector<Sample>& got, const std::vector<Sample>& want) {
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].t_ms, want[i].t_ms) << i;
    EXPECT_EQ(std::bit_cast<uint64_t>(got[i].v), std::bit_cast<uint64_t>(want[i].v)) << i;
  }
}

std::vector<Sample> Concat(std::vector<Sample> a, const std::vector<Sample>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST_F(MetricTableTest, SelectsAcrossHeadAndBlocks) {
  const auto first = Ramp(kT0, 300), second = Ramp(kT0 + 300 * 15000, 50, 2);
  Append({Series(L("up", "api"), first), Series(L("up", "db"), first)});
  ASSERT_TRUE(table_->Flush().ok());
  EXPECT_EQ(table_->stats().blocks, 1);
  Append({Series(L("up", "api"), second)});
  Got got = Select({{"__name__", Op::kEq, "up"}});
  ASSERT_EQ(got.size(), 2u);
  ExpectSamples(got[L("up", "api")], Concat(first, second));
  ExpectSamples(got[L("up", "db")], first);
  // A time range inside both: inclusive at both ends.
  got = Select({{"job", Op::kEq, "api"}}, kT0 + 299 * 15000, kT0 + 300 * 15000);
  ASSERT_EQ(got.size(), 1u);
  ExpectSamples(got[L("up", "api")], {first.back(), second.front()});
  EXPECT_TRUE(Select({{"job", Op::kEq, "api"}}, kT0 - 10, kT0 - 1).empty());
  EXPECT_TRUE(Select({{"job", Op::kEq, "nope"}}).empty());
}

// Each block and the head deliver a sorted run; Select merges them in time
// order (the head's newest run comes first).
TEST_F(MetricTableTest, SelectMergesRunsOfSeveralBlocksAndTheHead) {
  const auto a = Ramp(kT0, 40), b = Ramp(kT0 + 40 * 15000, 40, 2),
             c = Ramp(kT0 + 80 * 15000, 40, 3);
  Append({Series(L("up", "api"), a)});
  ASSERT_TRUE(table_->Flush().ok());
  Append({Series(L("up", "api"), b)});
  ASSERT_TRUE(table_->Flush().ok());
  EXPECT_EQ(table_->stats().blocks, 2);
  Append({Series(L("up", "api"), c)});
  Got got = Select({{"job", Op::kEq, "api"}});
  ExpectSamples(got[L("up", "api")], Concat(Concat(a, b), c));
  got = Select({{"job", Op::kEq, "api"}}, kT0 + 30 * 15000, kT0 + 90 * 15000);
  const std::vector<Sample> all = Concat(Concat(a, b), c);
  ExpectSamples(got[L("up", "api")], std::vector<Sample>(all.begin() + 30, all.begin() + 91));
}

TEST_F(MetricTableTest, RejectsOutOfOrderAndConflictingSamples) {
  Append({Series(L("c", "a"), {{kT0, 1}, {kT0 + 10, 2}})});
  MetricAppendResult r = Append({Series(L("c", "a"), {{kT0 + 5, 9},   // older than the last
                                                      {kT0 + 10, 2},  // identical: ignored
                                                      {kT0 + 10, 3},  // same time, other value
                                                      {kT0 + 20, 4}})});
  EXPECT_EQ(r.accepted_samples, 1);
  EXPECT_EQ(r.out_of_order_samples, 1);
  EXPECT_EQ(r.duplicate_samples, 1);
  EXPECT_EQ(r.conflicting_samples, 1);
  EXPECT_EQ(r.error.code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.error.message().find("out of order"), std::string_view::npos);
  ExpectSamples(Select({})[L("c", "a")], {{kT0, 1}, {kT0 + 10, 2}, {kT0 + 20, 4}});
  // The checks survive a flush and a restart.
  ASSERT_TRUE(table_->Flush().ok());
  Reopen();
  r = Append({Series(L("c", "a"), {{kT0 + 15, 1}, {kT0 + 20, 5}, {kT0 + 30, 6}})});
  EXPECT_EQ(r.out_of_order_samples, 1);
  EXPECT_EQ(r.conflicting_samples, 1);
  EXPECT_EQ(r.accepted_samples, 1);
  EXPECT_EQ(table_->stats().out_of_order_samples, 1);
}

TEST_F(MetricTableTest, RefusesNewSeriesOverThePerMetricLimit) {
  options_.limits.max_series_per_metric = 3;
  Reopen();
  std::vector<SeriesSamples> batch;
  for (int i = 0; i < 5; ++i)
    batch.push_back(Series(L("req", "j" + std::to_string(i)), {{kT0, 1}}));
  batch.push_back(Series(L("other", "x"), {{kT0, 1}}));
  MetricAppendResult r = Append(batch);
  EXPECT_EQ(r.accepted_samples, 4);
  EXPECT_EQ(r.series_limit_samples, 2);
  EXPECT_EQ(r.error.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.error.message(), "metric req has too many series (limit 3)");
  // Existing series keep accepting samples.
  r = Append({Series(L("req", "j0"), {{kT0 + 1, 2}})});
  EXPECT_EQ(r.accepted_samples, 1);
  EXPECT_TRUE(r.error.ok());
}

TEST_F(MetricTableTest, RejectsMalformedLabelSets) {
  for (const Labels& bad : std::vector<Labels>{
           {}, {{"b", "1"}, {"a", "2"}}, {{"a", "1"}, {"a", "2"}}, {{"a", ""}}, {{"", "x"}}}) {
    MetricAppendResult r = Append({Series(bad, {{kT0, 1}})});
    EXPECT_EQ(r.invalid_samples, 1);
    EXPECT_EQ(r.error.code(), StatusCode::kInvalidArgument);
  }
  EXPECT_TRUE(Select({}).empty());
}

TEST_F(MetricTableTest, ReplaysTheWalAfterACrash) {
  const uint64_t nan_payload = 0x7ff8000000000abcull;
  std::vector<Sample> special = {{kT0, 1},
                                 {kT0 + 1, std::bit_cast<double>(kStaleNaNBits)},
                                 {kT0 + 2, std::bit_cast<double>(nan_payload)},
                                 {kT0 + 3, -INFINITY},
                                 {kT0 + 4, -0.0}};
  Append({Series(L("g", "a"), special)}, {{"g", MetricType::kGauge, "a gauge", "bytes"}});
  ASSERT_TRUE(table_->Flush().ok());
  Append({Series(L("g", "a"), Ramp(kT0 + 100, 10)), Series(L("g", "b"), Ramp(kT0, 3))});
  Reopen();  // the head was never flushed: the WAL has it
  EXPECT_GT(table_->stats().replayed_records, 0);
  Got got = Select({{"__name__", Op::kEq, "g"}});
  ExpectSamples(got[L("g", "a")], Concat(special, Ramp(kT0 + 100, 10)));
  ExpectSamples(got[L("g", "b")], Ramp(kT0, 3));
  ASSERT_EQ(table_->Metadata("g").size(), 1u);
  EXPECT_EQ(table_->Metadata("g")[0].help, "a gauge");
  EXPECT_EQ(table_->Metadata("g")[0].unit, "bytes");
  EXPECT_EQ(table_->Metadata("g")[0].type, MetricType::kGauge);
  // And once more after flushing the replayed head.
  ASSERT_TRUE(table_->Flush().ok());
  Reopen();
  ExpectSamples(Select({{"job", Op::kEq, "a"}})[L("g", "a")], Concat(special, Ramp(kT0 + 100, 10)));
  EXPECT_EQ(table_->Metadata().size(), 1u);
}

// Regression: series references in the WAL are per head; appends after a
// replay (whose head numbers series anew) must not be read back as another
// series' samples at the next replay.
TEST_F(MetricTableTest, RepeatedRestartsKeepSamplesWithTheirSeries) {
  Append({Series(L("m", "x"), {{kT0, 1}}), Series(L("m", "y"), {{kT0, 2}})});
  ASSERT_TRUE(table_->Flush().ok());  // checkpoint carries x and y as refs 0, 1
  Append({Series(L("m", "z"), {{kT0, 3}}), Series(L("m", "y"), {{kT0 + 1, 2}})});
  for (int round = 2; round < 5; ++round) {
    Reopen();
    Append({Series(L("m", "n" + std::to_string(round)), {{kT0, 10.0 + round}}),
            Series(L("m", "x"), {{kT0 + round, 1}}), Series(L("m", "z"), {{kT0 + round, 3}})});
  }
  Reopen();
  Got got = Select({});
  ASSERT_EQ(got.size(), 6u);
  ExpectSamples(got[L("m", "x")], {{kT0, 1}, {kT0 + 2, 1}, {kT0 + 3, 1}, {kT0 + 4, 1}});
  ExpectSamples(got[L("m", "y")], {{kT0, 2}, {kT0 + 1, 2}});
  ExpectSamples(got[L("m", "z")], {{kT0, 3}, {kT0 + 2, 3}, {kT0 + 3, 3}, {kT0 + 4, 3}});
  for (int round = 2; round < 5; ++round) {
    ExpectSamples(got[L("m", "n" + std::to_string(round))], {{kT0, 10.0 + round}});
  }
}

// Regression: concurrent appenders may write series records out of id
// order, so a replayed head numbers series differently from the WAL; appends
// after the replay must still be read back with their own series.
TEST_F(MetricTableTest, ReplayRenumberingKeepsSamplesWithTheirSeries) {
  table_.reset();
  std::filesystem::remove_all(dir_);
  {
    auto wal =
        std::move(Wal::Open(WalOptions{.dir = dir_ + "/wal", .sync = SyncPolicy::kNever}).value());
    const SeriesRecordEntry y{1, L("m", "y")}, x{0, L("m", "x")};
    ASSERT_TRUE(wal->Append(EncodeSeriesRecord(false, {&y, 1})).ok());
    ASSERT_TRUE(wal->Append(EncodeSeriesRecord(false, {&x, 1})).ok());
    SamplesRecordBuilder samples;
    samples.Add(0, kT0, std::bit_cast<uint64_t>(1.0));  // x
    samples.Add(1, kT0, std::bit_cast<uint64_t>(2.0));  // y
    ASSERT_TRUE(wal->Append(samples.record()).ok());
  }
  Reopen();
  Append({Series(L("m", "x"), {{kT0 + 1, 1}}), Series(L("m", "y"), {{kT0 + 1, 2}})});
  Reopen();
  Got got = Select({});
  ExpectSamples(got[L("m", "x")], {{kT0, 1}, {kT0 + 1, 1}});
  ExpectSamples(got[L("m", "y")], {{kT0, 2}, {kT0 + 1, 2}});
}

// Regression: an appender may add a sample to a series another appender
// just created and reach the WAL before that series record.
TEST_F(MetricTableTest, ReplayKeepsSamplesWrittenBeforeTheirSeriesRecord) {
  table_.reset();
  std::filesystem::remove_all(dir_);
  {
    auto wal =
        std::move(Wal::Open(WalOptions{.dir = dir_ + "/wal", .sync = SyncPolicy::kNever}).value());
    SamplesRecordBuilder early;
    early.Add(0, kT0 + 1, std::bit_cast<uint64_t>(2.0));
    ASSERT_TRUE(wal->Append(early.record()).ok());
    const SeriesRecordEntry x{0, L("m", "x")};
    ASSERT_TRUE(wal->Append(EncodeSeriesRecord(false, {&x, 1})).ok());
    SamplesRecordBuilder own;
    own.Add(0, kT0, std::bit_cast<uint64_t>(1.0));
    ASSERT_TRUE(wal->Append(own.record()).ok());
  }
  Reopen();
  ExpectSamples(Select({})[L("m", "x")], {{kT0, 1}, {kT0 + 1, 2}});
}

TEST_F(MetricTableTest, TornWalTailIsTruncatedAndReported) {
  Append({Series(L("g", "a"), Ramp(kT0, 5))});
  table_.reset();
  std::string last;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/wal")) {
    if (e.path().extension() == ".wal" && e.path().string() > last) last = e.path().string();
  }
  ASSERT_FALSE(last.empty());
  {
    std::ofstream f(last, std::ios::app | std::ios::binary);
    f << std::string("\x12\x34\x56\x78\x30\x00\x01partial", 14);
  }
  Reopen();
  EXPECT_GT(table_->wal_report().truncated_bytes + table_->wal_report().corruptions.size(), 0u);
  ExpectSamples(Select({})[L("g", "a")], Ramp(kT0, 5));
  Append({Series(L("g", "a"), Ramp(kT0 + 5 * 15000, 2))});
  Reopen();
  EXPECT_EQ(Select({})[L("g", "a")].size(), 7u);
}

TEST_F(MetricTableTest, CompactsBlocksOfAWindowIntoOne) {
  // Three flushes within one 2-hour window.
  const int64_t window = kT0 / 7'200'000 * 7'200'000;
  std::vector<Sample> all;
  for (int f = 0; f < 3; ++f) {
    const auto part = Ramp(window + f * 100 * 15000, 100, 1);
    std::vector<Sample> shifted;
    for (const Sample& s : part) shifted.push_back({s.t_ms, s.v + f * 100});
    Append({Series(L("c", "a"), shifted), Series(L("c", "b", "/x"), shifted)});
    all = Concat(all, shifted);
    ASSERT_TRUE(table_->Flush().ok());
  }
  EXPECT_EQ(table_->stats().blocks, 3);
  const uint64_t before = table_->stats().block_bytes;
  Result<int> compacted = table_->Compact(UnixNanos() + int64_t{4} * 3600 * 1'000'000'000);
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ(*compacted, 1);
  EXPECT_EQ(table_->stats().blocks, 1);
  EXPECT_LT(table_->stats().block_bytes, before);
  Got got = Select({});
  ExpectSamples(got[L("c", "a")], all);
  ExpectSamples(got[L("c", "b", "/x")], all);
  Reopen();
  ExpectSamples(Select({{"path", Op::kEq, "/x"}})[L("c", "b", "/x")], all);
}

// Property: whatever the mix of values and flush points, flush + compaction
// + restart give back every sample bit for bit.
TEST_F(MetricTableTest, CompactionKeepsEverySample) {
  std::mt19937_64 rng(17);
  const int64_t window = kT0 / 7'200'000 * 7'200'000;
  for (int round = 0; round < 3; ++round) {
    SCOPED_TRACE(round);
    Reopen();
    std::map<Labels, std::vector<Sample>> want;
    std::vector<double> value(12, 0);
    // 600 steps of 15 s span 2.5 hours: two windows, flushed at random points.
    const int64_t start = window - 1'800'000 + round * 7'200'000 * 3;
    for (int step = 0; step < 600; ++step) {
      std::vector<SeriesSamples> batch;
      const int64_t t = start + step * 15000 + static_cast<int64_t>(rng() % 40);
      for (int s = 0; s < 12; ++s) {
        double v;
        switch (s % 4) {
          case 0:  // counter with an occasional reset
            v = value[s] = rng() % 300 == 0 ? 0 : value[s] + static_cast<double>(rng() % 500);
            break;
          case 1:  // float sum
            v = value[s] += std::ldexp(static_cast<double>(rng() % 100000), -12);
            break;
          case 2:  // small gauge, sometimes stale
            v = rng() % 50 == 0 ? std::bit_cast<double>(kStaleNaNBits)
                                : static_cast<double>(rng() % 5);
            break;
          default:  // idle bucket
            v = 7;
            break;
        }
        if (rng() % 10 == 0) continue;  // a missed scrape
        Labels l = L("m" + std::to_string(s % 4), "job" + std::to_string(s));
        batch.push_back(Series(l, {{t, v}}));
        want[l].push_back({t, v});
      }
      Append(std::move(batch));
      if (rng() % 90 == 0) {
        ASSERT_TRUE(table_->Flush().ok());
      }
    }
    ASSERT_TRUE(table_->Flush().ok());
    Result<int> compacted = table_->Compact(UnixNanos() + int64_t{30} * 3600 * 1'000'000'000);
    ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
    for (int restart = 0; restart < 2; ++restart) {
      Got got = Select({}, start, start + 600 * 15000 + 1000);
      ASSERT_EQ(got.size(), want.size());
      for (const auto& [labels, samples] : want) ExpectSamples(got[labels], samples);
      Reopen();
    }
  }
}

// Sealed head chunks are re-coded and grown in place: every sample of every
// sub-range comes back from the head, and a counter costs about a byte per
// sample there.
TEST_F(MetricTableTest, HeadKeepsEverySampleAcrossGrownChunks) {
  std::mt19937_64 rng(23);
  const int64_t start = kT0 / 7'200'000 * 7'200'000 - 3'600'000;
  std::vector<Sample> counter, gauge;
  double c = 0;
  for (int i = 0; i < 1500; ++i) {  // 6 h 15 min: four windows
    const int64_t t = start + i * 15000 + static_cast<int64_t>(rng() % 10);
    counter.push_back({t, c += static_cast<double>(rng() % 600)});
    gauge.push_back({t, static_cast<double>(rng() % 1000) / 3});
    Append({Series(L("c", "a"), {counter.back()}), Series(L("g", "a"), {gauge.back()})});
  }
  for (auto [lo, hi] : {std::pair{0, 1500}, {0, 1}, {119, 121}, {200, 700}, {479, 961}}) {
    SCOPED_TRACE(lo);
    Got got = Select({}, counter[lo].t_ms, counter[hi - 1].t_ms);
    ExpectSamples(got[L("c", "a")], {counter.begin() + lo, counter.begin() + hi});
    ExpectSamples(got[L("g", "a")], {gauge.begin() + lo, gauge.begin() + hi});
  }
  // Counter ~10 bits, gauge ~64: well under the ~3x of 120-sample chunks.
  EXPECT_LT(table_->stats().head_bytes, 3000u * 12);
}

TEST_F(MetricTableTest, AppendRefsCopiesOnlyNewSeriesAndAgreesWithAppend) {
  // The referenced bytes are overwritten after each call: the store must
  // have copied what it keeps.
  std::string name = "http_requests_total", job = "api", path = "/a";
  std::vector<LabelRef> labels = {{"__name__", name}, {"job", job}, {"path", path}};
  std::vector<Sample> samples = {{kT0, 1}};
  std::vector<SeriesSamplesRef> series = {{labels, samples, {}}};
  Result<MetricAppendResult> r = table_->AppendRefs(series, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted_samples, 1);
  name.assign(name.size(), 'x');
  job.assign(job.size(), 'x');
  // The same series by value, then by reference again (known: found from
  // the borrowed bytes).
  Append({Series(L("http_requests_total", "api", "/a"), {{kT0 + 15000, 2}})});
  std::string name2 = "http_requests_total", job2 = "api";
  std::vector<LabelRef> again = {{"__name__", name2}, {"job", job2}, {"path", path}};
  std::vector<Sample> later = {{kT0 + 30000, 3}, {kT0 + 45000, 4}};
  series = {{again, later, {}}};
  r = table_->AppendRefs(series, {});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->accepted_samples, 2);
  EXPECT_EQ(table_->stats().head_series, 1);
  // Unsorted labels are refused like in Append.
  std::vector<LabelRef> unsorted = {{"job", "api"}, {"__name__", "up"}};
  series = {{unsorted, samples, {}}};
  r = table_->AppendRefs(series, {});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->invalid_samples, 1);
  Got got = Select({});
  ASSERT_EQ(got.size(), 1u);
  ExpectSamples(got[L("http_requests_total", "api", "/a")],
                {{kT0, 1}, {kT0 + 15000, 2}, {kT0 + 30000, 3}, {kT0 + 45000, 4}});
  Reopen();  // the WAL has the series record of the copied labels
  ExpectSamples(Select({})[L("http_requests_total", "api", "/a")],
                {{kT0, 1}, {kT0 + 15000, 2}, {kT0 + 30000, 3}, {kT0 + 45000, 4}});
}

TEST_F(MetricTableTest, HeadReadsSeriesWithManySealedChunks) {
  // One sample a second for 3 h: 480-sample sealed chunks, ~23 of them,
  // more than a head read keeps on its stack.
  std::vector<Sample> all;
  const int64_t start = kT0 / 7'200'000 * 7'200'000;
  for (int i = 0; i < 3 * 3600; i += 100) {
    std::vector<Sample> batch;
    for (int j = i; j < i + 100; ++j) batch.push_back({start + j * 1000, static_cast<double>(j)});
    all.insert(all.end(), batch.begin(), batch.end());
    Append({Series(L("c", "a"), batch)});
  }
  ExpectSamples(Select({})[L("c", "a")], all);
  Got got = Select({}, all[5000].t_ms, all[5999].t_ms);
  ExpectSamples(got[L("c", "a")], {all.begin() + 5000, all.begin() + 6000});
}

TEST_F(MetricTableTest, FlushWritesOneBlockPerTwoHourWindow) {
  const int64_t boundary = kT0 / 7'200'000 * 7'200'000;
  const auto samples = Ramp(boundary - 1'800'000, 240);  // 30 min before to 30 min after
  Append({Series(L("c", "a"), samples)});
  ASSERT_TRUE(table_->Flush().ok());
  EXPECT_EQ(table_->stats().blocks, 2);
  ExpectSamples(Select({})[L("c", "a")], samples);
  Reopen();
  ExpectSamples(Select({})[L("c", "a")], samples);
}

TEST_F(MetricTableTest, RetentionDeletesOldBlocks) {
  options_.table.retention_age = std::chrono::hours(24);
  Reopen();
  const int64_t old = kT0 - int64_t{48} * 3600 * 1000;
  Append({Series(L("c", "a"), Ramp(old, 10))});
  ASSERT_TRUE(table_->Flush().ok());
  Append({Series(L("c", "a"), Ramp(kT0, 10))});
  ASSERT_TRUE(table_->Flush().ok());
  Result<RetentionResult> r = table_->ApplyRetention(UnixNanos());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed_ids.size(), 1u);
  ExpectSamples(Select({})[L("c", "a")], Ramp(kT0, 10));
}

TEST_F(MetricTableTest, DamagedBlockIsSetAsideAndTheRestServed) {
  for (const char* job : {"a", "b", "c"}) {
    Append({Series(L("c", job), Ramp(kT0, 200))});
    ASSERT_TRUE(table_->Flush().ok());
  }
  table_.reset();
  std::vector<std::string> blocks;
  for (const auto& e : std::filesystem::directory_iterator(dir_ + "/blocks")) {
    if (e.path().extension() == ".blk") blocks.push_back(e.path());
  }
  std::sort(blocks.begin(), blocks.end());  // ids sort by creation: a, b, c
  ASSERT_EQ(blocks.size(), 3u);
  auto flip = [](const std::string& path, int64_t offset) {
    std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(0, std::ios::end);
    const int64_t size = f.tellg();
    f.seekg(offset < 0 ? size + offset : offset);
    const char c = static_cast<char>(f.get());
    f.seekp(offset < 0 ? size + offset : offset);
    f.put(static_cast<char>(c ^ 0x5a));
  };
  flip(blocks[0], 20);   // in the first value page: found by the query reading it
  flip(blocks[1], -10);  // in the trailer: found at open
  Reopen();
  ASSERT_EQ(table_->issues().size(), 1u);
  Got got = Select({});
  ASSERT_EQ(table_->issues().size(), 2u);
  EXPECT_EQ(table_->stats().damaged_blocks, 2);
  for (const CatalogIssue& issue : table_->issues()) {
    EXPECT_NE(issue.action.find("corrupt"), std::string::npos) << issue.action;
  }
  EXPECT_FALSE(got.contains(L("c", "a")));
  EXPECT_FALSE(got.contains(L("c", "b")));
  ExpectSamples(got[L("c", "c")], Ramp(kT0, 200));
  EXPECT_TRUE(std::filesystem::exists(blocks[0] + ".corrupt"));
}

TEST_F(MetricTableTest, LabelNamesValuesAndSeries) {
  Append({Series(L("up", "api"), {{kT0, 1}}), Series(L("up", "db", "/q"), {{kT0 + 60000, 1}}),
          Series(L("down", "db"), {{kT0, 0}})});
  ASSERT_TRUE(table_->Flush().ok());
  Append({Series(L("up", "web"), {{kT0 + 120000, 1}})});
  auto names = table_->LabelNames({}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "job", "path"}));
  auto jobs = table_->LabelValues("job", {{"__name__", Op::kEq, "up"}}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(jobs.ok());
  EXPECT_EQ(*jobs, (std::vector<std::string>{"api", "db", "web"}));
  auto late = table_->LabelValues("job", {}, kT0 + 1, INT64_MAX);
  EXPECT_EQ(*late, (std::vector<std::string>{"db", "web"}));
  auto without_path =
      table_->Series({{"path", Op::kEq, ""}, {"__name__", Op::kRe, "u.*"}}, INT64_MIN, INT64_MAX);
  ASSERT_TRUE(without_path.ok());
  EXPECT_EQ(*without_path, (std::vector<Labels>{L("up", "api"), L("up", "web")}));
  auto bad = table_->Series({{"job", Op::kRe, "("}}, INT64_MIN, INT64_MAX);
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
}

TEST_F(MetricTableTest, KeepsExemplarsUpToTheBudget) {
  options_.limits.max_exemplars_per_series = 3;
  Reopen();
  auto ex = [](int64_t t, double v, std::string trace) {
    return Exemplar{{{"trace_id", std::move(trace)}}, v, t};
  };
  SeriesSamples s = Series(L("h_bucket", "api"), {{kT0, 1}});
  s.exemplars = {ex(kT0, 0.5, "a"), ex(kT0 + 1, 0.7, "b")};
  MetricAppendResult r = Append({s});
  EXPECT_EQ(r.accepted_exemplars, 2);
  // A scrape exposing the same exemplar again, then newer ones.
  s.samples = {{kT0 + 15000, 2}};
  s.exemplars = {ex(kT0 + 1, 0.7, "b"), ex(kT0 + 2, 0.9, "c"), ex(kT0 + 3, 1.1, "d")};
  r = Append({s});
  EXPECT_EQ(r.accepted_exemplars, 2);
  EXPECT_EQ(r.dropped_exemplars, 1);
  auto traces = [&](int64_t lo, int64_t hi) {
    std::vector<std::string> out;
    EXPECT_TRUE(table_
                    ->SelectExemplars({{"job", Op::kEq, "api"}}, lo, hi,
                                      [&](const Labels&, std::span<const Exemplar> e) {
                                        for (const Exemplar& x : e)
                                          out.push_back(x.labels[0].second);
                                        return true;
                                      })
                    .ok());
    return out;
  };
  EXPECT_EQ(traces(INT64_MIN, INT64_MAX), (std::vector<std::string>{"b", "c", "d"}));
  ASSERT_TRUE(table_->Flush().ok());
  Reopen();
  EXPECT_EQ(traces(INT64_MIN, INT64_MAX), (std::vector<std::string>{"b", "c", "d"}));
  EXPECT_EQ(traces(kT0 + 2, kT0 + 2), (std::vector<std::string>{"c"}));
}

TEST_F(MetricTableTest, MemoryLimitRefusesWithoutBackgroundFlush) {
  options_.table.memory_limit_bytes = 64 << 10;
  Reopen();
  Status last;
  for (int i = 0; i < 200 && last.ok(); ++i) {
    std::vector<SeriesSamples> batch;
    for (int s = 0; s < 50; ++s) {
      batch.push_back(Series(L("m", "j" + std::to_string(i * 50 + s)), {{kT0, 1}}));
    }
    last = table_->Append(MetricBatch{batch, {}}).status();
  }
  EXPECT_EQ(last.code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(table_->stats().refused_appends, 1);
  ASSERT_TRUE(table_->Flush().ok());
}

}  // namespace
}  // namespace quartet::store

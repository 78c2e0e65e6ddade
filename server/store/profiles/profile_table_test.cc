#include "server/store/profiles/profile_table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "base/clock.h"
#include "server/store/profiles/profile_generator.h"

namespace quartet::store {
namespace {

constexpr int64_t kSecond = 1'000'000'000;
using Op = LabelMatch::Op;
const char kCpu[] = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
const char kSamples[] = "process_cpu:samples:count:cpu:nanoseconds";

Labels Series(std::string service, std::string version = "1.0") {
  return {{"__name__", "process_cpu"},
          {"service_name", std::move(service)},
          {"service_version", std::move(version)}};
}

int64_t SumOf(const pprof::Profile& p, size_t type) {
  int64_t sum = 0;
  for (const pprof::Sample& s : p.sample) sum += type < s.value.size() ? s.value[type] : 0;
  return sum;
}

class ProfileTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("profile_table_test_" + std::to_string(std::random_device{}()));
    options_.dir = dir_.string();
    options_.sync = SyncPolicy::kNever;
    Reopen();
  }
  void TearDown() override {
    table_.reset();
    std::filesystem::remove_all(dir_);
  }
  void Reopen() {
    table_.reset();
    Result<std::unique_ptr<ProfileTable>> t = ProfileTable::Open(options_, /*background=*/false);
    ASSERT_TRUE(t.ok()) << t.status().message();
    table_ = std::move(*t);
  }
  // Appends one generated 10 s profile; returns its cpu total.
  int64_t Append(const Labels& labels, int64_t t) {
    pprof::Profile p = gen_.Next(t);
    Result<ProfileAppendResult> r = table_->AppendProfile(labels, t, t + 10 * kSecond, p);
    EXPECT_TRUE(r.ok()) << r.status().message();
    if (r.ok()) {
      EXPECT_EQ(r->profiles, 2);
      EXPECT_EQ(r->samples, static_cast<int64_t>(2 * p.sample.size()));
    }
    return SumOf(p, 1);
  }
  std::pair<int64_t, int64_t> Count(std::string_view type, std::vector<LabelMatch> m = {},
                                    TimeRange range = {}) {
    Result<std::pair<int64_t, int64_t>> c = table_->CountSamples(type, m, range);
    EXPECT_TRUE(c.ok()) << c.status().message();
    return c.ok() ? *c : std::pair<int64_t, int64_t>{-1, -1};
  }

  const int64_t t0_ = (UnixNanos() / kSecond - 3600) * kSecond;
  std::filesystem::path dir_;
  TableOptions options_;
  std::unique_ptr<ProfileTable> table_;
  ProfileGenerator gen_{11};
};

TEST_F(ProfileTableTest, AppendSelectAcrossHeadBlocksAndRestart) {
  int64_t total = 0;
  for (int i = 0; i < 6; ++i) total += Append(Series("shop"), t0_ + i * 10 * kSecond);
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{6}, total));
  ASSERT_TRUE(table_->Flush().ok());
  for (int i = 6; i < 9; ++i) total += Append(Series("shop"), t0_ + i * 10 * kSecond);
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{9}, total));
  EXPECT_EQ(table_->stats().blocks, 1);
  Reopen();  // 6 in a block, 3 replayed from the WAL
  EXPECT_EQ(table_->stats().replayed_records, 3);
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{9}, total));
  EXPECT_EQ(Count(kSamples).first, 9);
  ASSERT_TRUE(table_->Flush().ok());
  Reopen();  // nothing replayed twice
  EXPECT_EQ(table_->stats().replayed_records, 0);
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{9}, total));
}

TEST_F(ProfileTableTest, SelectByLabelsTimeAndSpan) {
  const int64_t shop = Append(Series("shop"), t0_);
  const int64_t cart = Append(Series("cart", "2.0"), t0_ + 10 * kSecond);
  ASSERT_TRUE(table_->Flush().ok());
  const int64_t shop2 = Append(Series("shop"), t0_ + 20 * kSecond);
  EXPECT_EQ(Count(kCpu, {{"service_name", Op::kEq, "shop"}}).second, shop + shop2);
  EXPECT_EQ(Count(kCpu, {{"service_name", Op::kRe, "ca.*"}}).second, cart);
  EXPECT_EQ(Count(kCpu, {}, TimeRange{t0_ + 10 * kSecond, t0_ + 20 * kSecond}).second, cart);
  EXPECT_EQ(Count("memory:alloc_space:bytes:space:bytes").first, 0);
  EXPECT_FALSE(table_->CountSamples(kCpu, {{"a", Op::kRe, "("}}, {}).ok());

  // One span's samples, from a block and from the head.
  for (bool flushed : {false, true}) {
    std::string span;
    int64_t expected = 0;
    ASSERT_TRUE(table_
                    ->SelectProfiles(kCpu, {}, {},
                                     [&](const StoredProfile& p) {
                                       for (const pprof::Sample& s : p.profile.sample) {
                                         for (const pprof::Label& l : s.label) {
                                           if (p.profile.StringAt(l.key) != "span_id") continue;
                                           if (span.empty()) span = p.profile.StringAt(l.str);
                                           if (p.profile.StringAt(l.str) == span) {
                                             expected += s.value[0];
                                           }
                                         }
                                       }
                                       return true;
                                     })
                    .ok());
    ASSERT_FALSE(span.empty());
    std::pair<int64_t, int64_t> got = Count(kCpu, {{"span_id", Op::kEq, span}});
    EXPECT_EQ(got.second, expected) << flushed;
    EXPECT_EQ(got.first, 1) << "the span ran in one profile";
    EXPECT_GT(got.second, 0);
    if (!flushed) {
      ASSERT_TRUE(table_->Flush().ok());
    }
  }
}

TEST_F(ProfileTableTest, TypesLabelNamesAndValues) {
  Append(Series("shop"), t0_);
  ASSERT_TRUE(table_->Flush().ok());
  Append(Series("cart", "2.0"), t0_ + 100 * kSecond);
  auto types = table_->ProfileTypes({}, {});
  ASSERT_TRUE(types.ok());
  EXPECT_EQ(*types, (std::vector<std::string>{kCpu, kSamples}));
  auto names = table_->ProfileLabelNames({{"service_name", Op::kEq, "cart"}}, {});
  ASSERT_TRUE(names.ok());
  EXPECT_EQ(*names, (std::vector<std::string>{"__name__", "service_name", "service_version"}));
  auto values = table_->ProfileLabelValues("service_name", {}, {});
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"cart", "shop"}));
  values = table_->ProfileLabelValues("service_name", {}, TimeRange{t0_ + 50 * kSecond, INT64_MAX});
  ASSERT_TRUE(values.ok());
  EXPECT_EQ(*values, (std::vector<std::string>{"cart"}));
}

TEST_F(ProfileTableTest, BadProfilesAndLabelsStoreNothing) {
  pprof::Profile p = gen_.Next(t0_);
  p.sample[0].location_id[0] = 123456;
  Result<ProfileAppendResult> r = table_->AppendProfile(Series("shop"), t0_, t0_ + 1, p);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = table_->AppendProfile(Series("shop"), t0_, t0_ - 1, gen_.Next(t0_));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  r = table_->AppendProfile({{"z", "1"}, {"a", "2"}}, t0_, t0_ + 1, gen_.Next(t0_));
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Count("").first, 0);
  Reopen();
  EXPECT_EQ(table_->stats().replayed_records, 0);
}

TEST_F(ProfileTableTest, FlippedByteIsDetectedAndTheRestServed) {
  const int64_t first = Append(Series("shop"), t0_);
  ASSERT_TRUE(table_->Flush().ok());
  const int64_t second = Append(Series("shop"), t0_ + 10 * kSecond);
  ASSERT_TRUE(table_->Flush().ok());
  const int64_t third = Append(Series("shop"), t0_ + 20 * kSecond);  // head
  EXPECT_EQ(Count(kCpu).second, first + second + third);
  table_.reset();
  // Flip one byte in the middle of the first block's data.
  std::vector<std::filesystem::path> blocks;
  for (const auto& e : std::filesystem::directory_iterator(dir_ / "blocks")) {
    blocks.push_back(e.path());
  }
  std::sort(blocks.begin(), blocks.end());
  ASSERT_EQ(blocks.size(), 2u);
  {
    std::fstream f(blocks[0], std::ios::in | std::ios::out | std::ios::binary);
    f.seekg(100);
    char c;
    f.read(&c, 1);
    c ^= 0x20;
    f.seekp(100);
    f.write(&c, 1);
  }
  Reopen();
  EXPECT_EQ(Count(kCpu).second, second + third);
  ASSERT_FALSE(table_->issues().empty());
  EXPECT_NE(table_->issues()[0].problem.find("DATA_LOSS"), std::string::npos)
      << table_->issues()[0].problem;
  EXPECT_TRUE(std::filesystem::exists(blocks[0].string() + ".corrupt"));
}

TEST_F(ProfileTableTest, CompactionKeepsEverythingAndShrinks) {
  int64_t total = 0;
  for (int i = 0; i < 8; ++i) {
    total += Append(Series("shop"), t0_ + i * 10 * kSecond);
    ASSERT_TRUE(table_->Flush().ok());
  }
  const uint64_t before = table_->stats().block_bytes;
  Result<int> written = table_->Compact(/*all=*/true);
  ASSERT_TRUE(written.ok()) << written.status().message();
  EXPECT_GE(*written, 1);
  EXPECT_LT(table_->stats().block_bytes, before / 2);
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{8}, total));
  Reopen();
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{8}, total));
}

TEST_F(ProfileTableTest, RetentionDropsOldBlocks) {
  options_.retention_age = std::chrono::hours(1);
  Reopen();
  const int64_t old_t = UnixNanos() - 3 * 3600 * kSecond;
  Append(Series("shop"), old_t);
  ASSERT_TRUE(table_->Flush().ok());
  const int64_t fresh = Append(Series("shop"), UnixNanos() - 60 * kSecond);
  ASSERT_TRUE(table_->Flush().ok());
  Result<RetentionResult> r = table_->ApplyRetention(UnixNanos());
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed_ids.size(), 1u);
  EXPECT_EQ(Count(kCpu), std::make_pair(int64_t{1}, fresh));
}

TEST_F(ProfileTableTest, OverTheMemoryLimitAppendsAreRefused) {
  options_.memory_limit_bytes = 1024;  // an empty head fits, one profile does not
  Reopen();                            // no background thread: nothing will flush
  Append(Series("shop"), t0_);
  Result<ProfileAppendResult> r =
      table_->AppendProfile(Series("shop"), t0_, t0_ + 1, gen_.Next(t0_));
  EXPECT_EQ(r.status().code(), StatusCode::kResourceExhausted);
  EXPECT_EQ(table_->stats().refused_appends, 1);
}

}  // namespace
}  // namespace quartet::store

#include "server/store/wal/wal.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "server/store/wal/format.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

class WalTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("wal_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  WalOptions Options(SyncPolicy sync = SyncPolicy::kNever) {
    WalOptions o;
    o.dir = dir_.string();
    o.sync = sync;
    return o;
  }

  struct Replayed {
    std::vector<std::string> records;
    std::vector<WalPosition> positions;
    WalReplayReport report;
  };
  static Replayed ReplayAll(Wal& wal) {
    Replayed r;
    Status s = wal.Replay(
        [&](std::string_view rec, WalPosition pos) {
          r.records.emplace_back(rec);
          r.positions.push_back(pos);
          return Status::Ok();
        },
        &r.report);
    EXPECT_TRUE(s.ok()) << s.ToString();
    return r;
  }

  std::string SegmentPath(uint64_t i) const { return (dir_ / WalSegmentName(i)).string(); }

  fs::path dir_;
};

std::string Record(size_t size, int seed) {
  std::string s(size, '\0');
  std::mt19937 rng(seed);
  for (char& c : s) c = static_cast<char>(rng());
  return s;
}

TEST_F(WalTest, RoundTripOfEdgeSizesAcrossReopen) {
  constexpr size_t kBody = wal_format::kBlockSize - wal_format::kHeaderSize;
  std::vector<size_t> sizes = {0, 1, 100, kBody - 1, kBody, kBody + 1, 3 * kBody, 1 << 20, 7};
  std::vector<std::string> want;
  std::vector<WalPosition> positions;
  {
    auto wal = Wal::Open(Options());
    ASSERT_TRUE(wal.ok()) << wal.status().ToString();
    Replayed none = ReplayAll(**wal);
    EXPECT_TRUE(none.records.empty());
    for (size_t i = 0; i < sizes.size(); ++i) {
      want.push_back(Record(sizes[i], static_cast<int>(i)));
      auto pos = (*wal)->Append(want.back());
      ASSERT_TRUE(pos.ok()) << pos.status().ToString();
      positions.push_back(*pos);
    }
    EXPECT_EQ((*wal)->stats().records, sizes.size());
    ASSERT_TRUE((*wal)->Close().ok());
  }
  {
    auto wal = Wal::Open(Options());
    ASSERT_TRUE(wal.ok());
    Replayed got = ReplayAll(**wal);
    EXPECT_TRUE(got.report.ok());
    EXPECT_EQ(got.report.truncated_bytes, 0u);
    ASSERT_EQ(got.records, want);
    EXPECT_EQ(got.positions, positions);
    // Appends continue in the adopted last segment.
    want.push_back("after reopen");
    auto pos = (*wal)->Append(want.back());
    ASSERT_TRUE(pos.ok());
    EXPECT_EQ(pos->segment, 1u);
  }
  auto wal = Wal::Open(Options());
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(ReplayAll(**wal).records, want);
}

TEST_F(WalTest, AppendBatchKeepsOrder) {
  auto wal = Wal::Open(Options(SyncPolicy::kAlways));
  ASSERT_TRUE(wal.ok());
  std::vector<std::string> owned = {"a", Record(50000, 1), "", "d"};
  std::vector<std::string_view> views(owned.begin(), owned.end());
  ASSERT_TRUE((*wal)->AppendBatch(views).ok());
  ASSERT_TRUE((*wal)->AppendBatch({}).ok());
  EXPECT_EQ((*wal)->stats().groups, 1u);
  EXPECT_EQ((*wal)->stats().syncs, 1u);
  wal->reset();
  wal = Wal::Open(Options());
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ(ReplayAll(**wal).records, owned);
}

TEST_F(WalTest, OpenValidatesAndLocks) {
  WalOptions empty;
  EXPECT_EQ(Wal::Open(empty).status().code(), StatusCode::kInvalidArgument);
  WalOptions small = Options();
  small.segment_bytes = 100;
  EXPECT_EQ(Wal::Open(small).status().code(), StatusCode::kInvalidArgument);

  // A missing directory (two levels deep) is created.
  WalOptions nested = Options();
  nested.dir = (dir_ / "a" / "b").string();
  auto wal = Wal::Open(nested);
  ASSERT_TRUE(wal.ok()) << wal.status().ToString();
  EXPECT_TRUE(fs::exists(dir_ / "a" / "b" / WalSegmentName(1)));
  auto second = Wal::Open(nested);
  EXPECT_EQ(second.status().code(), StatusCode::kUnavailable);
  wal->reset();
  EXPECT_TRUE(Wal::Open(nested).ok());
}

TEST_F(WalTest, RefusesOversizedRecordAndLateReplayAndUseAfterClose) {
  auto wal = Wal::Open(Options());
  ASSERT_TRUE(wal.ok());
  std::string huge(Wal::kMaxRecordBytes + 1, 'x');
  EXPECT_EQ((*wal)->Append(huge).status().code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE((*wal)->Append("x").ok());
  WalReplayReport report;
  EXPECT_EQ(
      (*wal)->Replay([](std::string_view, WalPosition) { return Status::Ok(); }, &report).code(),
      StatusCode::kFailedPrecondition);
  ASSERT_TRUE((*wal)->Close().ok());
  EXPECT_TRUE((*wal)->Close().ok());
  EXPECT_EQ((*wal)->Append("y").status().code(), StatusCode::kFailedPrecondition);
}

TEST_F(WalTest, ReplayStopsAtCallbackError) {
  {
    auto wal = Wal::Open(Options());
    for (int i = 0; i < 5; ++i) ASSERT_TRUE((*wal)->Append(std::to_string(i)).ok());
  }
  auto wal = Wal::Open(Options());
  int seen = 0;
  WalReplayReport report;
  Status s = (*wal)->Replay(
      [&](std::string_view, WalPosition) {
        return ++seen == 3 ? Status::Internal("head full") : Status::Ok();
      },
      &report);
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_EQ(seen, 3);
  // The unverified last segment is not adopted: appends go to a new one.
  auto pos = (*wal)->Append("next");
  ASSERT_TRUE(pos.ok());
  EXPECT_EQ(pos->segment, 2u);
}

// Cutting the file anywhere inside the last record loses exactly that record,
// is reported as a tail, and later appends replay cleanly after the others.
TEST_F(WalTest, TruncatedTailAtEveryOffsetOfLastRecord) {
  std::vector<std::string> first = {Record(300, 1), Record(40000, 2), Record(10, 3)};
  std::string last = Record(33000, 4);  // three fragments across a block boundary
  uint64_t last_start = 0, file_end = 0;
  {
    auto wal = Wal::Open(Options());
    for (const auto& r : first) ASSERT_TRUE((*wal)->Append(r).ok());
    auto pos = (*wal)->Append(last);
    ASSERT_TRUE(pos.ok());
    last_start = pos->offset;
  }
  file_end = fs::file_size(SegmentPath(1));
  std::string original;
  {
    std::ifstream in(SegmentPath(1), std::ios::binary);
    original.assign(std::istreambuf_iterator<char>(in), {});
  }
  ASSERT_EQ(original.size(), file_end);
  int cases = 0;
  for (uint64_t cut = last_start; cut < file_end; cut += (cut - last_start < 64 ? 1 : 251)) {
    {
      std::ofstream out(SegmentPath(1), std::ios::binary | std::ios::trunc);
      out.write(original.data(), static_cast<std::streamsize>(cut));
    }
    {
      auto wal = Wal::Open(Options());
      ASSERT_TRUE(wal.ok());
      Replayed got = ReplayAll(**wal);
      ASSERT_EQ(got.records, first) << "cut at " << cut;
      EXPECT_EQ(got.report.truncated_bytes, cut - last_start) << cut;
      if (cut > last_start) {
        ASSERT_EQ(got.report.corruptions.size(), 1u) << cut;
        EXPECT_TRUE(got.report.corruptions[0].tail);
        EXPECT_EQ(got.report.corruptions[0].offset, last_start);
      }
      ASSERT_TRUE((*wal)->Append("fresh").ok());
    }
    auto wal = Wal::Open(Options());
    Replayed again = ReplayAll(**wal);
    EXPECT_TRUE(again.report.ok()) << cut;
    ASSERT_EQ(again.records.size(), first.size() + 1);
    EXPECT_EQ(again.records.back(), "fresh");
    ++cases;
  }
  EXPECT_GT(cases, 150);
}

TEST_F(WalTest, FlippedByteInTheMiddleIsReportedAndReplayResyncs) {
  constexpr int kRecords = 100;
  std::vector<std::string> want;
  std::vector<WalPosition> pos;
  {
    auto wal = Wal::Open(Options());
    for (int i = 0; i < kRecords; ++i) {
      want.push_back(Record(1000, i));
      pos.push_back(*(*wal)->Append(want.back()));
    }
  }
  // Damage record 5's payload; the reader drops the rest of that block.
  {
    std::fstream f(SegmentPath(1), std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(static_cast<std::streamoff>(pos[5].offset + wal_format::kHeaderSize + 10));
    f.put('\x5a' ^ want[5][10]);
  }
  auto wal = Wal::Open(Options());
  Replayed got = ReplayAll(**wal);
  ASSERT_EQ(got.report.corruptions.size(), 1u);
  const WalCorruption& c = got.report.corruptions[0];
  EXPECT_FALSE(c.tail);
  EXPECT_EQ(c.segment, 1u);
  EXPECT_EQ(c.offset, pos[5].offset);
  EXPECT_EQ(c.reason, "checksum mismatch");
  EXPECT_EQ(got.report.truncated_bytes, 0u);
  // Records starting in the damaged block, and the one spanning out of it,
  // are lost; everything after resumes.
  size_t first_kept = 0;
  for (size_t i = 6; i < pos.size(); ++i) {
    if (pos[i].offset >= wal_format::kBlockSize && pos[i - 1].offset + 1000 + 7 <= pos[i].offset) {
      first_kept = i;
      break;
    }
  }
  ASSERT_GT(first_kept, 6u);
  EXPECT_EQ(c.offset + c.bytes_skipped, pos[first_kept].offset);
  std::vector<std::string> expect(want.begin(), want.begin() + 5);
  expect.insert(expect.end(), want.begin() + static_cast<long>(first_kept), want.end());
  EXPECT_EQ(got.records, expect);
  EXPECT_EQ(got.report.records, expect.size());
}

TEST_F(WalTest, RotationAndRemoveSegmentsBefore) {
  auto wal = Wal::Open(Options(SyncPolicy::kAlways));
  ASSERT_TRUE(wal.ok());
  EXPECT_EQ((*wal)->current_segment(), 1u);
  ASSERT_TRUE((*wal)->Append("one").ok());
  EXPECT_EQ(*(*wal)->Rotate(), 2u);
  EXPECT_EQ((*wal)->Append("two")->segment, 2u);
  EXPECT_EQ(*(*wal)->Rotate(), 3u);
  EXPECT_EQ((*wal)->Append("three")->segment, 3u);
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(3).ok());
  EXPECT_FALSE(fs::exists(SegmentPath(1)));
  EXPECT_FALSE(fs::exists(SegmentPath(2)));
  // The segment being written is never removed.
  ASSERT_TRUE((*wal)->RemoveSegmentsBefore(100).ok());
  EXPECT_TRUE(fs::exists(SegmentPath(3)));
  wal->reset();
  wal = Wal::Open(Options());
  EXPECT_EQ((*wal)->current_segment(), 4u);  // before Replay: a fresh segment
  Replayed got = ReplayAll(**wal);
  EXPECT_EQ(got.records, std::vector<std::string>{"three"});
  EXPECT_EQ(got.positions[0].segment, 3u);
  EXPECT_EQ((*wal)->current_segment(), 3u);  // adopted after a clean replay
}

TEST_F(WalTest, SegmentsRollOverBySize) {
  WalOptions o = Options();
  o.segment_bytes = 64 << 10;
  std::vector<std::string> want;
  {
    auto wal = Wal::Open(o);
    for (int i = 0; i < 200; ++i) {
      want.push_back(Record(1000 + i, i));
      ASSERT_TRUE((*wal)->Append(want.back()).ok());
    }
    EXPECT_GE((*wal)->current_segment(), 3u);
  }
  for (uint64_t i = 1; fs::exists(SegmentPath(i)); ++i) {
    EXPECT_LE(fs::file_size(SegmentPath(i)), o.segment_bytes);
  }
  auto wal = Wal::Open(o);
  Replayed got = ReplayAll(**wal);
  EXPECT_EQ(got.records, want);
  EXPECT_GE(got.report.segments, 3u);
}

TEST_F(WalTest, AppendWithoutReplayStartsANewSegment) {
  {
    auto wal = Wal::Open(Options());
    ASSERT_TRUE((*wal)->Append("old").ok());
  }
  // Simulate a torn tail left by a crash, then append without replaying.
  {
    std::ofstream out(SegmentPath(1), std::ios::binary | std::ios::app);
    out.write("\x01\x02\x03", 3);
  }
  {
    auto wal = Wal::Open(Options());
    EXPECT_EQ((*wal)->Append("new")->segment, 2u);
  }
  auto wal = Wal::Open(Options());
  Replayed got = ReplayAll(**wal);
  EXPECT_EQ(got.records, (std::vector<std::string>{"old", "new"}));
  ASSERT_EQ(got.report.corruptions.size(), 1u);  // the old segment's tail, left in place
  EXPECT_EQ(got.report.corruptions[0].segment, 1u);
  EXPECT_EQ(got.report.truncated_bytes, 0u);
}

TEST_F(WalTest, IntervalPolicySyncsInTheBackground) {
  WalOptions o = Options(SyncPolicy::kInterval);
  o.sync_interval = std::chrono::milliseconds(5);
  auto wal = Wal::Open(o);
  ASSERT_TRUE(wal.ok());
  ASSERT_TRUE((*wal)->Append("x").ok());
  for (int i = 0; i < 400 && (*wal)->stats().syncs == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  EXPECT_GE((*wal)->stats().syncs, 1u);
}

}  // namespace
}  // namespace quartet::store

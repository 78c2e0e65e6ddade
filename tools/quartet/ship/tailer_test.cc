#include "tools/quartet/ship/tailer.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

namespace quartet::ship {
namespace {

class TailerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/ship_tailer_XXXXXX";
    dir_ = mkdtemp(tmpl);
    path_ = dir_ + "/app.log";
  }
  void TearDown() override {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  void Append(const std::string& path, const std::string& text) {
    std::ofstream(path, std::ios::app | std::ios::binary) << text;
  }
  void Append(const std::string& text) { Append(path_, text); }
  std::vector<std::string> Poll(FileTailer& t, size_t max_bytes = 1 << 20) {
    std::vector<TailedLine> lines;
    Status st = t.Poll(max_bytes, &lines);
    EXPECT_TRUE(st.ok()) << st.ToString();
    std::vector<std::string> out;
    for (TailedLine& l : lines) {
      out.push_back(l.text);
      last_ = l.end;
    }
    return out;
  }
  using V = std::vector<std::string>;

  std::string dir_, path_;
  FilePosition last_;
};

TEST_F(TailerTest, FollowsAppendsAndWaitsForTheNewline) {
  FileTailer t(path_, 1024);
  EXPECT_EQ(Poll(t), V{});  // no file yet: nothing, no error
  Append("one\ntw");
  EXPECT_EQ(Poll(t), V{"one"});
  EXPECT_EQ(last_.offset, 4);
  Append("o\r\nthree\n");
  EXPECT_EQ(Poll(t), (V{"two", "three"}));
  EXPECT_EQ(last_.offset, 15);
  EXPECT_EQ(Poll(t), V{});
}

TEST_F(TailerTest, RenameRotationFinishesTheOldFileFirst) {
  FileTailer t(path_, 1024);
  Append("a1\na2\n");
  EXPECT_EQ(Poll(t), (V{"a1", "a2"}));
  FileId old_id = last_.file;
  Append("a3\npartial");
  ASSERT_EQ(rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  Append("b1\n");               // the new file
  EXPECT_EQ(Poll(t), V{"a3"});  // the old file grew this poll: not switched yet
  EXPECT_EQ(Poll(t), (V{"partial", "b1"}));
  EXPECT_NE(last_.file, old_id);
  EXPECT_EQ(last_.offset, 3);
  EXPECT_EQ(t.rotations(), 1u);
}

TEST_F(TailerTest, PathMissingKeepsReadingTheOldFile) {
  FileTailer t(path_, 1024);
  Append("a1\n");
  EXPECT_EQ(Poll(t), V{"a1"});
  ASSERT_EQ(rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  Append(path_ + ".1", "a2\n");
  EXPECT_EQ(Poll(t), V{"a2"});
  EXPECT_EQ(Poll(t), V{});
  Append("b1\n");
  EXPECT_EQ(Poll(t), V{"b1"});
}

TEST_F(TailerTest, CopyTruncateRestartsAtZero) {
  FileTailer t(path_, 1024);
  Append("a1\na2\n");
  EXPECT_EQ(Poll(t), (V{"a1", "a2"}));
  ASSERT_EQ(truncate(path_.c_str(), 0), 0);
  Append("b1\n");
  EXPECT_EQ(Poll(t), V{"b1"});
  EXPECT_EQ(last_.offset, 3);
  EXPECT_EQ(t.truncations(), 1u);
}

TEST_F(TailerTest, RestoreResumesAtTheSavedOffset) {
  Append("a1\na2\na3\n");
  FilePosition saved;
  {
    FileTailer t(path_, 1024);
    Poll(t);
    saved = last_;
    saved.offset = 3;  // only a1 acknowledged
  }
  FileTailer t(path_, 1024);
  t.Restore(saved);
  EXPECT_EQ(Poll(t), (V{"a2", "a3"}));
}

TEST_F(TailerTest, RestoreFindsTheRotatedFileAmongSiblings) {
  Append("a1\na2\n");
  FilePosition saved;
  {
    FileTailer t(path_, 1024);
    Poll(t);
    saved = last_;
    saved.offset = 3;
  }
  // Rotated while the shipper was down.
  ASSERT_EQ(rename(path_.c_str(), (path_ + ".1").c_str()), 0);
  Append("b1\n");
  FileTailer t(path_, 1024);
  t.Restore(saved);
  EXPECT_EQ(Poll(t), V{"a2"});
  EXPECT_EQ(Poll(t), V{"b1"});
}

TEST_F(TailerTest, RestoreOfAVanishedFileStartsTheNewOneAtZero) {
  Append("b1\n");
  FileTailer t(path_, 1024);
  t.Restore(FilePosition{{1, 999999999}, 100});
  EXPECT_EQ(Poll(t), V{"b1"});
}

TEST_F(TailerTest, LongLinesAreCutAndTheRestSkipped) {
  FileTailer t(path_, 8);
  Append("0123456789abc\nok\n");
  EXPECT_EQ(Poll(t), (V{"01234567", "ok"}));
  EXPECT_EQ(last_.offset, 17);
  EXPECT_EQ(t.cut_lines(), 1u);
}

TEST_F(TailerTest, ByteBudgetStopsEarlyAndTheNextPollContinues) {
  std::string big;
  for (int i = 0; i < 20000; ++i) big += "line " + std::to_string(i) + "\n";
  Append(big);
  FileTailer t(path_, 1024);
  V first = Poll(t, 1000);  // reads one 64 KiB chunk at most
  ASSERT_FALSE(first.empty());
  EXPECT_LT(first.size(), 20000u);
  V rest = Poll(t);
  EXPECT_EQ(first.size() + rest.size(), 20000u);
  EXPECT_EQ(rest.back(), "line 19999");
}

}  // namespace
}  // namespace quartet::ship

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "server/store/block/block_reader.h"
#include "server/store/block/block_writer.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

class BlockTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("block_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }
  std::string Path(const char* name) const { return (dir_ / name).string(); }
  fs::path dir_;
};

std::string Slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), {});
}
void Spit(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
}

TEST_F(BlockTest, RoundTripOfSeveralSections) {
  std::string random(100000, '\0');
  std::mt19937 rng(1);
  for (char& c : random) c = static_cast<char>(rng());
  std::string text;
  for (int i = 0; i < 5000; ++i) text += "GET /api/cart/" + std::to_string(i % 7) + " 200\n";
  struct Section {
    std::string name;
    std::string bytes;
    Codec codec;
  };
  std::vector<Section> sections = {{"text", text, Codec::kZstd},
                                   {"random", random, Codec::kZstd},
                                   {"raw", "uncompressed\0bytes", Codec::kNone},
                                   {"empty", "", Codec::kZstd},
                                   {"empty_raw", "", Codec::kNone}};
  std::string path = Path("a.blk");
  auto w = BlockWriter::Create(path);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  for (const auto& s : sections) ASSERT_TRUE((*w)->AddSection(s.name, s.bytes, s.codec).ok());
  EXPECT_FALSE(fs::exists(path));  // only the .tmp until Finish
  ASSERT_TRUE((*w)->Finish(R"({"id":"x"})").ok());
  EXPECT_TRUE(fs::exists(path));
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_EQ((*w)->AddSection("late", "x").code(), StatusCode::kFailedPrecondition);

  auto r = BlockReader::Open(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)->meta(), R"({"id":"x"})");
  EXPECT_EQ((*r)->file_bytes(), fs::file_size(path));
  ASSERT_EQ((*r)->sections().size(), sections.size());
  EXPECT_LT((*r)->sections()[0].stored_len, text.size() / 10);  // text compressed well
  EXPECT_EQ((*r)->sections()[0].raw_len, text.size());
  EXPECT_EQ((*r)->SectionNames(),
            (std::vector<std::string>{"text", "random", "raw", "empty", "empty_raw"}));
  for (const auto& s : sections) {
    auto got = (*r)->ReadSection(s.name);
    ASSERT_TRUE(got.ok()) << s.name << ": " << got.status().ToString();
    EXPECT_EQ(*got, s.bytes) << s.name;
    EXPECT_TRUE((*r)->HasSection(s.name));
  }
  EXPECT_EQ(*(*r)->StoredSection("raw"), sections[2].bytes);
  EXPECT_FALSE((*r)->HasSection("nope"));
  EXPECT_EQ((*r)->ReadSection("nope").status().code(), StatusCode::kNotFound);
}

TEST_F(BlockTest, WriterRejectsBadSectionsAndCleansUp) {
  std::string path = Path("b.blk");
  {
    auto w = BlockWriter::Create(path);
    ASSERT_TRUE((*w)->AddSection("x", "1").ok());
    EXPECT_EQ((*w)->AddSection("x", "2").code(), StatusCode::kInvalidArgument);
    EXPECT_EQ((*w)->AddSection("", "2").code(), StatusCode::kInvalidArgument);
    EXPECT_EQ((*w)->AddSection(std::string(256, 'n'), "2").code(), StatusCode::kInvalidArgument);
    EXPECT_TRUE(fs::exists(path + ".tmp"));
  }  // abandoned
  EXPECT_FALSE(fs::exists(path + ".tmp"));
  EXPECT_FALSE(fs::exists(path));
  EXPECT_EQ(BlockReader::Open(path).status().code(), StatusCode::kNotFound);
}

// Every single-byte corruption is detected at Open or at ReadSection, with a
// DataLoss naming the file; nothing crashes and no wrong bytes are returned.
TEST_F(BlockTest, EveryFlippedByteIsDetected) {
  std::string path = Path("c.blk");
  std::vector<std::pair<std::string, std::string>> sections = {
      {"ts", std::string(300, 'a') + "xyz"}, {"raw", "plain bytes"}, {"z", "hello hello hello"}};
  {
    auto w = BlockWriter::Create(path);
    ASSERT_TRUE((*w)->AddSection("ts", sections[0].second).ok());
    ASSERT_TRUE((*w)->AddSection("raw", sections[1].second, Codec::kNone).ok());
    ASSERT_TRUE((*w)->AddSection("z", sections[2].second, Codec::kZstd, 1).ok());
    ASSERT_TRUE((*w)->Finish("{}").ok());
  }
  const std::string original = Slurp(path);
  for (size_t i = 0; i < original.size(); ++i) {
    for (uint8_t flip : {0x01, 0x80, 0xff}) {
      std::string bad = original;
      bad[i] = static_cast<char>(bad[i] ^ flip);
      Spit(path, bad);
      auto r = BlockReader::Open(path);
      if (!r.ok()) {
        EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << i;
        EXPECT_NE(r.status().message().find(path), std::string_view::npos) << i;
        continue;
      }
      int detected = 0;
      for (const auto& [name, bytes] : sections) {
        auto got = (*r)->ReadSection(name);
        if (got.ok()) {
          EXPECT_EQ(*got, bytes) << "byte " << i << " section " << name;
        } else {
          ++detected;
          EXPECT_EQ(got.status().code(), StatusCode::kDataLoss) << i;
          EXPECT_NE(got.status().message().find(path), std::string_view::npos);
          EXPECT_NE(got.status().message().find(name), std::string_view::npos);
        }
      }
      EXPECT_EQ(detected, 1) << "byte " << i << " flip " << int{flip};
    }
  }
}

TEST_F(BlockTest, TruncatedFilesAreDataLoss) {
  std::string path = Path("d.blk");
  {
    auto w = BlockWriter::Create(path);
    ASSERT_TRUE((*w)->AddSection("s", std::string(1000, 's')).ok());
    ASSERT_TRUE((*w)->Finish("{}").ok());
  }
  const std::string original = Slurp(path);
  for (size_t len = 0; len < original.size(); ++len) {
    Spit(path, std::string_view(original).substr(0, len));
    auto r = BlockReader::Open(path);
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << len;
  }
  // Appended garbage moves the trailer: also refused.
  Spit(path, original + "junk");
  EXPECT_EQ(BlockReader::Open(path).status().code(), StatusCode::kDataLoss);
}

TEST_F(BlockTest, FromBytesRejectsGarbage) {
  const std::vector<std::string> junks = {"", "QRTBLOCK", std::string(100, '\0')};
  for (const std::string& junk : junks) {
    EXPECT_EQ(BlockReader::FromBytes(junk).status().code(), StatusCode::kDataLoss);
  }
}

}  // namespace
}  // namespace quartet::store

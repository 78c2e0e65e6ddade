#include "server/store/block/catalog.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/store/block/block_writer.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;
using std::chrono::hours;

constexpr int64_t kHour = 3'600'000'000'000;

class CatalogTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::path(::testing::TempDir()) /
           ("catalog_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  // Writes a block with `payload_bytes` of incompressible data at path (or
  // the catalog's place for it); returns its meta.
  BlockMeta Write(const std::string& id, int64_t min_ns, int64_t max_ns, uint32_t level = 0,
                  std::vector<std::string> sources = {}, size_t payload_bytes = 1000,
                  std::string path = "") {
    BlockMeta m;
    m.id = id;
    m.min_time_ns = min_ns;
    m.max_time_ns = max_ns;
    m.rows = 10;
    m.level = level;
    m.sources = std::move(sources);
    std::string payload(payload_bytes, '\0');
    for (size_t i = 0; i < payload.size(); ++i)
      payload[i] = static_cast<char>(i * 2654435761u >> 13);
    auto w = BlockWriter::Create(path.empty() ? (dir_ / (id + ".blk")).string() : path);
    EXPECT_TRUE(w.ok());
    EXPECT_TRUE((*w)->AddSection("data", payload, Codec::kNone).ok());
    EXPECT_TRUE((*w)->Finish(m.ToJson()).ok());
    return m;
  }

  std::unique_ptr<BlockCatalog> OpenCatalog() {
    auto c = BlockCatalog::Open(dir_.string());
    EXPECT_TRUE(c.ok()) << c.status().ToString();
    return std::move(c).value();
  }

  static std::vector<std::string> Ids(const BlockCatalog& c) {
    std::vector<std::string> ids;
    for (const auto& b : *c.Blocks()) ids.push_back(b->meta.id);
    return ids;
  }

  fs::path dir_;
};

TEST(BlockMeta, JsonRoundTripAndValidation) {
  BlockMeta m;
  m.id = NewBlockId(1'700'000'000'000'000'000);
  m.min_time_ns = -5;
  m.max_time_ns = 1'700'000'000'000'000'000;
  m.rows = 123;
  m.level = 2;
  m.sources = {"A", "B"};
  m.extra_json = R"({"schema":3,"signal":"traces"})";
  auto back = BlockMeta::FromJson(m.ToJson());
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->id, m.id);
  EXPECT_EQ(back->min_time_ns, m.min_time_ns);
  EXPECT_EQ(back->max_time_ns, m.max_time_ns);
  EXPECT_EQ(back->rows, m.rows);
  EXPECT_EQ(back->level, m.level);
  EXPECT_EQ(back->sources, m.sources);
  EXPECT_EQ(back->extra_json, m.extra_json);
  for (const char* bad :
       {"", "[]", R"({"id":"a/b","min_time_ns":0,"max_time_ns":0,"rows":0,"level":0})",
        R"({"id":"A","min_time_ns":5,"max_time_ns":1,"rows":0,"level":0})",
        R"({"id":"A","min_time_ns":0,"max_time_ns":1,"rows":-1,"level":0})",
        R"({"id":"A","min_time_ns":0,"max_time_ns":1,"rows":0,"level":0,"sources":[1]})",
        R"({"id":"A","min_time_ns":0.5,"max_time_ns":1,"rows":0,"level":0})"}) {
    EXPECT_EQ(BlockMeta::FromJson(bad).status().code(), StatusCode::kInvalidArgument) << bad;
  }
}

TEST(BlockMeta, IdsSortByTimeAndAreUnique) {
  std::string a = NewBlockId(1'000'000'000), b = NewBlockId(2'000'000'000),
              b2 = NewBlockId(2'000'000'000);
  EXPECT_EQ(a.size(), 26u);
  EXPECT_LT(a, b);
  EXPECT_NE(b, b2);
  EXPECT_TRUE(IsValidBlockId(a));
  EXPECT_FALSE(IsValidBlockId(""));
  EXPECT_FALSE(IsValidBlockId("../x"));
}

TEST_F(CatalogTest, OpenListsBlocksSortedAndSetsCorruptOnesAside) {
  Write("B", 2 * kHour, 3 * kHour);
  Write("A", 1 * kHour, 2 * kHour);
  Write("C", 0, kHour);
  // Damage C's trailer, and leave an unfinished .tmp behind.
  {
    std::fstream f(dir_ / "C.blk", std::ios::in | std::ios::out | std::ios::binary);
    f.seekp(-10, std::ios::end);
    f.put('X');
  }
  { std::ofstream(dir_ / "D.blk.tmp") << "half"; }
  auto cat = OpenCatalog();
  EXPECT_EQ(Ids(*cat), (std::vector<std::string>{"A", "B"}));
  EXPECT_TRUE(fs::exists(dir_ / "C.blk.corrupt"));
  EXPECT_FALSE(fs::exists(dir_ / "C.blk"));
  EXPECT_FALSE(fs::exists(dir_ / "D.blk.tmp"));
  auto issues = cat->issues();
  ASSERT_EQ(issues.size(), 2u);
  bool saw_corrupt = false;
  for (const auto& i : issues) {
    if (i.file.ends_with("C.blk")) {
      saw_corrupt = true;
      EXPECT_NE(i.problem.find("DATA_LOSS"), std::string::npos) << i.problem;
      EXPECT_NE(i.action.find(".corrupt"), std::string::npos);
    }
  }
  EXPECT_TRUE(saw_corrupt);
  // The good blocks are readable.
  for (const auto& b : *cat->Blocks()) {
    auto data = b->reader->ReadSection("data");
    ASSERT_TRUE(data.ok());
    EXPECT_EQ(data->size(), 1000u);
  }
  // Reopening finds nothing new to complain about.
  cat.reset();
  EXPECT_TRUE(OpenCatalog()->issues().empty());
}

TEST_F(CatalogTest, AddMovesIntoDirAndRefusesDuplicates) {
  auto cat = OpenCatalog();
  fs::create_directories(dir_ / "staging");
  std::string staged = (dir_ / "staging" / "X.blk").string();
  Write("X", 0, 10, 0, {}, 100, staged);
  ASSERT_TRUE(cat->Add(staged).ok());
  EXPECT_TRUE(fs::exists(cat->PathFor("X")));
  EXPECT_FALSE(fs::exists(staged));
  Write("Y", 5, 6);
  ASSERT_TRUE(cat->Add(cat->PathFor("Y")).ok());
  EXPECT_EQ(cat->Add(cat->PathFor("Y")).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ids(*cat), (std::vector<std::string>{"X", "Y"}));
  EXPECT_EQ(cat->total_bytes(),
            fs::file_size(cat->PathFor("X")) + fs::file_size(cat->PathFor("Y")));
}

TEST_F(CatalogTest, RetentionByAgeThenBySize) {
  int64_t now = 100 * kHour;
  Write("OLD1", 0, 10 * kHour);
  Write("OLD2", 10 * kHour, 20 * kHour);
  Write("MID", 80 * kHour, 90 * kHour, 0, {}, 5000);
  Write("NEW", 95 * kHour, 99 * kHour, 0, {}, 5000);
  auto cat = OpenCatalog();
  auto snapshot = cat->Blocks();  // a query in flight
  auto r = cat->ApplyRetention(hours(48), 0, now);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed_ids, (std::vector<std::string>{"OLD1", "OLD2"}));
  EXPECT_EQ(Ids(*cat), (std::vector<std::string>{"MID", "NEW"}));
  EXPECT_FALSE(fs::exists(cat->PathFor("OLD1")));
  // The old snapshot still reads the deleted blocks.
  ASSERT_EQ(snapshot->size(), 4u);
  EXPECT_TRUE((*snapshot)[0]->reader->ReadSection("data").ok());

  uint64_t new_bytes = fs::file_size(cat->PathFor("NEW"));
  r = cat->ApplyRetention(hours(0), new_bytes + 10, now);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->removed_ids, std::vector<std::string>{"MID"});
  EXPECT_GT(r->removed_bytes, 5000u);
  EXPECT_EQ(Ids(*cat), std::vector<std::string>{"NEW"});
  r = cat->ApplyRetention(hours(0), 0, now);  // no limits: nothing happens
  EXPECT_TRUE(r->removed_ids.empty());
  cat.reset();
  EXPECT_EQ(Ids(*OpenCatalog()), std::vector<std::string>{"NEW"});
}

TEST_F(CatalogTest, ReplaceSwapsAtomicallyAndChecksSources) {
  Write("A", 0, 10);
  Write("B", 20, 30);
  Write("C", 40, 50);
  auto cat = OpenCatalog();
  std::vector<std::string> old = {"A", "B"};
  Write("BAD", 0, 30, 1, {"A"});  // does not list B
  EXPECT_EQ(cat->Replace(old, cat->PathFor("BAD")).code(), StatusCode::kInvalidArgument);
  fs::remove(cat->PathFor("BAD"));
  Write("AB", 0, 30, 1, {"A", "B"});
  auto before = cat->Blocks();
  ASSERT_TRUE(cat->Replace(old, cat->PathFor("AB")).ok());
  EXPECT_EQ(Ids(*cat), (std::vector<std::string>{"AB", "C"}));
  EXPECT_EQ(before->size(), 3u);
  EXPECT_FALSE(fs::exists(cat->PathFor("A")));
  EXPECT_FALSE(fs::exists(cat->PathFor("B")));
  std::vector<std::string> missing = {"Z"};
  Write("Z2", 0, 1, 1, {"Z"});
  EXPECT_EQ(cat->Replace(missing, cat->PathFor("Z2")).code(), StatusCode::kNotFound);
}

// A crash at each step of Replace: the new block not yet complete (.tmp),
// complete but old blocks not deleted, one old block deleted. Reopening shows
// either the old set or the new block, never both.
TEST_F(CatalogTest, ReplaceIsCrashSafeAtEveryStep) {
  struct Step {
    const char* name;
    bool new_complete;
    bool a_deleted;
    std::vector<std::string> want;
  };
  for (const Step& s : std::vector<Step>{{"before rename", false, false, {"A", "B", "C"}},
                                         {"after rename", true, false, {"AB", "C"}},
                                         {"mid delete", true, true, {"AB", "C"}}}) {
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    Write("A", 0, 10);
    Write("B", 20, 30);
    Write("C", 40, 50);
    if (s.new_complete) {
      Write("AB", 0, 30, 1, {"A", "B"});
    } else {
      std::ofstream(dir_ / "AB.blk.tmp") << "partial";
    }
    if (s.a_deleted) fs::remove(dir_ / "A.blk");
    auto cat = OpenCatalog();
    EXPECT_EQ(Ids(*cat), s.want) << s.name;
    uint64_t rows = 0;
    for (const auto& b : *cat->Blocks()) rows += b->meta.rows;
    EXPECT_EQ(rows, s.want.size() * 10) << s.name;
    EXPECT_FALSE(fs::exists(dir_ / "AB.blk.tmp")) << s.name;
    EXPECT_EQ(fs::exists(dir_ / "B.blk"), !s.new_complete) << s.name;
  }
  // A damaged replacement: the old set stays.
  fs::remove_all(dir_);
  fs::create_directories(dir_);
  Write("A", 0, 10);
  Write("B", 20, 30);
  Write("AB", 0, 30, 1, {"A", "B"});
  fs::resize_file(dir_ / "AB.blk", fs::file_size(dir_ / "AB.blk") - 1);
  EXPECT_EQ(Ids(*OpenCatalog()), (std::vector<std::string>{"A", "B"}));
}

TEST_F(CatalogTest, CompactionCandidatesGroupByLevelAndWindow) {
  Write("A", 0, kHour - 1);
  Write("B", kHour / 2, kHour / 2 + 5);
  Write("C", kHour, kHour + 5);      // next window, alone
  Write("D", kHour - 5, kHour + 5);  // straddles: never grouped
  Write("E", 10, 20, 1);             // other level
  Write("F", 2 * kHour, 2 * kHour + 1);
  Write("G", 2 * kHour + 2, 2 * kHour + 3);
  Write("H", 2 * kHour + 4, 2 * kHour + 9);
  auto cat = OpenCatalog();
  auto groups = cat->CompactionCandidates(0, kHour, 2);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].window_start_ns, 0);
  EXPECT_EQ(groups[0].ids, (std::vector<std::string>{"A", "B"}));
  EXPECT_EQ(groups[1].window_start_ns, 2 * kHour);
  EXPECT_EQ(groups[1].ids, (std::vector<std::string>{"F", "G", "H"}));
  EXPECT_EQ(cat->CompactionCandidates(0, kHour, 3).size(), 1u);
  EXPECT_TRUE(cat->CompactionCandidates(1, kHour, 2).empty());
  EXPECT_TRUE(cat->CompactionCandidates(0, 0, 2).empty());
}

}  // namespace
}  // namespace quartet::store

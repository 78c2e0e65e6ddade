#include "server/store/annotations/annotation_table.h"

#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "server/store/annotations/annotation_record.h"

namespace quartet::store {
namespace {

namespace fs = std::filesystem;

class AnnotationTableTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("annotation_table_test_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  std::unique_ptr<AnnotationTable> Open(int64_t min_garbage = 128) {
    Result<std::unique_ptr<AnnotationTable>> t = AnnotationTable::Open(
        {.dir = dir_.string(), .min_garbage_records = min_garbage, .now_ms = [this] {
           return now_ms_;
         }});
    EXPECT_TRUE(t.ok()) << t.status().ToString();
    return t.ok() ? std::move(*t) : nullptr;
  }
  std::string LogPath() const { return (dir_ / "annotations.log").string(); }
  std::string ReadLog() const {
    std::ifstream in(LogPath(), std::ios::binary);
    return {std::istreambuf_iterator<char>(in), {}};
  }
  void WriteLog(const std::string& data) const {
    std::ofstream out(LogPath(), std::ios::binary | std::ios::trunc);
    out << data;
  }

  fs::path dir_;
  int64_t now_ms_ = 1'700'000'000'000;
};

Annotation Deploy(int64_t time_ms, std::vector<std::string> tags, std::string text = "deploy") {
  Annotation a;
  a.time_ms = time_ms;
  a.tags = std::move(tags);
  a.text = std::move(text);
  return a;
}

std::vector<int64_t> Ids(const std::vector<Annotation>& v) {
  std::vector<int64_t> ids;
  for (const Annotation& a : v) ids.push_back(a.id);
  return ids;
}

TEST_F(AnnotationTableTest, CreateAssignsIdsTimesAndSurvivesReopen) {
  {
    auto t = Open();
    Annotation a = Deploy(0, {"deploy", "service=checkout"}, "v1");
    a.dashboard_uid = "dash";
    a.panel_id = 7;
    a.data_json = R"({"k":1})";
    Result<Annotation> first = t->Create(a);
    ASSERT_TRUE(first.ok());
    EXPECT_EQ(first->id, 1);
    EXPECT_EQ(first->time_ms, now_ms_);  // 0 = now
    EXPECT_EQ(first->time_end_ms, now_ms_);
    EXPECT_EQ(first->created_ms, now_ms_);
    Result<Annotation> second = t->Create(Deploy(5000, {"x"}));
    ASSERT_TRUE(second.ok());
    EXPECT_EQ(second->id, 2);
    EXPECT_EQ(second->time_end_ms, 5000);
  }
  auto t = Open();
  EXPECT_TRUE(t->replay_report().problems.empty());
  EXPECT_EQ(t->replay_report().records, 3);  // the next-id header and two puts
  Result<Annotation> got = t->Get(1);
  ASSERT_TRUE(got.ok());
  EXPECT_EQ(got->text, "v1");
  EXPECT_EQ(got->tags, (std::vector<std::string>{"deploy", "service=checkout"}));
  EXPECT_EQ(got->dashboard_uid, "dash");
  EXPECT_EQ(got->panel_id, 7);
  EXPECT_EQ(got->data_json, R"({"k":1})");
  EXPECT_EQ(t->Create(Deploy(1, {}))->id, 3);
  EXPECT_EQ(t->Get(99).status().code(), StatusCode::kNotFound);
}

TEST_F(AnnotationTableTest, PatchAndDeleteAreDurable) {
  {
    auto t = Open();
    ASSERT_TRUE(t->Create(Deploy(1000, {"a"})).ok());
    ASSERT_TRUE(t->Create(Deploy(2000, {"b"})).ok());
    now_ms_ += 10;
    Result<Annotation> p =
        t->Patch(1, {.time_end_ms = 1500, .tags = std::vector<std::string>{"c"}, .text = "new"});
    ASSERT_TRUE(p.ok());
    EXPECT_EQ(p->time_ms, 1000);  // untouched
    EXPECT_EQ(p->time_end_ms, 1500);
    EXPECT_EQ(p->updated_ms, now_ms_);
    EXPECT_EQ(t->Patch(1, {.time_end_ms = 10}).status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(t->Patch(42, {.text = "x"}).status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(t->Delete(2).ok());
    EXPECT_EQ(t->Delete(2).code(), StatusCode::kNotFound);
  }
  auto t = Open();
  Result<Annotation> a = t->Get(1);
  ASSERT_TRUE(a.ok());
  EXPECT_EQ(a->text, "new");
  EXPECT_EQ(a->tags, std::vector<std::string>{"c"});
  EXPECT_EQ(a->time_end_ms, 1500);
  EXPECT_EQ(t->Get(2).status().code(), StatusCode::kNotFound);
  // The deleted id is not reused.
  EXPECT_EQ(t->Create(Deploy(1, {}))->id, 3);
}

TEST_F(AnnotationTableTest, CreateRefusesEndBeforeStart) {
  auto t = Open();
  Annotation a = Deploy(2000, {});
  a.time_end_ms = 1000;
  EXPECT_EQ(t->Create(a).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(t->Create(Deploy(1, {}))->id, 1);  // nothing was consumed
}

TEST_F(AnnotationTableTest, TornTailIsReportedAndTheRestServed) {
  {
    auto t = Open();
    for (int i = 1; i <= 3; ++i) ASSERT_TRUE(t->Create(Deploy(i * 1000, {"t"})).ok());
  }
  std::string data = ReadLog();
  for (size_t cut : {size_t{1}, size_t{5}, annotation_log::kHeaderSize + 3}) {
    SCOPED_TRACE(cut);
    WriteLog(data.substr(0, data.size() - cut));
    auto t = Open();
    ASSERT_EQ(t->replay_report().problems.size(), 1u) << t->replay_report().problems[0];
    EXPECT_NE(t->replay_report().problems[0].find("cut short"), std::string::npos);
    EXPECT_GT(t->replay_report().dropped_bytes, 0);
    EXPECT_FALSE(t->replay_report().damaged_copy.empty());
    EXPECT_TRUE(fs::exists(t->replay_report().damaged_copy));
    EXPECT_EQ(Ids(*t->Find({})), (std::vector<int64_t>{2, 1}));
  }
  // The rewritten log takes new records and replays cleanly.
  {
    auto t = Open();
    EXPECT_TRUE(t->replay_report().problems.empty());
    EXPECT_EQ(t->Create(Deploy(9000, {"t"}))->id, 3);
  }
  auto t = Open();
  EXPECT_TRUE(t->replay_report().problems.empty());
  EXPECT_EQ(Ids(*t->Find({})), (std::vector<int64_t>{3, 2, 1}));
}

TEST_F(AnnotationTableTest, DamagedRecordInTheMiddleIsSkipped) {
  size_t second_record_offset = 0;
  {
    auto t = Open();
    ASSERT_TRUE(t->Create(Deploy(1000, {"a"})).ok());
    second_record_offset = ReadLog().size();
    ASSERT_TRUE(t->Create(Deploy(2000, {"b"})).ok());
    ASSERT_TRUE(t->Create(Deploy(3000, {"c"})).ok());
  }
  std::string data = ReadLog();
  data[second_record_offset + annotation_log::kHeaderSize + 4] ^= 0x40;
  WriteLog(data);
  auto t = Open();
  const AnnotationReplayReport& r = t->replay_report();
  EXPECT_EQ(r.skipped_records, 1);
  EXPECT_EQ(r.records, 3);  // the next-id header and two puts
  ASSERT_EQ(r.problems.size(), 1u);
  EXPECT_NE(r.problems[0].find("checksum mismatch"), std::string::npos);
  EXPECT_EQ(Ids(*t->Find({})), (std::vector<int64_t>{3, 1}));
}

TEST_F(AnnotationTableTest, ForeignFileIsNotTouched) {
  fs::create_directories(dir_);
  WriteLog("hello world, not a log");
  Result<std::unique_ptr<AnnotationTable>> t = AnnotationTable::Open({.dir = dir_.string()});
  EXPECT_EQ(t.status().code(), StatusCode::kDataLoss);
  EXPECT_EQ(ReadLog(), "hello world, not a log");
}

TEST_F(AnnotationTableTest, CompactionRewritesWhenGarbageExceedsLiveAndKeepsIds) {
  {
    auto t = Open(/*min_garbage=*/4);
    for (int i = 0; i < 3; ++i) ASSERT_TRUE(t->Create(Deploy(1000 + i, {"k"})).ok());
    for (int i = 0; i < 2; ++i) ASSERT_TRUE(t->Patch(1, {.text = "p" + std::to_string(i)}).ok());
    // 6 records: the next-id header, 3 creates, 2 patches; 3 dead, 3 live.
    EXPECT_EQ(t->stats().rewrites, 0);
    ASSERT_TRUE(t->Delete(3).ok());  // 5 dead, 2 live
    EXPECT_EQ(t->stats().rewrites, 1);
    EXPECT_EQ(t->stats().log_records, 3);  // next-id record + 2 puts
    EXPECT_EQ(t->stats().live, 2);
  }
  auto t = Open();
  EXPECT_EQ(t->Get(1)->text, "p1");
  EXPECT_EQ(t->Get(3).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(t->Create(Deploy(1, {}))->id, 4);  // 3 was deleted and compacted away
  EXPECT_FALSE(fs::exists(LogPath() + ".tmp"));
}

TEST_F(AnnotationTableTest, FindFilters) {
  auto t = Open();
  auto add = [&](int64_t time, int64_t end, std::vector<std::string> tags, std::string text,
                 std::string dash = "", int64_t panel = 0) {
    Annotation a = Deploy(time, std::move(tags), std::move(text));
    a.time_end_ms = end;
    a.dashboard_uid = std::move(dash);
    a.panel_id = panel;
    ASSERT_TRUE(t->Create(a).ok());
  };
  add(1000, 1000, {"deploy", "service=checkout"}, "checkout 1.0");              // 1
  add(2000, 5000, {"deploy", "service=cart"}, "cart migration", "d1", 2);       // 2
  add(3000, 3000, {"incident"}, "pager", "d1", 3);                              // 3
  add(4000, 4000, {"deploy", "service=checkout", "env=prod"}, "checkout 1.1");  // 4
  struct Case {
    std::string name;
    AnnotationQuery q;
    std::vector<int64_t> want;
  };
  std::vector<Case> cases = {
      {"all, newest first", {}, {4, 3, 2, 1}},
      {"range overlaps a region", {.from_ms = 4500, .to_ms = 6000}, {2}},
      {"range inclusive at both ends", {.from_ms = 1000, .to_ms = 3000}, {3, 2, 1}},
      {"before everything", {.from_ms = 0, .to_ms = 999}, {}},
      {"tags all", {.tags = {"deploy", "service=checkout"}}, {4, 1}},
      {"tags all, none has both", {.tags = {"incident", "deploy"}}, {}},
      {"tags any", {.tags = {"incident", "env=prod"}, .match_any = true}, {4, 3}},
      {"dashboard", {.dashboard_uid = "d1"}, {3, 2}},
      {"panel", {.dashboard_uid = "d1", .panel_id = 3}, {3}},
      {"text", {.text_contains = "checkout"}, {4, 1}},
      {"limit", {.limit = 2}, {4, 3}},
      {"tags and time", {.from_ms = 0, .to_ms = 2000, .tags = {"service=checkout"}}, {1}},
  };
  for (const Case& c : cases) {
    Result<std::vector<Annotation>> got = t->Find(c.q);
    ASSERT_TRUE(got.ok());
    EXPECT_EQ(Ids(*got), c.want) << c.name;
  }
  Result<std::vector<AnnotationTagCount>> tags = t->Tags("", 10);
  ASSERT_TRUE(tags.ok());
  ASSERT_EQ(tags->size(), 5u);
  EXPECT_EQ((*tags)[0].tag, "deploy");
  EXPECT_EQ((*tags)[0].count, 3);
  EXPECT_EQ((*tags)[1].tag, "service=checkout");
  EXPECT_EQ((*tags)[1].count, 2);
  tags = t->Tags("service=", 1);
  ASSERT_EQ(tags->size(), 1u);
  EXPECT_EQ((*tags)[0].tag, "service=checkout");
}

TEST(AnnotationRecordTest, RoundTripsAndRejectsDamage) {
  annotation_log::Record in{.type = annotation_log::RecordType::kPut};
  in.annotation = Deploy(123, {"a", "", "b=c"}, "text\n\0with nul");
  in.annotation.id = 77;
  std::string bytes = annotation_log::Encode(in);
  annotation_log::Record out;
  annotation_log::ReadResult r = annotation_log::ReadRecord(bytes, &out);
  ASSERT_EQ(r.kind, annotation_log::ReadResult::Kind::kOk);
  EXPECT_EQ(r.size, bytes.size());
  EXPECT_EQ(out.annotation.id, 77);
  EXPECT_EQ(out.annotation.tags, in.annotation.tags);
  EXPECT_EQ(out.annotation.text, in.annotation.text);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string damaged = bytes;
    damaged[i] ^= 1;
    EXPECT_NE(annotation_log::ReadRecord(damaged, &out).kind, annotation_log::ReadResult::Kind::kOk)
        << "byte " << i;
  }
  EXPECT_EQ(annotation_log::ReadRecord(bytes.substr(0, bytes.size() - 1), &out).kind,
            annotation_log::ReadResult::Kind::kTruncated);
}

}  // namespace
}  // namespace quartet::store

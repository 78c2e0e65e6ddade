// Creates, patches, deletes and finds from several threads while the log is
// compacted underneath: ids are unique, and a reopen sees exactly what the
// threads left.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>
#include <thread>

#include "server/store/annotations/annotation_table.h"

namespace quartet::store {
namespace {

TEST(AnnotationTableConcurrencyTest, WritersAndReadersDuringCompaction) {
  const std::string dir = std::filesystem::temp_directory_path() /
                          ("annotation_concurrency_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  constexpr int kThreads = 4, kPerThread = 60;
  std::vector<std::vector<int64_t>> kept(kThreads);
  {
    auto table = AnnotationTable::Open({.dir = dir, .sync = false, .min_garbage_records = 8});
    ASSERT_TRUE(table.ok());
    AnnotationTable* t = table->get();
    std::atomic<bool> done{false};
    std::thread reader([&] {
      while (!done) {
        Result<std::vector<Annotation>> found = t->Find({.tags = {"t0"}, .limit = 1000});
        ASSERT_TRUE(found.ok());
        for (const Annotation& a : *found) ASSERT_EQ(a.tags[0], "t0");
      }
    });
    std::vector<std::thread> writers;
    for (int w = 0; w < kThreads; ++w) {
      writers.emplace_back([&, w] {
        for (int i = 0; i < kPerThread; ++i) {
          Annotation a;
          a.time_ms = 1000 + i;
          a.tags = {"t" + std::to_string(w)};
          a.text = "x";
          Result<Annotation> created = t->Create(a);
          ASSERT_TRUE(created.ok());
          ASSERT_TRUE(t->Patch(created->id, {.text = "patched"}).ok());
          if (i % 2 == 0) {
            ASSERT_TRUE(t->Delete(created->id).ok());
          } else {
            kept[w].push_back(created->id);
          }
        }
      });
    }
    for (std::thread& w : writers) w.join();
    done = true;
    reader.join();
    EXPECT_GT(t->stats().rewrites, 0);
  }
  auto table = AnnotationTable::Open({.dir = dir});
  ASSERT_TRUE(table.ok());
  EXPECT_TRUE((*table)->replay_report().problems.empty());
  std::set<int64_t> want;
  for (const auto& ids : kept) want.insert(ids.begin(), ids.end());
  EXPECT_EQ(want.size(), static_cast<size_t>(kThreads * kPerThread / 2));
  Result<std::vector<Annotation>> all = (*table)->Find({.limit = 100000});
  ASSERT_TRUE(all.ok());
  std::set<int64_t> got;
  for (const Annotation& a : *all) {
    got.insert(a.id);
    EXPECT_EQ(a.text, "patched");
  }
  EXPECT_EQ(got, want);
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace quartet::store

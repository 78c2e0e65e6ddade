// MergeSelection over the real profile table: the batch path (stack ids,
// SelectProfileBatches) must give exactly what the profile-by-profile path
// (SelectProfiles, one materialized pprof each) gives, over blocks and the
// live head, with span filters of both kinds, inlined frames, frames named by
// system name or address, zero values and two sample types.
#include <gtest/gtest.h>

#include <filesystem>
#include <random>

#include "server/query/profiles/profile_query.h"
#include "server/query/profiles/select_only_store.h"
#include "server/query/profiles/test_profiles.h"
#include "server/store/profiles/profile_generator.h"
#include "server/store/profiles/profile_table.h"

namespace quartet::profiles {
namespace {

using Map = std::map<std::string, int64_t>;
using store::LabelMatch;

constexpr int64_t kS = 1'000'000'000;
constexpr char kCpu[] = "process_cpu:cpu:nanoseconds:cpu:nanoseconds";
constexpr char kCount[] = "process_cpu:samples:count:cpu:nanoseconds";
constexpr char kUpperSpan[] = "ABCDEF0123456789";

// Two sample types (cpu, samples); frames: main -> outer -> inner (inner
// inlined into outer at one address), main -> a function known only by its
// system name, main -> an address without symbols; one sample with a zero
// cpu value.
pprof::Profile EdgeProfile(int64_t time_ns, int i) {
  pprof::ProfileBuilder b;
  b.AddSampleType("cpu", "nanoseconds");
  b.AddSampleType("samples", "count");
  b.SetPeriod("cpu", "nanoseconds", 10'000'000);
  b.SetTime(time_ns, 10 * kS);
  const uint64_t m = b.Mapping(0x400000, 0x900000, 0, "/bin/app", "build", true);
  const uint64_t main_fn = b.Function("main", "main", "main.cc");
  const uint64_t sys_fn = b.Function("", "_ZN3app4workEv", "work.cc");
  const uint64_t inner = b.Function("inner", "inner", "inl.h");
  const uint64_t outer = b.Function("outer", "outer", "outer.cc");
  const uint64_t l_main = b.LocationForAddress(0x401000, m, main_fn, 1);
  const uint64_t l_sys = b.LocationForAddress(0x402000, m, sys_fn, 2);
  const uint64_t l_inl = b.LocationForAddress(0x403000, m, inner, 3);
  pprof::Profile p = b.Release();
  const uint64_t l_bare = p.location.size() + 1;
  p.location.push_back(pprof::Location{l_bare, m, 0x404abc, {}, false});
  for (pprof::Location& loc : p.location) {
    if (loc.id == l_inl) loc.line.push_back(pprof::Line{outer, 30, 0});  // caller after inlinee
  }
  const int64_t span_key = static_cast<int64_t>(p.string_table.size());
  p.string_table.push_back("span_id");
  const int64_t upper = static_cast<int64_t>(p.string_table.size());
  p.string_table.push_back(kUpperSpan);
  const int64_t other = static_cast<int64_t>(p.string_table.size());
  p.string_table.push_back("00000000000000aa");
  p.sample.push_back({{l_inl, l_main}, {100 + i, 1}, {pprof::Label{span_key, upper, 0, 0}}});
  p.sample.push_back({{l_sys, l_main}, {200, 2}, {pprof::Label{span_key, other, 0, 0}}});
  p.sample.push_back({{l_bare, l_main}, {300, 3}, {}});
  p.sample.push_back({{l_main}, {0, 4}, {}});
  return p;
}

class BatchMergeTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() /
           ("batch_merge_test_" + std::to_string(std::random_device{}()));
    store::TableOptions o;
    o.dir = dir_.string();
    o.sync = store::SyncPolicy::kNever;
    auto table = store::ProfileTable::Open(o, /*background=*/false);
    ASSERT_TRUE(table.ok()) << table.status().message();
    table_ = std::move(*table);
    store::ProfileGenerator gen(7, /*distinct_stacks=*/120, /*functions=*/200);
    // 12 profiles of each service, 10 s apart: two blocks of 4, then 4 in
    // the live head.
    for (int i = 0; i < 12; ++i) {
      const int64_t t = t0_ + i * 10 * kS;
      pprof::Profile g = gen.Next(t);
      if (span_.empty()) {
        for (const pprof::Sample& s : g.sample) {
          for (const pprof::Label& l : s.label) {
            if (g.StringAt(l.key) == "span_id" && span_.empty()) span_ = g.StringAt(l.str);
          }
        }
      }
      ASSERT_TRUE(table_->AppendProfile(Series("gen"), t, t + 10 * kS, g).ok());
      ASSERT_TRUE(table_->AppendProfile(Series("edge"), t, t + 10 * kS, EdgeProfile(t, i)).ok());
      if (i == 3 || i == 7) {
        ASSERT_TRUE(table_->Flush().ok());
      }
    }
    ASSERT_FALSE(span_.empty());
  }
  void TearDown() override {
    table_.reset();
    std::filesystem::remove_all(dir_);
  }

  static store::Labels Series(const std::string& service) {
    return {{"__name__", "process_cpu"}, {"service_name", service}};
  }

  const int64_t t0_ = 1'700'000'000 * kS;
  std::filesystem::path dir_;
  std::unique_ptr<store::ProfileTable> table_;
  std::string span_;  // a span id the generator labelled samples with
};

struct Merged {
  Map folded;
  int64_t total = 0;
  int64_t profiles = 0;
  std::vector<int64_t> timeline;
};

Merged MergeAll(store::ProfileStore* s, const Selection& sel) {
  Timeline timeline = Timeline::Make(sel.range.start_ns, sel.range.end_ns, 10 * kS);
  Result<MergeResult> r = MergeSelection(s, sel, &timeline);
  EXPECT_TRUE(r.ok()) << r.status().message();
  if (!r.ok()) return {};
  return {ptest::Folded(r->stacks), r->stacks.total, r->profiles, timeline.samples};
}

TEST_F(BatchMergeTest, BatchesMergeExactlyAsMaterializedProfiles) {
  SelectOnlyStore select_only(table_.get());
  const store::TimeRange all{t0_, t0_ + 120 * kS};
  const store::TimeRange cut{t0_ + 25 * kS, t0_ + 95 * kS};  // blocks and head, partly
  struct Case {
    const char* name;
    const char* type;
    std::vector<LabelMatch> matchers;
    SampleFilter filter;
    store::TimeRange range;
  };
  const std::vector<Case> cases = {
      {"gen", kCpu, {{"service_name", LabelMatch::Op::kEq, "gen"}}, {}, all},
      {"gen cut", kCpu, {{"service_name", LabelMatch::Op::kEq, "gen"}}, {}, cut},
      {"every service", kCpu, {{"service_name", LabelMatch::Op::kRe, ".+"}}, {}, all},
      {"edge", kCpu, {{"service_name", LabelMatch::Op::kEq, "edge"}}, {}, all},
      {"edge count", kCount, {{"service_name", LabelMatch::Op::kEq, "edge"}}, {}, cut},
      {"span filter, other case",
       kCpu,
       {{"service_name", LabelMatch::Op::kEq, "edge"}},
       {"span_id", {"abcdef0123456789"}},
       all},
      {"span filter gen",
       kCpu,
       {{"service_name", LabelMatch::Op::kEq, "gen"}},
       {"span_id", {span_}},
       all},
      {"span matcher",
       kCpu,
       {{"service_name", LabelMatch::Op::kEq, "gen"}, {"span_id", LabelMatch::Op::kEq, span_}},
       {},
       all},
      {"span regex matcher",
       kCount,
       {{"service_name", LabelMatch::Op::kEq, "edge"}, {"span_id", LabelMatch::Op::kRe, "0+aa"}},
       {},
       all},
      {"nothing", kCpu, {{"service_name", LabelMatch::Op::kEq, "none"}}, {}, all},
  };
  for (const Case& c : cases) {
    Selection sel;
    sel.type = *ParseProfileType(c.type);
    sel.matchers = c.matchers;
    sel.filter = c.filter;
    sel.range = c.range;
    const Merged batch = MergeAll(table_.get(), sel);
    const Merged single = MergeAll(&select_only, sel);
    EXPECT_EQ(batch.folded, single.folded) << c.name;
    EXPECT_EQ(batch.total, single.total) << c.name;
    EXPECT_EQ(batch.profiles, single.profiles) << c.name;
    EXPECT_EQ(batch.timeline, single.timeline) << c.name;
    if (std::string_view(c.name) != "nothing") {
      EXPECT_GT(batch.total, 0) << c.name;
    }
  }
}

TEST_F(BatchMergeTest, EdgeFramesAndSumsAreExact) {
  Selection sel;
  sel.type = *ParseProfileType(kCpu);
  sel.matchers = {{"service_name", LabelMatch::Op::kEq, "edge"}};
  sel.range = {t0_, t0_ + 120 * kS};
  const Merged m = MergeAll(table_.get(), sel);
  int64_t inlined = 0;
  for (int i = 0; i < 12; ++i) inlined += 100 + i;
  EXPECT_EQ(m.folded, (Map{{"main;outer;inner", inlined},
                           {"main;_ZN3app4workEv", 12 * 200},
                           {"main;0x404abc", 12 * 300}}));
  EXPECT_EQ(m.total, inlined + 12 * 500);
  EXPECT_EQ(m.profiles, 12);

  sel.type = *ParseProfileType(kCount);
  sel.matchers.push_back({"span_id", LabelMatch::Op::kEq, kUpperSpan});
  const Merged span = MergeAll(table_.get(), sel);
  EXPECT_EQ(span.folded, (Map{{"main;outer;inner", 12}}));
  EXPECT_EQ(span.profiles, 12);
}

}  // namespace
}  // namespace quartet::profiles

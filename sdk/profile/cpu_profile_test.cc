#include "sdk/profile/cpu_profile.h"

#include <gtest/gtest.h>

#include <cstring>
#include <map>

#include "wire/pprof/profile.h"

namespace quartet::profile_internal {

constexpr int kLeafFirst = __LINE__ + 1;
__attribute__((noinline)) int ProfileLeaf(int x) {
  asm volatile("" : "+r"(x));
  return x + 1;
}
constexpr int kLeafLast = __LINE__ - 1;
__attribute__((noinline)) int ProfileCaller(int x) {
  asm volatile("" : "+r"(x));
  return ProfileLeaf(x) + 1;
}

namespace {

uintptr_t Pc(int (*f)(int), int off) { return reinterpret_cast<uintptr_t>(f) + off; }

RawSample Stack(std::initializer_list<uintptr_t> pcs, const char* span = nullptr) {
  RawSample s;
  for (uintptr_t pc : pcs) s.pcs[s.depth++] = pc;
  if (span != nullptr) {
    s.has_span = true;
    for (int i = 0; i < 8; ++i) s.span_id[i] = static_cast<uint8_t>(0xa0 + i);
    s.span_name_len = static_cast<uint32_t>(strlen(span));
    std::memcpy(s.span_name, span, s.span_name_len);
  }
  return s;
}

TEST(CpuAggregate, FoldsStacksAndBuildsAValidProfile) {
  CpuAggregate agg;
  RawSample a = Stack({Pc(ProfileLeaf, 1), Pc(ProfileCaller, 5)});
  RawSample b = Stack({Pc(ProfileLeaf, 1), Pc(ProfileCaller, 5)}, "GET /checkout");
  RawSample unknown = Stack({0x10, Pc(ProfileCaller, 5)});
  for (int i = 0; i < 7; ++i) agg.Add(a);
  for (int i = 0; i < 3; ++i) agg.Add(b);
  agg.Add(unknown);
  EXPECT_EQ(agg.total(), 11);

  Symbolizer sym;
  pprof::Profile p = agg.ToProfile(&sym, 100, 1000, 2000);
  auto decoded = pprof::Decode(pprof::Encode(p));
  ASSERT_TRUE(decoded.ok()) << decoded.status().ToString();
  EXPECT_EQ(p.StringAt(p.sample_type[0].type), "samples");
  EXPECT_EQ(p.StringAt(p.sample_type[1].unit), "nanoseconds");
  EXPECT_EQ(p.period, 10000000);
  EXPECT_EQ(p.duration_nanos, 1000);
  ASSERT_EQ(p.sample.size(), 3u);

  std::map<std::string, int64_t> by_span;
  for (const auto& s : p.sample) {
    std::string key = "-";
    for (const auto& l : s.label) {
      if (p.StringAt(l.key) == "span_name") key = std::string(p.StringAt(l.str));
      if (p.StringAt(l.key) == "span_id") {
        EXPECT_EQ(p.StringAt(l.str), "a0a1a2a3a4a5a6a7");
      }
    }
    EXPECT_EQ(s.value[1], s.value[0] * 10000000);
    if (s.location_id.size() == 2 && p.location[s.location_id[0] - 1].line.empty()) key = "unknown";
    by_span[key] += s.value[0];
  }
  EXPECT_EQ(by_span["-"], 7);
  EXPECT_EQ(by_span["GET /checkout"], 3);
  EXPECT_EQ(by_span["unknown"], 1);

  // The leaf frame of the first sample names ProfileLeaf; unknown pc 0x10
  // stays a bare address with no mapping.
  bool saw_leaf = false, saw_bare = false;
  for (const auto& loc : p.location) {
    if (loc.address == 0x10) {
      saw_bare = true;
      EXPECT_TRUE(loc.line.empty());
      EXPECT_EQ(loc.mapping_id, 0u);
    }
    for (const auto& line : loc.line) {
      if (p.StringAt(p.function[line.function_id - 1].name) ==
          "quartet::profile_internal::ProfileLeaf(int)") {
        saw_leaf = true;
        EXPECT_NE(loc.mapping_id, 0u);
        const pprof::Function& fn = p.function[line.function_id - 1];
        EXPECT_EQ(p.StringAt(fn.system_name), "_ZN7quartet16profile_internal11ProfileLeafEi");
        // File and line from this test's DWARF (built with -g).
        EXPECT_TRUE(p.StringAt(fn.filename).ends_with("/sdk/profile/cpu_profile_test.cc"))
            << p.StringAt(fn.filename);
        EXPECT_GE(line.line, kLeafFirst);
        EXPECT_LE(line.line, kLeafLast);
        EXPECT_GE(fn.start_line, kLeafFirst);
        EXPECT_LE(fn.start_line, line.line);
        const pprof::Mapping& m = p.mapping[loc.mapping_id - 1];
        EXPECT_TRUE(m.has_functions);
        EXPECT_TRUE(m.has_filenames);
        EXPECT_TRUE(m.has_line_numbers);
      }
    }
  }
  EXPECT_TRUE(saw_leaf);
  EXPECT_TRUE(saw_bare);
}

// An object whose line table is over its bound keeps its names, loses
// file:line, and the profile says so in a comment.
TEST(CpuAggregate, SaysWhenLineTablesWereSkipped) {
  CpuAggregate agg;
  agg.Add(Stack({Pc(ProfileLeaf, 1), Pc(ProfileCaller, 5)}));
  SymbolizerOptions options;
  options.line_limits.max_table_bytes = 1024;
  Symbolizer sym(options);
  pprof::Profile p = agg.ToProfile(&sym, 100, 1000, 2000);
  ASSERT_EQ(p.comment.size(), 1u);
  EXPECT_EQ(
      p.StringAt(p.comment[0]),
      "quartet: no file:line for 1 objects (line table over its bound), 0 (unreadable DWARF)");
  ASSERT_FALSE(p.location.empty());
  ASSERT_FALSE(p.location[0].line.empty());
  const pprof::Function& fn = p.function[p.location[0].line[0].function_id - 1];
  EXPECT_EQ(p.StringAt(fn.name), "quartet::profile_internal::ProfileLeaf(int)");
  EXPECT_EQ(p.StringAt(fn.filename), "");
  EXPECT_EQ(p.location[0].line[0].line, 0);
  EXPECT_FALSE(p.mapping[p.location[0].mapping_id - 1].has_line_numbers);

  Symbolizer normal;
  EXPECT_TRUE(agg.ToProfile(&normal, 100, 1000, 2000).comment.empty());
}

TEST(CpuAggregate, BoundsDistinctStacks) {
  CpuAggregate agg(2);
  agg.Add(Stack({1}));
  agg.Add(Stack({2}));
  agg.Add(Stack({3}));  // a third key: dropped
  agg.Add(Stack({1}));  // known key: kept
  EXPECT_EQ(agg.total(), 3);
  EXPECT_EQ(agg.dropped(), 1);
  RawSample heavy = Stack({2});
  heavy.weight = 4;  // one signal standing for 4 timer periods (overruns)
  agg.Add(heavy);
  EXPECT_EQ(agg.total(), 7);
  CpuAggregate other(2);
  other.Merge(agg);
  EXPECT_EQ(other.total(), 7);
  EXPECT_EQ(other.dropped(), 1);
}

}  // namespace
}  // namespace quartet::profile_internal

#include "server/store/profiles/profile_segment.h"

#include <gtest/gtest.h>

#include "server/store/profiles/profile_generator.h"
#include "server/store/profiles/profile_record.h"

namespace quartet::store {
namespace {

constexpr int64_t kT0 = 1'700'000'000'000'000'000;
const Labels kLabels = {{"__name__", "process_cpu"}, {"service_name", "shop"}};

int64_t SumOf(const pprof::Profile& p, size_t type) {
  int64_t sum = 0;
  for (const pprof::Sample& s : p.sample) sum += type < s.value.size() ? s.value[type] : 0;
  return sum;
}

// A tiny two-type profile: stacks main>a and main>b, b's second sample zero.
pprof::Profile Small() {
  pprof::Profile p;
  p.string_table = {"",  "alloc_objects", "count",   "alloc_space", "bytes", "main", "a",
                    "b", "space",         "span_id", "s1"};
  p.sample_type = {{1, 2}, {3, 4}};
  p.period_type = {8, 4};
  p.period = 524288;
  p.function = {{1, 5, 5, 0, 0}, {2, 6, 6, 0, 0}, {3, 7, 7, 0, 0}};
  for (uint64_t i = 1; i <= 3; ++i) {
    pprof::Location l;
    l.id = i;
    l.line.push_back({i, 10 * static_cast<int64_t>(i), 0});
    p.location.push_back(l);
  }
  p.sample.push_back({{2, 1}, {3, 300}, {}});
  p.sample.push_back({{3, 1}, {1, 0}, {{9, 10, 0, 0}}});
  p.sample.push_back({{3, 1}, {0, 0}, {}});  // dropped from both types
  return p;
}

TEST(ProfileTypeId, Format) {
  pprof::Profile p = Small();
  EXPECT_EQ(ProfileTypeId("memory", p, 0), "memory:alloc_objects:count:space:bytes");
  EXPECT_EQ(ProfileTypeId("memory", p, 1), "memory:alloc_space:bytes:space:bytes");
}

TEST(ProfileSegment, EverySampleTypeIsItsOwnProfileAndZerosAreDropped) {
  ProfileSegment seg;
  ProfileAppendResult r = seg.Add(kLabels, kT0, 10, Small());
  EXPECT_EQ(r.profiles, 2);
  EXPECT_EQ(r.samples, 3);  // type 0: two samples, type 1: one
  ASSERT_EQ(seg.profile_count(), 2u);
  StoredProfile p0 = seg.Materialize(0);
  EXPECT_EQ(p0.profile_type, "process_cpu:alloc_objects:count:space:bytes");
  EXPECT_EQ(p0.labels, kLabels);
  EXPECT_EQ(p0.time_ns, kT0);
  EXPECT_EQ(p0.duration_ns, 10);
  ASSERT_EQ(p0.profile.sample_type.size(), 1u);
  EXPECT_EQ(p0.profile.StringAt(p0.profile.sample_type[0].type), "alloc_objects");
  EXPECT_EQ(SumOf(p0.profile, 0), 4);
  StoredProfile p1 = seg.Materialize(1);
  EXPECT_EQ(SumOf(p1.profile, 0), 300);
  ASSERT_EQ(p1.profile.sample.size(), 1u);
  // Leaf first: a then main.
  const pprof::Profile& q = p1.profile;
  ASSERT_EQ(q.sample[0].location_id.size(), 2u);
  const pprof::Location& leaf = q.location[q.sample[0].location_id[0] - 1];
  EXPECT_EQ(q.StringAt(q.function[leaf.line[0].function_id - 1].name), "a");
  EXPECT_EQ(leaf.line[0].line, 20);
  // The sample label survives.
  StoredProfile again = seg.Materialize(0);
  bool labelled = false;
  for (const pprof::Sample& s : again.profile.sample) {
    for (const pprof::Label& l : s.label) {
      labelled |=
          again.profile.StringAt(l.key) == "span_id" && again.profile.StringAt(l.str) == "s1";
    }
  }
  EXPECT_TRUE(labelled);
  // A materialized profile is a valid pprof.
  Result<pprof::Profile> decoded = pprof::Decode(pprof::Encode(p0.profile));
  ASSERT_TRUE(decoded.ok()) << decoded.status().message();
  EXPECT_TRUE(CheckProfileRefs(*decoded).ok());
}

TEST(ProfileSegment, SymbolsAndStacksAreStoredOnce) {
  ProfileGenerator gen(7);
  std::vector<pprof::Profile> ps;
  for (int i = 0; i < 20; ++i) ps.push_back(gen.Next(kT0 + i * 10'000'000'000));
  ProfileSegment one, many;
  one.Add(kLabels, kT0, 1, ps[0]);
  for (const auto& p : ps) many.Add(kLabels, p.time_nanos, p.duration_nanos, p);
  auto a = one.Encode(), b = many.Encode();
  // 20 profiles of the same program: strings and functions hardly grow (new
  // span ids only), while the sample columns do.
  EXPECT_LT(b["strings"].size(), a["strings"].size() + 20 * 8 * 20);
  EXPECT_LT(b["stacks"].size(), a["stacks"].size() * 2);
  EXPECT_GT(b["samples"].size(), a["samples"].size() * 10);
  // The same profile twice: symbols identical.
  ProfileSegment twice;
  twice.Add(kLabels, kT0, 1, ps[0]);
  twice.Add(kLabels, kT0 + 1, 1, ps[0]);
  auto c = twice.Encode();
  EXPECT_EQ(c["symbols"], a["symbols"]);
  EXPECT_EQ(c["stacks"], a["stacks"]);
  EXPECT_EQ(c["strings"], a["strings"]);
}

TEST(ProfileSegment, EncodeDecodeRoundTrip) {
  ProfileGenerator gen(3);
  ProfileSegment seg;
  std::vector<int64_t> totals;
  for (int i = 0; i < 5; ++i) {
    pprof::Profile p = gen.Next(kT0 + i * 10'000'000'000);
    seg.Add(kLabels, p.time_nanos, p.duration_nanos, p);
    totals.push_back(SumOf(p, 0));
    totals.push_back(SumOf(p, 1));
  }
  auto sections = seg.Encode();
  Result<ProfileSegment> back = ProfileSegment::DecodeIndex(sections["index"]);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_FALSE(back->has_data());
  ASSERT_TRUE(back->LoadData(sections["strings"], sections["symbols"], sections["stacks"],
                             sections["samples"])
                  .ok());
  ASSERT_EQ(back->profile_count(), totals.size());
  for (size_t i = 0; i < totals.size(); ++i) {
    EXPECT_EQ(back->Total(i), totals[i]) << i;
    EXPECT_EQ(pprof::Encode(back->Materialize(i).profile),
              pprof::Encode(seg.Materialize(i).profile));
  }
  EXPECT_EQ(back->min_time_ns(), kT0);
  // Span postings survive: every profile with span samples is listed.
  std::string span;
  const pprof::Profile& m = seg.Materialize(0).profile;
  for (const pprof::Sample& s : m.sample) {
    for (const pprof::Label& l : s.label) {
      if (m.StringAt(l.key) == "span_id") span = m.StringAt(l.str);
    }
  }
  ASSERT_FALSE(span.empty());
  EXPECT_EQ(back->ProfilesWithSpan(span), seg.ProfilesWithSpan(span));
  EXPECT_EQ(seg.ProfilesWithSpan(span), (std::vector<uint32_t>{0, 1}));
  EXPECT_TRUE(back->ProfilesWithSpan("nope").empty());
}

TEST(ProfileSegment, DamagedSectionsAreDataLoss) {
  ProfileGenerator gen(5);
  ProfileSegment seg;
  pprof::Profile p = gen.Next(kT0);
  seg.Add(kLabels, kT0, 1, p);
  auto s = seg.Encode();
  // Truncations of every section are refused, never read out of bounds.
  for (const char* name : {"index", "strings", "symbols", "stacks", "samples"}) {
    std::string cut = s[name].substr(0, s[name].size() / 2);
    auto sections = s;
    sections[name] = cut;
    Result<ProfileSegment> idx = ProfileSegment::DecodeIndex(sections["index"]);
    if (!idx.ok()) {
      EXPECT_EQ(idx.status().code(), StatusCode::kDataLoss) << name;
      continue;
    }
    Status st = idx->LoadData(sections["strings"], sections["symbols"], sections["stacks"],
                              sections["samples"]);
    EXPECT_FALSE(st.ok()) << name;
  }
  // A stack pointing past the locations.
  std::string stacks;
  stacks.push_back(1), stacks.push_back(1), stacks.push_back(static_cast<char>(0x7f));
  Result<ProfileSegment> idx = ProfileSegment::DecodeIndex(s["index"]);
  ASSERT_TRUE(idx.ok());
  EXPECT_EQ(idx->LoadData(s["strings"], s["symbols"], stacks, s["samples"]).code(),
            StatusCode::kDataLoss);
}

TEST(ProfileRecord, RoundTripAndRefChecks) {
  pprof::Profile p = Small();
  Labels labels = kLabels;
  std::string rec = EncodeProfileRecord(labels, kT0, kT0 + 10, p);
  Result<ProfileRecord> back = DecodeProfileRecord(rec);
  ASSERT_TRUE(back.ok()) << back.status().message();
  EXPECT_EQ(back->labels, labels);
  EXPECT_EQ(back->from_ns, kT0);
  EXPECT_EQ(back->until_ns, kT0 + 10);
  EXPECT_EQ(pprof::Encode(back->profile), pprof::Encode(p));
  EXPECT_FALSE(DecodeProfileRecord("X").ok());
  EXPECT_FALSE(DecodeProfileRecord(rec.substr(0, 5)).ok());

  struct Case {
    const char* name;
    void (*mutate)(pprof::Profile*);
    const char* message;
  } cases[] = {
      {"no sample type", [](pprof::Profile* q) { q->sample_type.clear(); }, "no sample_type"},
      {"missing location", [](pprof::Profile* q) { q->sample[0].location_id[0] = 99; },
       "location_id 99 does not exist"},
      {"missing function", [](pprof::Profile* q) { q->location[0].line[0].function_id = 42; },
       "function_id 42 does not exist"},
      {"missing mapping", [](pprof::Profile* q) { q->location[0].mapping_id = 3; },
       "mapping_id 3 does not exist"},
      {"duplicate location", [](pprof::Profile* q) { q->location[1].id = 1; },
       "location id 1 is not unique"},
      {"string index", [](pprof::Profile* q) { q->function[0].name = 900; },
       "string index 900 outside string_table"},
      {"too many values", [](pprof::Profile* q) { q->sample[0].value.push_back(1); },
       "more values than sample types"},
  };
  for (const Case& c : cases) {
    pprof::Profile q = Small();
    c.mutate(&q);
    Status st = CheckProfileRefs(q);
    EXPECT_EQ(st.code(), StatusCode::kInvalidArgument) << c.name;
    EXPECT_NE(st.message().find(c.message), std::string::npos) << c.name << ": " << st.message();
  }
  EXPECT_TRUE(CheckProfileRefs(Small()).ok());
}

}  // namespace
}  // namespace quartet::store

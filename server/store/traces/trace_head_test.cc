#include "server/store/traces/trace_head.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>
#include <random>
#include <set>

namespace quartet::store {
namespace {

constexpr int64_t kSec = 1'000'000'000;
constexpr int64_t kT0 = 1'700'000'000 * kSec;

otlp::ExportTraceServiceRequest OneSpan(uint32_t trace, uint8_t span, int64_t start,
                                        int64_t duration) {
  otlp::ExportTraceServiceRequest request;
  otlp::ResourceSpans& rs = request.resource_spans.emplace_back();
  rs.resource.attributes.push_back({"service.name", otlp::AnyValue::String("svc")});
  otlp::Span& s = rs.scope_spans.emplace_back().spans.emplace_back();
  s.trace_id.bytes[0] = 0xab;
  for (int i = 0; i < 4; ++i) s.trace_id.bytes[12 + i] = static_cast<uint8_t>(trace >> (8 * i));
  s.span_id.bytes[7] = span;
  s.start_time_unix_nano = static_cast<uint64_t>(start);
  s.end_time_unix_nano = static_cast<uint64_t>(start + duration);
  return request;
}

std::set<std::string> Overlapping(const TraceHead& head, const TimeRange& range, bool indexed) {
  std::set<std::string> out;
  auto visit = [&](const TraceHead::Trace& t) {
    if (range.Overlaps(t.summary.start_ns, t.summary.end_ns)) {
      const auto& b = t.summary.trace_id.bytes;
      EXPECT_TRUE(out.insert(std::string(b.begin(), b.end())).second) << "a trace visited twice";
    }
    return true;
  };
  if (indexed) {
    head.ForEachTraceIn(range, visit);
  } else {
    head.ForEachTrace(visit);
  }
  return out;
}

// The start-time index finds exactly what a walk of every trace finds, for
// traces whose start moves earlier as late spans arrive, long traces, and
// ranges of every size, including the unbounded default.
TEST(TraceHeadTest, TimeIndexFindsWhatTheFullWalkFinds) {
  std::mt19937_64 rng(7);
  TraceHead head;
  std::uniform_int_distribution<int64_t> start(0, 3600 * kSec);
  std::uniform_int_distribution<int64_t> duration(0, 2 * kSec);
  for (uint32_t t = 0; t < 2000; ++t) {
    const int64_t s = kT0 + start(rng);
    head.Add(OneSpan(t, 1, s, duration(rng)));
    // Every tenth trace gets a child that started 0-120 s earlier (a late,
    // clock-skewed span), every hundredth one that lasts 20 minutes.
    if (t % 10 == 0) head.Add(OneSpan(t, 2, s - (rng() % 120) * kSec, kSec));
    if (t % 100 == 0) head.Add(OneSpan(t, 3, s, 1200 * kSec));
  }
  std::vector<TimeRange> ranges = {TimeRange{}, TimeRange{kT0 + 1800 * kSec, kT0 + 1800 * kSec}};
  for (int i = 0; i < 300; ++i) {
    const int64_t a = kT0 - 300 * kSec + start(rng);
    const int64_t length = i % 3 == 0 ? static_cast<int64_t>(rng() % kSec)
                                      : static_cast<int64_t>(rng() % (600 * kSec));
    ranges.push_back({a, a + length});
  }
  for (const TimeRange& r : ranges) {
    SCOPED_TRACE(testing::Message() << r.start_ns - kT0 << " .. " << r.end_ns - kT0);
    EXPECT_EQ(Overlapping(head, r, true), Overlapping(head, r, false));
  }
  EXPECT_EQ(Overlapping(head, TimeRange{}, true).size(), 2000u);
}

TEST(TraceHeadTest, TimeIndexStopsWhenTheCallbackSaysSo) {
  TraceHead head;
  for (uint32_t t = 0; t < 10; ++t) head.Add(OneSpan(t, 1, kT0 + t * kSec, kSec));
  int visited = 0;
  head.ForEachTraceIn(TimeRange{}, [&](const TraceHead::Trace&) { return ++visited < 3; });
  EXPECT_EQ(visited, 3);
}

TEST(TraceIdIndexTest, FindsEveryInsertedIdAcrossGrowthAndNothingElse) {
  // Ids sharing their high half (a sloppy or hostile sender) as well as
  // random ones: both must stay findable as the table doubles.
  TraceIdIndex index;
  std::mt19937_64 rng(7);
  std::vector<TraceId> ids;
  for (uint32_t i = 0; i < 5000; ++i) {
    TraceId id;
    if (i % 2 == 0) {
      for (int b = 0; b < 4; ++b) id.bytes[12 + b] = static_cast<uint8_t>(i >> (8 * b));
    } else {
      const uint64_t a = rng(), c = rng();
      std::memcpy(id.bytes.data(), &a, 8);
      std::memcpy(id.bytes.data() + 8, &c, 8);
    }
    ids.push_back(id);
    const auto [value, inserted] = index.Insert(id, i);
    ASSERT_TRUE(inserted) << i;
    EXPECT_EQ(value, i);
  }
  EXPECT_EQ(index.size(), ids.size());
  for (uint32_t i = 0; i < ids.size(); ++i) {
    EXPECT_EQ(index.Find(ids[i]), i);
    const auto [value, inserted] = index.Insert(ids[i], 99999);  // present: kept
    EXPECT_FALSE(inserted);
    EXPECT_EQ(value, i);
  }
  TraceId absent;
  absent.bytes[0] = 0xee;
  EXPECT_EQ(index.Find(absent), TraceIdIndex::kAbsent);
  EXPECT_EQ(TraceIdIndex().Find(absent), TraceIdIndex::kAbsent);
}

TEST(TraceHeadTest, SpansOfOneTraceAcrossAddsLandInOneTrace) {
  TraceHead head;
  for (uint8_t span = 1; span <= 3; ++span) {
    for (uint32_t t = 0; t < 200; ++t) head.Add(OneSpan(t, span, kT0 + t * kSec, kSec));
  }
  EXPECT_EQ(head.trace_count(), 200u);
  EXPECT_EQ(head.spans().size(), 600u);
  const TraceHead::Trace* t =
      head.Find(OneSpan(17, 1, 0, 0).resource_spans[0].scope_spans[0].spans[0].trace_id);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->spans.size(), 3u);
  EXPECT_EQ(t->summary.span_count, 3);
  EXPECT_EQ(t->summary.start_ns, kT0 + 17 * kSec);
}

// Groups() hands the block builder what Materialize() would give: one group
// per (resource, scope) in first-appearance order, spans in arrival order,
// also past the 8 groups tracked inline.
TEST(TraceHeadTest, GroupsMatchMaterializeAcrossManyServices) {
  TraceHead head;
  for (int round = 0; round < 2; ++round) {
    for (uint8_t service = 0; service < 11; ++service) {
      otlp::ExportTraceServiceRequest r =
          OneSpan(5, static_cast<uint8_t>(round * 16 + service + 1), kT0 + service * kSec, kSec);
      r.resource_spans[0].resource.attributes[0].value =
          otlp::AnyValue::String("svc-" + std::to_string(service));
      head.Add(std::move(r));
    }
  }
  const TraceHead::Trace* t =
      head.Find(OneSpan(5, 1, 0, 0).resource_spans[0].scope_spans[0].spans[0].trace_id);
  ASSERT_NE(t, nullptr);
  std::vector<TraceBlockBuilder::SpanGroup> groups;
  std::vector<const otlp::Span*> spans;
  head.Groups(*t, &groups, &spans);
  const otlp::ExportTraceServiceRequest want = head.Materialize(*t);
  ASSERT_EQ(groups.size(), want.resource_spans.size());
  ASSERT_EQ(groups.size(), 11u);
  for (size_t g = 0; g < groups.size(); ++g) {
    const otlp::ResourceSpans& rs = want.resource_spans[g];
    EXPECT_EQ(*groups[g].resource, rs.resource) << g;
    EXPECT_EQ(*groups[g].scope, rs.scope_spans[0].scope) << g;
    EXPECT_FALSE(groups[g].same_resource);
    EXPECT_GE(groups[g].shared_key, 0);
    ASSERT_EQ(groups[g].spans.size(), rs.scope_spans[0].spans.size()) << g;
    for (size_t i = 0; i < groups[g].spans.size(); ++i) {
      EXPECT_EQ(*groups[g].spans[i], rs.scope_spans[0].spans[i]) << g << " " << i;
    }
  }
}

}  // namespace
}  // namespace quartet::store

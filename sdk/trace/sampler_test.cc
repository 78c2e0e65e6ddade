#include "sdk/trace/sampler.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "sdk/trace/id_generator.h"

namespace quartet::trace_internal {
namespace {

SpanContext Parent(bool sampled, bool remote) {
  SpanContext p;
  p.trace_id.bytes[0] = 1;
  p.span_id.bytes[0] = 1;
  p.trace_flags = sampled ? 1 : 0;
  p.is_remote = remote;
  return p;
}

TEST(SamplerTest, ParseNames) {
  struct Case {
    const char* name;
    const char* arg;
    bool ok;
    SamplerKind kind;
    double ratio;
  };
  const Case cases[] = {
      {"", "", true, SamplerKind::kParentBasedAlwaysOn, 1.0},
      {"always_on", "", true, SamplerKind::kAlwaysOn, 1.0},
      {"always_off", "", true, SamplerKind::kAlwaysOff, 1.0},
      {"traceidratio", "0.25", true, SamplerKind::kTraceIdRatio, 0.25},
      {"traceidratio", "", true, SamplerKind::kTraceIdRatio, 1.0},
      {"parentbased_always_on", "", true, SamplerKind::kParentBasedAlwaysOn, 1.0},
      {"parentbased_always_off", "", true, SamplerKind::kParentBasedAlwaysOff, 1.0},
      {"parentbased_traceidratio", "0.5", true, SamplerKind::kParentBasedTraceIdRatio, 0.5},
      {"traceidratio", "1.5", false, SamplerKind::kAlwaysOn, 0},
      {"traceidratio", "-0.1", false, SamplerKind::kAlwaysOn, 0},
      {"traceidratio", "abc", false, SamplerKind::kAlwaysOn, 0},
      {"traceidratio", "0.5x", false, SamplerKind::kAlwaysOn, 0},
      {"jaeger_remote", "", false, SamplerKind::kAlwaysOn, 0},
      {"AlwaysOn", "", false, SamplerKind::kAlwaysOn, 0},
  };
  for (const Case& c : cases) {
    auto r = ParseSamplerConfig(c.name, c.arg);
    ASSERT_EQ(r.ok(), c.ok) << c.name << " " << c.arg;
    if (!c.ok) continue;
    EXPECT_EQ(r->kind, c.kind) << c.name;
    EXPECT_DOUBLE_EQ(r->ratio, c.ratio) << c.name;
  }
}

TEST(SamplerTest, ParentBasedTable) {
  struct Case {
    SamplerKind kind;
    double ratio;
    int parent;  // 0 root, 1 remote sampled, 2 remote unsampled, 3 local sampled, 4 local unsampled
    bool want;
  };
  const Case cases[] = {
      {SamplerKind::kParentBasedAlwaysOn, 1, 0, true},
      {SamplerKind::kParentBasedAlwaysOn, 1, 1, true},
      {SamplerKind::kParentBasedAlwaysOn, 1, 2, false},
      {SamplerKind::kParentBasedAlwaysOn, 1, 3, true},
      {SamplerKind::kParentBasedAlwaysOn, 1, 4, false},
      {SamplerKind::kParentBasedAlwaysOff, 1, 0, false},
      {SamplerKind::kParentBasedAlwaysOff, 1, 1, true},
      {SamplerKind::kParentBasedAlwaysOff, 1, 2, false},
      {SamplerKind::kParentBasedAlwaysOff, 1, 3, true},
      {SamplerKind::kParentBasedAlwaysOff, 1, 4, false},
      {SamplerKind::kParentBasedTraceIdRatio, 0, 0, false},
      {SamplerKind::kParentBasedTraceIdRatio, 0, 1, true},
      {SamplerKind::kParentBasedTraceIdRatio, 1, 2, false},
      {SamplerKind::kParentBasedTraceIdRatio, 1, 0, true},
      // Non-parent-based samplers ignore the parent.
      {SamplerKind::kAlwaysOn, 1, 2, true},
      {SamplerKind::kAlwaysOff, 1, 1, false},
      {SamplerKind::kTraceIdRatio, 0, 1, false},
      {SamplerKind::kTraceIdRatio, 1, 2, true},
  };
  const SpanContext parents[] = {SpanContext(), Parent(true, true), Parent(false, true),
                                 Parent(true, false), Parent(false, false)};
  for (const Case& c : cases) {
    Sampler sampler({c.kind, c.ratio, {}});
    const SpanContext* parent = c.parent == 0 ? nullptr : &parents[c.parent];
    EXPECT_EQ(sampler.ShouldSample(parent, NewTraceId(), SpanKind::kInternal, {}), c.want)
        << SamplerName(c.kind) << " ratio " << c.ratio << " parent case " << c.parent;
  }
}

TEST(SamplerTest, RatioStatisticsWithinTolerance) {
  constexpr int kTrials = 200000;
  for (double ratio : {0.01, 0.1, 0.5, 0.9}) {
    Sampler sampler({SamplerKind::kTraceIdRatio, ratio, {}});
    int kept = 0;
    for (int i = 0; i < kTrials; ++i)
      kept += sampler.ShouldSample(nullptr, NewTraceId(), SpanKind::kInternal, {});
    // 5 standard deviations of a binomial: fails by chance < 1e-6.
    const double sigma = std::sqrt(kTrials * ratio * (1 - ratio));
    EXPECT_NEAR(kept, kTrials * ratio, 5 * sigma) << "ratio " << ratio;
  }
}

TEST(SamplerTest, RatioDecisionIsAFunctionOfTheTraceIdBytes) {
  Sampler sampler({SamplerKind::kTraceIdRatio, 0.5, {}});
  TraceId low, high;
  low.bytes[8] = 0x00;  // (id >> 1) small: kept
  low.bytes[15] = 0x02;
  high.bytes[8] = 0xff;  // (id >> 1) near 2^63: dropped
  EXPECT_TRUE(sampler.ShouldSample(nullptr, low, SpanKind::kInternal, {}));
  EXPECT_FALSE(sampler.ShouldSample(nullptr, high, SpanKind::kInternal, {}));
  // Boundary: 0x7fff.. >> 1 < 2^62 is false for ratio 0.5 exactly at 2^62.
  TraceId edge;
  edge.bytes[8] = 0x80;  // x >> 1 == 2^62 == threshold: not kept
  EXPECT_FALSE(sampler.ShouldSample(nullptr, edge, SpanKind::kInternal, {}));
  edge.bytes[8] = 0x7f;
  std::memset(edge.bytes.data() + 9, 0xff, 7);  // x >> 1 == 2^62 - 1: kept
  EXPECT_TRUE(sampler.ShouldSample(nullptr, edge, SpanKind::kInternal, {}));
  // Same id, same answer, for every instance (consistent across services).
  Sampler other({SamplerKind::kParentBasedTraceIdRatio, 0.5, {}});
  for (int i = 0; i < 1000; ++i) {
    TraceId id = NewTraceId();
    EXPECT_EQ(sampler.ShouldSample(nullptr, id, SpanKind::kInternal, {}),
              other.ShouldSample(nullptr, id, SpanKind::kInternal, {}));
  }
}

TEST(SamplerTest, AlwaysSampledRoutes) {
  Sampler sampler({SamplerKind::kParentBasedTraceIdRatio, 0.0, {"/checkout", "/pay"}});
  const SpanContext unsampled_remote = Parent(false, true);
  struct Case {
    const SpanContext* parent;
    SpanKind kind;
    std::string_view route;
    bool want;
  };
  const Case cases[] = {
      {nullptr, SpanKind::kInternal, "/checkout", true},  // root
      {nullptr, SpanKind::kServer, "/pay", true},
      {nullptr, SpanKind::kServer, "/other", false},
      {nullptr, SpanKind::kServer, "", false},
      {&unsampled_remote, SpanKind::kServer, "/checkout", true},   // server span with parent
      {&unsampled_remote, SpanKind::kClient, "/checkout", false},  // not root, not server
  };
  for (const Case& c : cases) {
    bool got = c.route.empty() ? sampler.ShouldSample(c.parent, NewTraceId(), c.kind, {})
                               : sampler.ShouldSample(c.parent, NewTraceId(), c.kind,
                                                      {{"http.route", c.route}});
    EXPECT_EQ(got, c.want) << c.route;
  }
}

}  // namespace
}  // namespace quartet::trace_internal

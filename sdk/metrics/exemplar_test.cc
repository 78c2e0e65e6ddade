#include "sdk/metrics/exemplar.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "quartet/metrics.h"
#include "sdk/context/current.h"

namespace quartet {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

SpanContext MakeSpan(bool sampled) {
  SpanContext s;
  for (int i = 0; i < 16; ++i) s.trace_id.bytes[i] = static_cast<uint8_t>(0xa0 + i);
  for (int i = 0; i < 8; ++i) s.span_id.bytes[i] = static_cast<uint8_t>(0x10 + i);
  s.trace_flags = sampled ? kTraceFlagSampled : 0;
  return s;
}

// Makes `span` current for its lifetime, as trace.h's Scope does.
class ScopedSpan {
 public:
  explicit ScopedSpan(const SpanContext* span) {
    frame_.span = span;
    context_internal::Push(&frame_);
  }
  ~ScopedSpan() { context_internal::Pop(&frame_); }

 private:
  context_internal::Frame frame_;
};

constexpr const char* kTrace = "a0a1a2a3a4a5a6a7a8a9aaabacadaeaf";
constexpr const char* kSpan = "1011121314151617";

MetricRegistryOptions Quiet() {
  MetricRegistryOptions o;
  o.report_errors = false;
  return o;
}

TEST(ExemplarTest, HistogramExemplarOnlyUnderSampledSpan) {
  MetricRegistry r(Quiet());
  Histogram h = r.Histogram("lat_seconds", "L.", {}, {0.1, 1}).WithLabels({});
  h.Observe(0.05);  // no span current
  SpanContext unsampled = MakeSpan(false);
  {
    ScopedSpan scope(&unsampled);
    h.Observe(0.07);
  }
  std::string om = r.Render(MetricsFormat::kOpenMetrics1);
  EXPECT_THAT(om, Not(HasSubstr("trace_id")));

  SpanContext sampled = MakeSpan(true);
  {
    ScopedSpan scope(&sampled);
    h.Observe(0.5);
  }
  om = r.Render(MetricsFormat::kOpenMetrics1);
  EXPECT_THAT(om, HasSubstr(std::string("lat_seconds_bucket{le=\"1.0\"} 3 # {trace_id=\"") +
                            kTrace + "\",span_id=\"" + kSpan + "\"} 0.5 "));
  EXPECT_THAT(om, HasSubstr("lat_seconds_bucket{le=\"0.1\"} 2\n"));  // no exemplar there
  // Never in text 0.0.4.
  EXPECT_THAT(r.Render(MetricsFormat::kText004), Not(HasSubstr("trace_id")));
}

TEST(ExemplarTest, CounterExemplarLatestWins) {
  MetricRegistry r(Quiet());
  Counter c = r.Counter("orders_total", "Orders.");
  SpanContext first = MakeSpan(true);
  SpanContext second = MakeSpan(true);
  second.span_id.bytes[7] = 0xff;
  {
    ScopedSpan scope(&first);
    c.Inc();
  }
  {
    ScopedSpan scope(&second);
    c.Add(2);
  }
  c.Inc();  // no span: keeps the last exemplar
  std::string om = r.Render(MetricsFormat::kOpenMetrics1);
  EXPECT_THAT(om, HasSubstr(std::string("orders_total 4.0 # {trace_id=\"") + kTrace +
                            "\",span_id=\"10111213141516ff\"} 2.0 "));
}

TEST(ExemplarTest, InvalidSpanRecordsNothing) {
  metrics_internal::ExemplarSlot slot;
  SpanContext invalid;  // all-zero ids
  invalid.trace_flags = kTraceFlagSampled;
  context_internal::Frame frame;
  frame.span = &invalid;
  slot.RecordFromFrame(&frame, 1);
  slot.RecordFromFrame(nullptr, 1);
  metrics_internal::ExemplarValue v;
  EXPECT_FALSE(slot.Read(&v));
}

TEST(ExemplarTest, SlotRoundTrip) {
  metrics_internal::ExemplarSlot slot;
  SpanContext s = MakeSpan(true);
  slot.Record(s, 0.25, 1'700'000'000'123'000'000);
  metrics_internal::ExemplarValue v;
  ASSERT_TRUE(slot.Read(&v));
  EXPECT_EQ(v.trace_id, s.trace_id);
  EXPECT_EQ(v.span_id, s.span_id);
  EXPECT_EQ(v.value, 0.25);
  EXPECT_EQ(v.unix_nanos, 1'700'000'000'123'000'000);
}

}  // namespace
}  // namespace quartet

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <ctime>
#include <limits>
#include <thread>

#include "quartet/metrics.h"

namespace quartet {
namespace {

using ::testing::HasSubstr;

MetricRegistryOptions Quiet() {
  MetricRegistryOptions o;
  o.report_errors = false;
  return o;
}

TEST(RegistryTest, CounterCountsIntegersAndFloats) {
  MetricRegistry r(Quiet());
  Counter c = r.Counter("jobs_total", "Jobs.");
  ASSERT_TRUE(c.valid());
  c.Inc();
  c.Add(4);
  c.Add(0.5);
  c.Add(-3);    // ignored: counters only go up
  c.Add(-1.0);  // ignored
  c.Add(std::nan(""));
  c.Add(std::numeric_limits<double>::infinity());
  EXPECT_DOUBLE_EQ(c.Value(), 5.5);
}

TEST(RegistryTest, CounterCountsFromExitedThreads) {
  MetricRegistry r(Quiet());
  Counter c = r.Counter("t_total", "T.");
  std::thread([&] {
    for (int i = 0; i < 1000; ++i) c.Inc();
    c.Add(0.25);
  }).join();
  c.Inc();
  EXPECT_DOUBLE_EQ(c.Value(), 1001.25);
}

TEST(RegistryTest, GaugeGoesUpAndDown) {
  MetricRegistry r(Quiet());
  Gauge g = r.Gauge("in_flight", "In flight.");
  g.Inc();
  g.Inc();
  g.Dec();
  g.Add(2.5);
  g.Sub(0.5);
  EXPECT_DOUBLE_EQ(g.Value(), 3);
  g.Set(-7);
  EXPECT_DOUBLE_EQ(g.Value(), -7);
}

TEST(RegistryTest, HistogramBucketPlacementIsLeInclusive) {
  MetricRegistry r(Quiet());
  auto family = r.Histogram("lat_seconds", "L.", {}, {0.1, 0.5, 1});
  Histogram h = family.WithLabels({});
  for (double v : {0.05, 0.1, 0.10000001, 0.5, 1.0, 1.5, -2.0}) h.Observe(v);
  h.Observe(std::nan(""));  // into +Inf
  EXPECT_EQ(h.Count(), 8u);
  std::string text = r.Render(MetricsFormat::kText004);
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"0.1\"} 3\n"));  // -2, 0.05, 0.1
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"0.5\"} 5\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"1\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_bucket{le=\"+Inf\"} 8\n"));
  EXPECT_THAT(text, HasSubstr("lat_seconds_count 8\n"));
}

TEST(RegistryTest, ManyBucketsUseTheSamePlacement) {
  MetricRegistry r(Quiet());
  std::vector<double> bounds;
  for (int i = 1; i <= 40; ++i) bounds.push_back(i);
  Histogram h = r.Histogram("many", "M.", {}, bounds).WithLabels({});
  for (double v : {0.5, 1.0, 1.5, 20.0, 39.99, 40.0, 40.01, std::nan("")}) h.Observe(v);
  std::string text = r.Render(MetricsFormat::kText004);
  EXPECT_THAT(text, HasSubstr("many_bucket{le=\"1\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("many_bucket{le=\"2\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("many_bucket{le=\"19\"} 3\n"));
  EXPECT_THAT(text, HasSubstr("many_bucket{le=\"20\"} 4\n"));
  EXPECT_THAT(text, HasSubstr("many_bucket{le=\"40\"} 6\n"));
  EXPECT_THAT(text, HasSubstr("many_bucket{le=\"+Inf\"} 8\n"));
}

TEST(RegistryTest, DefaultBucketsArePrometheusDefaults) {
  EXPECT_EQ(DefaultBuckets(),
            (std::vector<double>{0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10}));
  MetricRegistry r(Quiet());
  r.Histogram("d_seconds", "D.").Observe(3);
  std::string text = r.Render(MetricsFormat::kText004);
  EXPECT_THAT(text, HasSubstr("d_seconds_bucket{le=\"2.5\"} 0\n"));
  EXPECT_THAT(text, HasSubstr("d_seconds_bucket{le=\"5\"} 1\n"));
  EXPECT_THAT(text, HasSubstr("d_seconds_sum 3\n"));
}

TEST(RegistryTest, LabelFamiliesBindHandles) {
  MetricRegistry r(Quiet());
  CounterFamily requests =
      r.Counter("http_server_requests_total", "Requests.", {"method", "route", "status"});
  Counter a = requests.WithLabels({"GET", "/orders/:id", "200"});
  Counter b = requests.WithLabels({"GET", "/orders/:id", "200"});
  Counter c = requests.WithLabels({"POST", "/orders", "201"});
  a.Inc();
  b.Inc();
  c.Add(3);
  EXPECT_DOUBLE_EQ(a.Value(), 2);
  EXPECT_DOUBLE_EQ(c.Value(), 3);
  std::string text = r.Render(MetricsFormat::kText004);
  EXPECT_THAT(text, HasSubstr("http_server_requests_total{method=\"GET\",route=\"/orders/:id\","
                              "status=\"200\"} 2\n"));
  EXPECT_THAT(text, HasSubstr("http_server_requests_total{method=\"POST\",route=\"/orders\","
                              "status=\"201\"} 3\n"));
}

TEST(RegistryTest, LabelValueBoundariesDoNotCollide) {
  MetricRegistry r(Quiet());
  auto f = r.Counter("k_total", "K.", {"a", "b"});
  f.WithLabels({"ab", "c"}).Inc();
  EXPECT_DOUBLE_EQ(f.WithLabels({"a", "bc"}).Value(), 0);
}

TEST(RegistryTest, WrongLabelCountGivesNoOpAndReports) {
  MetricRegistry r(Quiet());
  auto f = r.Counter("x_total", "X.", {"a", "b"});
  Counter bad = f.WithLabels({"only-one"});
  EXPECT_FALSE(bad.valid());
  bad.Inc();  // harmless
  EXPECT_THAT(r.RegistrationErrors(), ::testing::ElementsAre(HasSubstr("1 values for 2")));
}

TEST(RegistryTest, SeriesLimitPerFamily) {
  MetricRegistryOptions o = Quiet();
  o.max_series_per_family = 2;
  MetricRegistry r(o);
  auto f = r.Gauge("g", "G.", {"id"});
  EXPECT_TRUE(f.WithLabels({"1"}).valid());
  EXPECT_TRUE(f.WithLabels({"2"}).valid());
  EXPECT_FALSE(f.WithLabels({"3"}).valid());
  EXPECT_TRUE(f.WithLabels({"1"}).valid());  // existing series still bind
  EXPECT_FALSE(f.WithLabels({"4"}).valid());
  EXPECT_EQ(r.RegistrationErrors().size(), 1u);  // reported once
}

TEST(RegistryTest, InvalidUtf8LabelValueRejected) {
  MetricRegistry r(Quiet());
  auto f = r.Gauge("g", "G.", {"id"});
  EXPECT_FALSE(f.WithLabels({"\xff"}).valid());
}

TEST(RegistryTest, InvalidRegistrationsGiveNoOpHandles) {
  struct Case {
    const char* what;
    std::function<bool(MetricRegistry&)> register_it;  // returns valid()
    const char* error;
  } cases[] = {
      {"bad name", [](MetricRegistry& r) { return r.Counter("1abc", "h").valid(); }, "offset 0"},
      {"reserved name", [](MetricRegistry& r) { return r.Gauge("__x", "h").valid(); }, "reserved"},
      {"bad label", [](MetricRegistry& r) { return r.Counter("a", "h", {"a-b"}).valid(); },
       "offset 1"},
      {"reserved label", [](MetricRegistry& r) { return r.Gauge("a", "h", {"__l"}).valid(); },
       "reserved"},
      {"le on histogram", [](MetricRegistry& r) { return r.Histogram("a", "h", {"le"}).valid(); },
       "\"le\""},
      {"duplicate label",
       [](MetricRegistry& r) {
         return r.Gauge("a", "h", {"x", "x"}).valid();
       },
       "twice"},
      {"unsorted buckets",
       [](MetricRegistry& r) {
         return r.Histogram("a", "h", {}, {1, 0.5}).valid();
       },
       "strictly increasing"},
      {"equal buckets",
       [](MetricRegistry& r) {
         return r.Histogram("a", "h", {}, {1, 1}).valid();
       },
       "strictly increasing"},
      {"nan bucket",
       [](MetricRegistry& r) { return r.Histogram("a", "h", {}, {std::nan("")}).valid(); },
       "finite"},
      {"bare _total", [](MetricRegistry& r) { return r.Counter("_total", "h").valid(); },
       "only the"},
      {"type clash",
       [](MetricRegistry& r) {
         (void)r.Counter("m", "h");
         return r.Gauge("m", "h").valid();
       },
       "already registered"},
      {"series clash",
       [](MetricRegistry& r) {
         (void)r.Histogram("h", "h");
         return r.Gauge("h_count", "h").valid();
       },
       "clashes"},
      {"target_info reserved",
       [](MetricRegistry& r) { return r.Gauge("target_info", "h").valid(); }, "clashes"},
  };
  for (const Case& c : cases) {
    MetricRegistry r(Quiet());
    EXPECT_FALSE(c.register_it(r)) << c.what;
    auto errors = r.RegistrationErrors();
    ASSERT_EQ(errors.size(), 1u) << c.what;
    EXPECT_THAT(errors[0], HasSubstr(c.error)) << c.what;
  }
}

TEST(RegistryTest, ReRegistrationReturnsSameFamily) {
  MetricRegistry r(Quiet());
  r.Counter("same_total", "S.").Inc();
  r.Counter("same", "S.").Inc();  // "_total" is implied: same family
  EXPECT_DOUBLE_EQ(r.Counter("same_total", "S.").Value(), 2);
  EXPECT_TRUE(r.RegistrationErrors().empty());
  (void)r.Counter("same_total", "Other help.");
  EXPECT_EQ(r.RegistrationErrors().size(), 1u);
}

TEST(RegistryTest, TrailingInfBucketAccepted) {
  MetricRegistry r(Quiet());
  auto h = r.Histogram("a", "h", {}, {1, std::numeric_limits<double>::infinity()});
  EXPECT_TRUE(h.valid());
  EXPECT_TRUE(r.RegistrationErrors().empty());
}

TEST(RegistryTest, CallbacksReadAtScrapeAndCanBeRemoved) {
  MetricRegistry r(Quiet());
  double dropped = 7;
  uint64_t id = r.CallbackCounter("quartet_sdk_spans_dropped_total", "Spans dropped.",
                                  [&] { return dropped; });
  uint64_t gid = r.CallbackGauge("quartet_sdk_queue_size", "Queue size.", [] { return 3.0; });
  ASSERT_NE(id, 0u);
  ASSERT_NE(gid, 0u);
  dropped = 9;
  std::string text = r.Render(MetricsFormat::kText004);
  EXPECT_THAT(text, HasSubstr("# TYPE quartet_sdk_spans_dropped_total counter\n"
                              "quartet_sdk_spans_dropped_total 9\n"));
  EXPECT_THAT(text, HasSubstr("quartet_sdk_queue_size 3\n"));
  EXPECT_EQ(r.CallbackGauge("quartet_sdk_queue_size", "dup", [] { return 1.0; }), 0u);
  r.RemoveCallback(id);
  EXPECT_THAT(r.Render(MetricsFormat::kText004), ::testing::Not(HasSubstr("spans_dropped")));
  // The name is free again.
  EXPECT_NE(r.CallbackCounter("quartet_sdk_spans_dropped", "Spans dropped.", [] { return 1.0; }),
            0u);
}

TEST(RegistryTest, ThrowingCallbackSkipsOnlyItsSample) {
  MetricRegistry r(Quiet());
  (void)r.CallbackGauge("bad", "B.", []() -> double { throw 1; });
  r.Gauge("good", "G.").Set(1);
  EXPECT_THAT(r.Render(MetricsFormat::kText004), HasSubstr("good 1\n"));
  EXPECT_THAT(r.Render(MetricsFormat::kText004), ::testing::Not(HasSubstr("bad")));
}

TEST(RegistryTest, DefaultHandlesAreNoOps) {
  Counter c;
  Gauge g;
  Histogram h;
  c.Inc();
  g.Set(3);
  h.Observe(1);
  EXPECT_EQ(c.Value(), 0);
  EXPECT_EQ(g.Value(), 0);
  EXPECT_EQ(h.Count(), 0u);
  EXPECT_FALSE(CounterFamily().WithLabels({"x"}).valid());
}

TEST(RegistryTest, ProcessMetricsAreSane) {
  MetricRegistry r(MetricRegistryOptions{.runtime_metrics = true, .report_errors = false});
  std::string text = r.Render(MetricsFormat::kText004);
  auto value = [&](const std::string& name) {
    size_t pos = text.find("\n" + name + " ");
    EXPECT_NE(pos, std::string::npos) << name;
    return pos == std::string::npos ? -1.0
                                    : std::strtod(text.c_str() + pos + name.size() + 2, nullptr);
  };
  double now = static_cast<double>(time(nullptr));
  EXPECT_GT(value("process_start_time_seconds"), now - 3600);
  EXPECT_LE(value("process_start_time_seconds"), now + 1);
  EXPECT_GT(value("process_resident_memory_bytes"), 1 << 20);
  EXPECT_GE(value("process_virtual_memory_bytes"), value("process_resident_memory_bytes"));
  EXPECT_GE(value("process_open_fds"), 3);
  EXPECT_GE(value("process_max_fds"), value("process_open_fds"));
  EXPECT_GE(value("process_cpu_seconds_total"), 0);
  EXPECT_GE(value("quartet_process_threads"), 1);
  // User metrics cannot take the runtime names.
  EXPECT_FALSE(r.Gauge("process_open_fds", "x").valid());
}

TEST(RegistryTest, GlobalRegistryServesWithRuntimeMetrics) {
  Metrics().Counter("global_test_events_total", "Events.").Inc();
  MetricsResponse text = ServeMetrics("*/*");
  EXPECT_EQ(text.content_type, "text/plain; version=0.0.4; charset=utf-8");
  EXPECT_THAT(text.body, HasSubstr("global_test_events_total 1\n"));
  EXPECT_THAT(text.body, HasSubstr("\nprocess_cpu_seconds_total "));
  EXPECT_THAT(text.body, HasSubstr("\nprocess_resident_memory_bytes "));
  EXPECT_THAT(text.body, HasSubstr("\nprocess_start_time_seconds "));
  EXPECT_THAT(text.body, HasSubstr("\nprocess_open_fds "));
  EXPECT_THAT(text.body, HasSubstr("\nquartet_process_threads "));
  EXPECT_THAT(text.body, HasSubstr("quartet_sdk_build_info{language=\"cpp\",version=\"0.1.0\"} 1"));
  MetricsResponse om = ServeMetrics(
      "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;"
      "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1");
  EXPECT_EQ(om.content_type, "application/openmetrics-text; version=1.0.0; charset=utf-8");
  EXPECT_THAT(om.body, HasSubstr("# TYPE global_test_events counter\n"));
  EXPECT_TRUE(om.body.ends_with("# EOF\n"));
}

}  // namespace
}  // namespace quartet

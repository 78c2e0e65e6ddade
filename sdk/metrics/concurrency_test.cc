// Hammers counters and histograms from several threads (some of which exit
// mid-run) while another thread scrapes: totals must be exact at the end and
// never go down between scrapes. Runs under TSan in CI (label "concurrency").
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <string>
#include <thread>
#include <vector>

#include "quartet/metrics.h"
#include "sdk/context/current.h"

namespace quartet {
namespace {

// Value of the sample line starting with `prefix` (e.g. "c_total "), or -1.
double SampleValue(const std::string& text, const std::string& prefix) {
  size_t pos = text.find("\n" + prefix);
  if (pos == std::string::npos) {
    if (!text.starts_with(prefix)) return -1;
    pos = 0;
  } else {
    pos += 1;
  }
  return std::strtod(text.c_str() + pos + prefix.size(), nullptr);
}

TEST(MetricsConcurrencyTest, ExactTotalsAndMonotonicScrapes) {
  MetricRegistry r;
  auto counters = r.Counter("ops_total", "Ops.", {"worker"});
  Counter shared = r.Counter("shared_total", "Shared.");
  Histogram hist = r.Histogram("lat_seconds", "L.", {}, {0.5, 1}).WithLabels({});
  Gauge gauge = r.Gauge("inflight", "In flight.");

  constexpr int kThreads = 4;
  constexpr int kRounds = 3;           // threads are recreated: exits fold mid-scrape
  constexpr int kOpsPerRound = 30000;  // a multiple of 3
  std::atomic<bool> done{false};

  std::thread scraper([&] {
    double last_shared = 0, last_count = 0;
    for (int scrapes = 0; !done.load() || scrapes < 20; ++scrapes) {
      std::string text = r.Render(MetricsFormat::kText004);
      double s = SampleValue(text, "shared_total ");
      double c = SampleValue(text, "lat_seconds_count ");
      double inf = SampleValue(text, "lat_seconds_bucket{le=\"+Inf\"} ");
      EXPECT_GE(s, last_shared);
      EXPECT_GE(c, last_count);
      EXPECT_EQ(inf, c);  // +Inf == _count in every scrape
      last_shared = s;
      last_count = c;
      std::string om = r.Render(MetricsFormat::kOpenMetrics1);
      EXPECT_TRUE(om.ends_with("# EOF\n"));
    }
  });

  SpanContext span;
  span.trace_id.bytes[0] = 1;
  span.span_id.bytes[0] = 2;
  span.trace_flags = kTraceFlagSampled;
  for (int round = 0; round < kRounds; ++round) {
    std::vector<std::thread> workers;
    for (int t = 0; t < kThreads; ++t) {
      workers.emplace_back([&, t] {
        Counter mine = counters.WithLabels({std::to_string(t)});
        context_internal::Frame frame;
        frame.span = &span;
        for (int i = 0; i < kOpsPerRound; ++i) {
          // Every 64th op under a sampled span: exemplar writers race too.
          bool traced = (i & 63) == 0;
          if (traced) context_internal::Push(&frame);
          shared.Inc();
          mine.Inc();
          hist.Observe((i % 3) * 0.5);  // 0, 0.5, 1.0: one third per bucket
          gauge.Inc();
          gauge.Dec();
          if (traced) context_internal::Pop(&frame);
        }
        shared.Add(0.5);
      });
    }
    for (auto& w : workers) w.join();
  }
  done = true;
  scraper.join();

  constexpr double kTotal = double{kThreads} * kRounds * kOpsPerRound;
  EXPECT_DOUBLE_EQ(shared.Value(), kTotal + 0.5 * kThreads * kRounds);
  for (int t = 0; t < kThreads; ++t) {
    EXPECT_DOUBLE_EQ(counters.WithLabels({std::to_string(t)}).Value(), kRounds * kOpsPerRound);
  }
  EXPECT_EQ(hist.Count(), static_cast<uint64_t>(kTotal));
  EXPECT_DOUBLE_EQ(gauge.Value(), 0);
  std::string text = r.Render(MetricsFormat::kText004);
  EXPECT_EQ(SampleValue(text, "lat_seconds_bucket{le=\"0.5\"} "), kTotal * 2 / 3);
  EXPECT_EQ(SampleValue(text, "lat_seconds_bucket{le=\"1\"} "), kTotal);
}

TEST(MetricsConcurrencyTest, ConcurrentRegistrationAndBinding) {
  MetricRegistry r;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 200; ++i) {
        auto f = r.Counter("reg_total", "R.", {"i"});
        f.WithLabels({std::to_string(i % 50)}).Inc();
        (void)r.Render(MetricsFormat::kText004);
      }
    });
  }
  for (auto& t : threads) t.join();
  auto f = r.Counter("reg_total", "R.", {"i"});
  for (int i = 0; i < 50; ++i) EXPECT_DOUBLE_EQ(f.WithLabels({std::to_string(i)}).Value(), 16);
}

}  // namespace
}  // namespace quartet

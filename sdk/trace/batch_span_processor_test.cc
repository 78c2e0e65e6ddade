#include "sdk/trace/batch_span_processor.h"

#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>

#include "sdk/trace/test_util.h"

namespace quartet::trace_internal {
namespace {

using std::chrono::milliseconds;
using Clock = std::chrono::steady_clock;

SpanRecord* NewRecord(int i) {
  auto* r = new SpanRecord;
  r->name = "s" + std::to_string(i);
  return r;
}

// Blocks every Export until released; the gate is shared so a detached export
// thread can outlive the test body safely.
struct Gate {
  std::mutex mu;
  std::condition_variable cv;
  bool open = false;
  std::atomic<int> entered{0};
  void Open() {
    std::lock_guard lock(mu);
    open = true;
    cv.notify_all();
  }
};

class StuckExporter : public SpanExporter {
 public:
  explicit StuckExporter(std::shared_ptr<Gate> gate) : gate_(std::move(gate)) {}
  ExportResult Export(std::span<const SpanRecord* const>, Deadline) noexcept override {
    gate_->entered.fetch_add(1);
    std::unique_lock lock(gate_->mu);
    gate_->cv.wait(lock, [&] { return gate_->open; });
    return ExportResult::kSuccess;
  }

 private:
  std::shared_ptr<Gate> gate_;
};

class CountingExporter : public SpanExporter {
 public:
  explicit CountingExporter(ExportResult result) : result_(result) {}
  ExportResult Export(std::span<const SpanRecord* const> batch, Deadline) noexcept override {
    std::lock_guard lock(mu_);
    batch_sizes_.push_back(batch.size());
    return result_;
  }
  std::vector<size_t> batch_sizes() {
    std::lock_guard lock(mu_);
    return batch_sizes_;
  }

 private:
  ExportResult result_;
  std::mutex mu_;
  std::vector<size_t> batch_sizes_;
};

TEST(BatchSpanProcessorTest, ExportsInBatchesOfMaxSize) {
  auto exp = std::make_unique<CountingExporter>(ExportResult::kSuccess);
  CountingExporter* exporter = exp.get();
  BatchOptions options;
  options.max_queue_size = 100;
  options.max_export_batch_size = 16;
  options.schedule_delay = milliseconds(60000);  // only flush/size triggers
  BatchSpanProcessor p(std::move(exp), options, nullptr);
  for (int i = 0; i < 40; ++i) p.OnEnd(NewRecord(i));
  ASSERT_TRUE(p.ForceFlush(milliseconds(5000)));
  size_t total = 0;
  for (size_t n : exporter->batch_sizes()) {
    EXPECT_LE(n, 16u);
    total += n;
  }
  EXPECT_EQ(total, 40u);
  EXPECT_EQ(p.counters().spans_exported.load(), 40u);
  EXPECT_EQ(p.counters().spans_dropped.load(), 0u);
}

// Regression: a batch filled while the worker was draining used to consume
// the one wake-up, so the worker then slept a whole schedule delay while the
// queue overflowed. With steady load it must keep up without dropping.
TEST(BatchSpanProcessorTest, SustainedLoadKeepsWakingTheWorker) {
  auto exp = std::make_unique<CountingExporter>(ExportResult::kSuccess);
  BatchOptions options;
  options.max_queue_size = 4096;
  options.max_export_batch_size = 32;
  options.schedule_delay = milliseconds(60000);  // only batch-full wake-ups
  auto pool = std::make_shared<SpanRecordPool>(4096);
  BatchSpanProcessor p(std::move(exp), options, nullptr, pool);
  constexpr int kBursts = 20, kBurst = 1000;  // long bursts: the worker drains while we push
  for (int burst = 1; burst <= kBursts; ++burst) {
    for (int i = 0; i < kBurst; ++i) p.OnEnd(pool->Acquire());
    // A live worker drains a burst in well under a second; a stalled one
    // sleeps for the 60 s schedule delay and the queue overflows.
    const auto until = Clock::now() + std::chrono::seconds(2);
    while (p.counters().spans_exported.load() < uint64_t(burst) * kBurst && Clock::now() < until) {
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }
  EXPECT_EQ(p.counters().spans_dropped.load(), 0u);
  EXPECT_EQ(p.counters().spans_exported.load(), uint64_t(kBursts) * kBurst);
}

TEST(BatchSpanProcessorTest, ScheduleDelayExportsWithoutFlush) {
  auto exp = std::make_unique<InMemorySpanExporter>();
  InMemorySpanExporter* exporter = exp.get();
  BatchOptions options;
  options.schedule_delay = milliseconds(20);
  BatchSpanProcessor p(std::move(exp), options, nullptr);
  p.OnEnd(NewRecord(1));
  const auto give_up = Clock::now() + std::chrono::seconds(5);
  while (exporter->size() == 0 && Clock::now() < give_up)
    std::this_thread::sleep_for(milliseconds(5));
  EXPECT_EQ(exporter->size(), 1u);
}

TEST(BatchSpanProcessorTest, FailedExportsAreCounted) {
  BatchOptions options;
  options.max_export_batch_size = 10;
  BatchSpanProcessor p(std::make_unique<CountingExporter>(ExportResult::kFailure), options,
                       nullptr);
  for (int i = 0; i < 25; ++i) p.OnEnd(NewRecord(i));
  ASSERT_TRUE(p.ForceFlush(milliseconds(5000)));
  EXPECT_EQ(p.counters().export_failures.load(), 3u);
  EXPECT_EQ(p.counters().spans_dropped.load(), 25u);
  EXPECT_EQ(p.counters().spans_exported.load(), 0u);
}

TEST(BatchSpanProcessorTest, StuckExporterDropsBoundedAndDeadlinesHold) {
  auto gate = std::make_shared<Gate>();
  BatchOptions options;
  options.max_queue_size = 64;
  options.max_export_batch_size = 8;
  options.schedule_delay = milliseconds(1);
  auto p =
      std::make_unique<BatchSpanProcessor>(std::make_unique<StuckExporter>(gate), options, nullptr);
  p->OnEnd(NewRecord(0));
  const auto wait_until = Clock::now() + std::chrono::seconds(5);
  while (gate->entered.load() == 0 && Clock::now() < wait_until)
    std::this_thread::sleep_for(milliseconds(1));
  ASSERT_EQ(gate->entered.load(), 1);  // export thread is now stuck holding 1 span

  constexpr int kSpans = 1000;
  const auto t0 = Clock::now();
  for (int i = 1; i <= kSpans; ++i) p->OnEnd(NewRecord(i));
  EXPECT_LT(Clock::now() - t0, milliseconds(500));  // never blocks the caller
  EXPECT_EQ(p->counters().spans_dropped.load(), static_cast<uint64_t>(kSpans - 64));

  auto start = Clock::now();
  EXPECT_FALSE(p->ForceFlush(milliseconds(50)));
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  start = Clock::now();
  EXPECT_FALSE(p->Shutdown(milliseconds(50)));
  EXPECT_LT(Clock::now() - start, milliseconds(1000));
  p->OnEnd(NewRecord(-1));  // after shutdown: dropped
  EXPECT_EQ(p->counters().spans_dropped.load(), static_cast<uint64_t>(kSpans - 64 + 1));
  auto counters = p->counters().spans_exported.load();
  EXPECT_EQ(counters, 0u);
  p.reset();     // detaches the stuck thread
  gate->Open();  // it finishes on its own and frees the queue
}

TEST(BatchSpanProcessorTest, ShutdownFlushesAndIsIdempotent) {
  auto exp = std::make_unique<InMemorySpanExporter>();
  InMemorySpanExporter* exporter = exp.get();
  BatchOptions options;
  options.schedule_delay = milliseconds(60000);
  BatchSpanProcessor p(std::move(exp), options, nullptr);
  for (int i = 0; i < 100; ++i) p.OnEnd(NewRecord(i));
  EXPECT_TRUE(p.Shutdown(milliseconds(5000)));
  EXPECT_EQ(exporter->size(), 100u);
  EXPECT_TRUE(exporter->is_shutdown());
  EXPECT_TRUE(p.Shutdown(milliseconds(10)));
  EXPECT_TRUE(p.ForceFlush(milliseconds(10)));
}

// Many threads start, annotate, scope and end spans while the processor
// exports and drops; run under TSan (label concurrency).
TEST(BatchSpanProcessorTest, ConcurrentSpansStress) {
  auto exp = std::make_unique<CountingExporter>(ExportResult::kSuccess);
  TracerProviderOptions options;
  options.sampler = {SamplerKind::kAlwaysOn, 1.0, {}};
  options.exporter = std::move(exp);
  options.batch.max_queue_size = 256;
  options.batch.max_export_batch_size = 64;
  options.batch.schedule_delay = milliseconds(1);
  TracerProvider provider(std::move(options));
  constexpr int kThreads = 4;
  constexpr int kSpansPerThread = 5000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kSpansPerThread; ++i) {
        Span parent = provider.tracer().StartSpan("parent", {.attributes = {{"thread", t}}});
        Scope scope(parent);
        Span child = provider.tracer().StartSpan("child");
        child.SetAttribute("i", i);
        EXPECT_EQ(child.context().trace_id, parent.context().trace_id);
        if (i % 100 == 0) provider.ForceFlush(milliseconds(1));
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_TRUE(provider.Shutdown(milliseconds(10000)));
  const TraceCounters& c = provider.counters();
  const uint64_t total = 2ull * kThreads * kSpansPerThread;
  EXPECT_EQ(c.spans_started.load(), total);
  EXPECT_EQ(c.spans_ended.load(), total);
  EXPECT_EQ(c.spans_exported.load() + c.spans_dropped.load(), total);
  EXPECT_GT(c.spans_exported.load(), 0u);
}

}  // namespace
}  // namespace quartet::trace_internal

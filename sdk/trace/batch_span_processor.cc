#include "sdk/trace/batch_span_processor.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <vector>

#include "sdk/trace/bounded_queue.h"

namespace quartet::trace_internal {

struct BatchSpanProcessor::State {
  State(std::unique_ptr<SpanExporter> e, BatchOptions o, std::shared_ptr<TraceCounters> c,
        std::shared_ptr<SpanRecordPool> p)
      : exporter(std::move(e)),
        options(o),
        counters(std::move(c)),
        pool(std::move(p)),
        queue(o.max_queue_size) {}

  void Free(SpanRecord* r) noexcept {
    if (pool) {
      pool->Release(r);
    } else {
      delete r;
    }
  }

  ~State() {
    // Spans that raced with Shutdown past the final drain.
    SpanRecord* r;
    while (queue.TryPop(&r)) {
      counters->spans_dropped.fetch_add(1, std::memory_order_relaxed);
      Free(r);
    }
  }

  void Run();
  // Exports everything in the queue, in batches.
  void Drain(std::vector<SpanRecord*>& batch);

  std::unique_ptr<SpanExporter> exporter;
  const BatchOptions options;
  std::shared_ptr<TraceCounters> counters;
  std::shared_ptr<SpanRecordPool> pool;  // null: records are deleted
  BoundedQueue<SpanRecord*> queue;
  std::atomic<bool> accepting{true};
  std::atomic<bool> wake_pending{false};

  std::mutex mu;
  std::condition_variable wake;  // to the worker
  std::condition_variable done;  // from the worker
  uint64_t flush_requested = 0;  // guarded by mu
  uint64_t flush_done = 0;       // guarded by mu
  bool stop = false;             // guarded by mu
  bool finished = false;         // guarded by mu
};

// How often a waiting worker looks at the queue even without a wake-up.
constexpr std::chrono::milliseconds kBatchRecheck{50};

void BatchSpanProcessor::State::Drain(std::vector<SpanRecord*>& batch) {
  for (;;) {
    batch.clear();
    SpanRecord* r;
    while (batch.size() < options.max_export_batch_size && queue.TryPop(&r)) batch.push_back(r);
    if (batch.empty()) return;
    const auto deadline = std::chrono::steady_clock::now() + options.export_timeout;
    const ExportResult result =
        exporter->Export(std::span<const SpanRecord* const>(batch.data(), batch.size()), deadline);
    if (result == ExportResult::kSuccess) {
      counters->spans_exported.fetch_add(batch.size(), std::memory_order_relaxed);
    } else {
      counters->export_failures.fetch_add(1, std::memory_order_relaxed);
      counters->spans_dropped.fetch_add(batch.size(), std::memory_order_relaxed);
    }
    for (SpanRecord* rec : batch) Free(rec);
  }
}

void BatchSpanProcessor::State::Run() {
  std::vector<SpanRecord*> batch;
  batch.reserve(options.max_export_batch_size);
  for (;;) {
    uint64_t flush_target;
    bool stopping;
    {
      std::unique_lock lock(mu);
      // Re-arm the producers' batch-full wake-up *before* looking at the
      // queue: a producer that fills a batch from here on notifies again.
      // (Re-arming after the drain lost every wake-up that came during it,
      // and the worker slept a whole schedule delay while the queue
      // overflowed.) The periodic re-check bounds what a wake-up lost to a
      // store/load race can cost.
      wake_pending.store(false, std::memory_order_seq_cst);
      const auto ready = [&] {
        return stop || flush_requested > flush_done ||
               queue.SizeApprox() >= options.max_export_batch_size;
      };
      const auto until = std::chrono::steady_clock::now() + options.schedule_delay;
      while (!ready() && std::chrono::steady_clock::now() < until) {
        wake.wait_until(lock, std::min(until, std::chrono::steady_clock::now() + kBatchRecheck));
      }
      flush_target = flush_requested;
      stopping = stop;
    }
    Drain(batch);
    if (stopping) exporter->Shutdown(std::chrono::steady_clock::now() + options.export_timeout);
    {
      std::lock_guard lock(mu);
      flush_done = std::max(flush_done, flush_target);
      if (stopping) finished = true;
    }
    done.notify_all();
    if (stopping) return;
  }
}

BatchSpanProcessor::BatchSpanProcessor(std::unique_ptr<SpanExporter> exporter, BatchOptions options,
                                       std::shared_ptr<TraceCounters> counters,
                                       std::shared_ptr<SpanRecordPool> pool)
    : counters_(counters ? std::move(counters) : std::make_shared<TraceCounters>()) {
  options.max_queue_size = std::max<size_t>(options.max_queue_size, 1);
  options.max_export_batch_size =
      std::clamp<size_t>(options.max_export_batch_size, 1, options.max_queue_size);
  state_ = std::make_shared<State>(std::move(exporter), options, counters_, std::move(pool));
  worker_ = std::thread([state = state_] { state->Run(); });
}

BatchSpanProcessor::~BatchSpanProcessor() {
  bool stopped;
  {
    std::lock_guard lock(state_->mu);
    stopped = state_->stop;
  }
  // An explicit Shutdown already waited for its deadline: do not wait again.
  if (!stopped) Shutdown(state_->options.export_timeout);
  if (worker_.joinable()) {
    bool finished;
    {
      std::lock_guard lock(state_->mu);
      finished = state_->finished;
    }
    if (finished) {
      worker_.join();
    } else {
      worker_.detach();  // stuck exporter: the thread owns the shared state
    }
  }
}

void BatchSpanProcessor::OnEnd(SpanRecord* record) noexcept {
  State& s = *state_;
  if (!s.accepting.load(std::memory_order_acquire) || !s.queue.TryPush(record)) {
    s.counters->spans_dropped.fetch_add(1, std::memory_order_relaxed);
    s.Free(record);
    return;
  }
  // Wake the worker once per batch-full, not once per span.
  if (s.queue.SizeApprox() >= s.options.max_export_batch_size &&
      !s.wake_pending.exchange(true, std::memory_order_seq_cst)) {
    std::lock_guard lock(s.mu);
    s.wake.notify_one();
  }
}

bool BatchSpanProcessor::ForceFlush(std::chrono::milliseconds timeout) noexcept {
  State& s = *state_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  std::unique_lock lock(s.mu);
  if (s.finished) return s.queue.SizeApprox() == 0;
  const uint64_t target = ++s.flush_requested;
  s.wake.notify_one();
  return s.done.wait_until(lock, deadline, [&] { return s.flush_done >= target || s.finished; });
}

bool BatchSpanProcessor::Shutdown(std::chrono::milliseconds timeout) noexcept {
  State& s = *state_;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  s.accepting.store(false, std::memory_order_release);
  bool finished;
  {
    std::unique_lock lock(s.mu);
    s.stop = true;
    s.wake.notify_one();
    finished = s.done.wait_until(lock, deadline, [&] { return s.finished; });
  }
  if (finished && worker_.joinable()) worker_.join();
  return finished;
}

}  // namespace quartet::trace_internal

#include "server/store/traces/scan_pool.h"

#include <algorithm>
#include <atomic>

namespace quartet::store {

struct ScanPool::Job {
  size_t n = 0;
  const std::function<void(size_t)>* fn = nullptr;
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::condition_variable done_cv;
  size_t done = 0;  // guarded by mu
};

ScanPool::ScanPool(size_t workers) {
  threads_.reserve(workers);
  for (size_t i = 0; i < workers; ++i) threads_.emplace_back([this] { WorkerLoop(); });
}

ScanPool::~ScanPool() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  for (std::thread& t : threads_) t.join();
}

size_t ScanPool::DefaultWorkers() {
  const unsigned cores = std::thread::hardware_concurrency();
  return cores <= 1 ? 0 : std::min<size_t>(cores - 1, 7);
}

void ScanPool::RunSome(Job& job) {
  size_t ran = 0;
  for (size_t i = job.next.fetch_add(1); i < job.n; i = job.next.fetch_add(1)) {
    (*job.fn)(i);
    ++ran;
  }
  if (ran == 0) return;
  std::lock_guard lock(job.mu);
  job.done += ran;
  if (job.done == job.n) job.done_cv.notify_all();
}

void ScanPool::ParallelFor(size_t n, const std::function<void(size_t)>& fn) {
  if (n == 0) return;
  if (threads_.empty() || n == 1) {
    for (size_t i = 0; i < n; ++i) fn(i);
    return;
  }
  auto job = std::make_shared<Job>();
  job->n = n;
  job->fn = &fn;
  {
    std::lock_guard lock(mu_);
    jobs_.push_back(job);
  }
  cv_.notify_all();
  RunSome(*job);
  {
    std::unique_lock lock(job->mu);
    job->done_cv.wait(lock, [&] { return job->done == job->n; });
  }
  // Workers drop exhausted jobs as they find them; make sure this one goes
  // even if none looked (fn must not outlive this call).
  std::lock_guard lock(mu_);
  std::erase(jobs_, job);
}

void ScanPool::WorkerLoop() {
  for (;;) {
    std::shared_ptr<Job> job;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return stop_ || !jobs_.empty(); });
      if (stop_) return;
      job = jobs_.front();
      if (job->next.load() >= job->n) {
        jobs_.pop_front();
        continue;
      }
      // Round robin between concurrent searches.
      jobs_.pop_front();
      jobs_.push_back(job);
    }
    RunSome(*job);
  }
}

}  // namespace quartet::store

// ScanPool: a small fixed pool of threads that trace searches use to scan
// row groups on every core. ParallelFor(n, fn) runs fn(0) .. fn(n - 1), the
// calling thread taking part, and returns when all have run; callers write
// each index's result to its own slot, so results do not depend on which
// thread ran what. A pool of 0 workers runs everything on the caller.
//
// Thread-safety: ParallelFor may be called from many threads at once; the
// calls share the workers (each caller always makes progress on its own
// indexes, so one long scan never starves another). fn must not throw.
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

namespace quartet::store {

class ScanPool {
 public:
  // `workers` threads besides the callers'.
  explicit ScanPool(size_t workers);
  ~ScanPool();
  ScanPool(const ScanPool&) = delete;
  ScanPool& operator=(const ScanPool&) = delete;

  // Workers for this machine: one less than the cores, at most 7.
  static size_t DefaultWorkers();

  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  struct Job;
  void WorkerLoop();
  static void RunSome(Job& job);

  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<std::shared_ptr<Job>> jobs_;  // guarded by mu_
  bool stop_ = false;                      // guarded by mu_
  std::vector<std::thread> threads_;
};

}  // namespace quartet::store

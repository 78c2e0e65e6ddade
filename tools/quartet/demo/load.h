// The load generator of `quartet demo`: a steady, open-loop mix of requests
// to the checkout service — ordinary users' checkouts and order lookups, and
// the heavy user's checkouts at their own rate — so that latency and error
// figures come from real traffic. Open loop: requests are started on
// schedule whatever the earlier ones took (as real users do), by a small pool
// of worker threads; when the short queue in front of them is full a request
// is counted as skipped, so a slow service never builds an unbounded backlog
// in the generator.
//
// Thread-safety: Start/Stop from one thread; stats() from any thread.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace quartet::demo {

struct LoadMix {
  double ordinary_per_second = 20;   // /checkout (60%) and /orders/:id (40%) of ordinary users
  double heavy_per_second = 2;       // /checkout?user_id=42
  int64_t ordinary_users = 200'000;  // user ids 43 .. 42+ordinary_users
  int64_t orders = 12'000'000;       // order ids 1 .. orders
  int workers = 16;
};

struct LoadStats {
  int64_t sent = 0;
  int64_t ok = 0;       // 2xx
  int64_t failed = 0;   // non-2xx or no response
  int64_t skipped = 0;  // queue full at the scheduled time
  int64_t slow = 0;     // took over 500 ms
};

class LoadGenerator {
 public:
  LoadGenerator(std::string host, int port, LoadMix mix);
  ~LoadGenerator();  // Stop()
  LoadGenerator(const LoadGenerator&) = delete;
  LoadGenerator& operator=(const LoadGenerator&) = delete;

  void Start();
  void Stop();
  LoadStats stats() const;

 private:
  void Schedule();
  void Work();

  const std::string host_;
  const int port_;
  const LoadMix mix_;
  std::atomic<bool> stop_{false};
  std::thread scheduler_;
  std::vector<std::thread> workers_;

  std::mutex mu_;
  std::condition_variable ready_;
  std::deque<std::string> queue_;  // paths due, at most mix_.workers
  std::atomic<int64_t> sent_{0}, ok_{0}, failed_{0}, skipped_{0}, slow_{0};
};

}  // namespace quartet::demo

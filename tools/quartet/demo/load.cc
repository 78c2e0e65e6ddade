#include "tools/quartet/demo/load.h"

#include <httplib.h>

#include <chrono>
#include <random>

namespace quartet::demo {

using Clock = std::chrono::steady_clock;

LoadGenerator::LoadGenerator(std::string host, int port, LoadMix mix)
    : host_(std::move(host)), port_(port), mix_(mix) {}

LoadGenerator::~LoadGenerator() { Stop(); }

void LoadGenerator::Start() {
  stop_ = false;
  for (int i = 0; i < mix_.workers; ++i) workers_.emplace_back([this] { Work(); });
  scheduler_ = std::thread([this] { Schedule(); });
}

void LoadGenerator::Stop() {
  if (stop_.exchange(true)) return;
  ready_.notify_all();
  if (scheduler_.joinable()) scheduler_.join();
  for (std::thread& w : workers_) w.join();
  workers_.clear();
}

LoadStats LoadGenerator::stats() const {
  return {.sent = sent_, .ok = ok_, .failed = failed_, .skipped = skipped_, .slow = slow_};
}

// Poisson arrivals for each stream, merged: the next request is whichever
// stream's exponential clock fires first.
void LoadGenerator::Schedule() {
  std::mt19937_64 rng(std::random_device{}());
  std::exponential_distribution<double> ordinary_gap(std::max(mix_.ordinary_per_second, 1e-9));
  std::exponential_distribution<double> heavy_gap(std::max(mix_.heavy_per_second, 1e-9));
  std::uniform_int_distribution<int64_t> user(43, 42 + mix_.ordinary_users);
  std::uniform_int_distribution<int64_t> order(1, mix_.orders);
  std::uniform_real_distribution<double> coin(0, 1);
  auto seconds = [](double s) {
    return std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s));
  };
  Clock::time_point next_ordinary = Clock::now() + seconds(ordinary_gap(rng));
  Clock::time_point next_heavy = Clock::now() + seconds(heavy_gap(rng));
  while (!stop_) {
    bool heavy =
        mix_.heavy_per_second > 0 && (mix_.ordinary_per_second <= 0 || next_heavy < next_ordinary);
    Clock::time_point due = heavy ? next_heavy : next_ordinary;
    {
      std::unique_lock<std::mutex> lock(mu_);
      if (ready_.wait_until(lock, due, [this] { return stop_.load(); })) return;
      std::string path;
      if (heavy) {
        path = "/checkout?user_id=42";
        next_heavy = due + seconds(heavy_gap(rng));
      } else {
        path = coin(rng) < 0.6 ? "/checkout?user_id=" + std::to_string(user(rng))
                               : "/orders/" + std::to_string(order(rng));
        next_ordinary = due + seconds(ordinary_gap(rng));
      }
      if (queue_.size() >= static_cast<size_t>(mix_.workers)) {
        ++skipped_;
        continue;
      }
      queue_.push_back(std::move(path));
    }
    ready_.notify_one();
  }
}

void LoadGenerator::Work() {
  httplib::Client client(host_, port_);
  client.set_keep_alive(true);
  client.set_read_timeout(std::chrono::seconds(30));
  while (true) {
    std::string path;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ready_.wait(lock, [this] { return stop_ || !queue_.empty(); });
      if (stop_) return;
      path = std::move(queue_.front());
      queue_.pop_front();
    }
    ++sent_;
    Clock::time_point start = Clock::now();
    httplib::Result res = client.Get(path);
    if (Clock::now() - start > std::chrono::milliseconds(500)) ++slow_;
    if (res && res->status >= 200 && res->status < 300) {
      ++ok_;
    } else {
      ++failed_;
    }
  }
}

}  // namespace quartet::demo

// Test helper: an HTTP receiver on 127.0.0.1:<ephemeral> that records every
// POST /ingest (query name, from, until and body) and answers with scripted
// statuses (200 once the script runs out).
#pragma once

#include <httplib.h>

#include <chrono>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace quartet::profile_internal {

struct Captured {
  std::string name, from, until, sample_rate, spy, format, content_type, body;
};

class TestReceiver {
 public:
  explicit TestReceiver(std::vector<int> statuses = {}) : statuses_(std::move(statuses)) {
    server_.Post("/ingest", [this](const httplib::Request& req, httplib::Response& res) {
      std::lock_guard<std::mutex> lock(mu_);
      captured_.push_back(Captured{req.get_param_value("name"), req.get_param_value("from"),
                                   req.get_param_value("until"), req.get_param_value("sampleRate"),
                                   req.get_param_value("spyName"), req.get_param_value("format"),
                                   req.get_header_value("Content-Type"), req.body});
      size_t i = captured_.size() - 1;
      res.status = i < statuses_.size() ? statuses_[i] : 200;
    });
    port_ = server_.bind_to_any_port("127.0.0.1");
    thread_ = std::thread([this] { server_.listen_after_bind(); });
    while (!server_.is_running()) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  ~TestReceiver() {
    server_.stop();
    thread_.join();
  }
  std::string address() const { return "http://127.0.0.1:" + std::to_string(port_); }
  std::vector<Captured> captured() {
    std::lock_guard<std::mutex> lock(mu_);
    return captured_;
  }

 private:
  std::vector<int> statuses_;
  httplib::Server server_;
  int port_ = 0;
  std::thread thread_;
  std::mutex mu_;
  std::vector<Captured> captured_;
};

}  // namespace quartet::profile_internal

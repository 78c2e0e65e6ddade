// Test support: an OTLP/HTTP receiver on loopback (cpp-httplib) that keeps
// every request body it gets, per path (/v1/traces, /v1/logs, /v1/metrics),
// gunzipped when Content-Encoding says so, and answers with a status the
// test chooses. Thread-safe: the server thread appends, the test reads.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "tests/support/http_server.h"
#include "wire/otlp/model.h"

namespace quartet::testing {

class OtlpReceiver {
 public:
  OtlpReceiver();
  ~OtlpReceiver();

  std::string endpoint() const;  // "http://127.0.0.1:<port>"
  void set_status(int status) { status_ = status; }

  struct Request {
    std::string path;
    std::string content_type;
    std::string body;  // decompressed
  };
  std::vector<Request> Requests(const std::string& path) const;
  size_t Count(const std::string& path) const;
  // Every span received on /v1/traces, decoded with wire/otlp (a body that
  // does not decode fails the test). `service`, when given, gets the last
  // resource's service.name.
  std::vector<otlp::Span> Spans(std::string* service = nullptr) const;

 private:
  std::atomic<int> status_{200};
  mutable std::mutex mu_;
  std::vector<Request> requests_;
  TestHttpServer server_;  // last: stops before the rest goes
};

}  // namespace quartet::testing

// One HTTP/1.1 connection of quartetd as a byte-level state machine, with no
// socket calls: the worker (http_server.cc) appends received bytes to in(),
// calls Process(), and writes out(). Keeping I/O out makes the protocol logic
// — pipelining order, body framing, limits, error replies — testable with
// plain strings.
//
// Process() handles requests strictly in order: a request is answered before
// the next one is parsed, and parsing pauses while more than kMaxPendingOutput
// bytes of responses wait to be written, so a client pipelining requests
// without reading its responses cannot grow our memory. Per connection we hold
// at most: one request head (HeadLimits), one body (max_body_bytes, checked
// before it is received), and the pending output.
//
// Thread-safety: none; a connection belongs to one worker thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "server/http/http_message.h"
#include "server/http/router.h"
#include "wire/http/chunked.h"
#include "wire/http/request_head.h"

namespace quartet::server {

// Counters shared by every connection of one server.
struct ConnectionCounters {
  std::atomic<uint64_t> requests{0};
  std::atomic<uint64_t> responses_4xx{0};
  std::atomic<uint64_t> responses_5xx{0};
};

struct ConnectionConfig {
  const Router* router = nullptr;
  ConnectionCounters* counters = nullptr;
  http::HeadLimits head_limits;
  size_t max_body_bytes = 20 << 20;
  size_t gzip_min_bytes = 1024;  // responses larger than this are gzip'd on request
  // Set when the server stops: responses then say "Connection: close", also
  // those of handlers that were already running.
  const std::atomic<bool>* server_stopping = nullptr;
};

class Connection {
 public:
  static constexpr size_t kMaxPendingOutput = 256 << 10;

  Connection(const ConnectionConfig& config, std::string remote_address);

  // Received bytes go here; Process() consumes them.
  std::string& in() { return in_; }
  // Parses and answers every complete request in in(), appending responses
  // to out(). `now` stamps request starts for ReadTimedOut(). Never throws.
  void Process(std::chrono::steady_clock::time_point now);
  // Tells the connection the server is stopping: the next response carries
  // "Connection: close" and no further request is parsed.
  void SetStopping() { stopping_ = true; }

  // Bytes to write, starting at out_offset(); call Wrote(n) after a write.
  std::string_view pending_output() const { return std::string_view(out_).substr(out_offset_); }
  void Wrote(size_t n);

  // True once the last response is queued and the connection must close
  // after writing it (error, Connection: close, stopping).
  bool close_after_write() const { return close_after_write_; }
  // True while a request has started arriving but is not complete.
  bool mid_request() const;
  std::chrono::steady_clock::time_point request_started() const { return request_started_; }
  // Replies 408 and closes: the request took longer than the read timeout.
  void TimeOut();
  // Whether parsing is paused on output: the worker should wait for
  // writability rather than read more.
  bool output_blocked() const { return pending_output().size() >= kMaxPendingOutput; }

 private:
  enum class Phase { kHead, kBody, kChunked };

  void StartRequest(std::chrono::steady_clock::time_point now);  // phase kHead
  void Dispatch();
  void Respond(HttpResponse response, bool keep_alive);
  void RespondError(int status, std::string_view message);
  void ResetRequest();

  const ConnectionConfig& config_;
  const std::string remote_address_;
  std::string in_;
  size_t in_offset_ = 0;
  std::string out_;
  size_t out_offset_ = 0;

  Phase phase_ = Phase::kHead;
  http::RequestHead head_;
  HttpRequest request_;
  uint64_t body_left_ = 0;
  http::ChunkedDecoder chunked_;
  std::chrono::steady_clock::time_point request_started_{};
  bool close_after_write_ = false;
  bool stopping_ = false;
};

// The IMF-fixdate for `unix_seconds` ("Sun, 06 Nov 1994 08:49:37 GMT").
std::string HttpDate(int64_t unix_seconds);

}  // namespace quartet::server

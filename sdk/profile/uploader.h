// Uploader: pushes gzipped pprof profiles to a Pyroscope-compatible
// `POST /ingest` (Pyroscope's HTTP ingest API, format=pprof, raw gzipped
// body as application/octet-stream) from one background thread, with retry
// and exponential backoff on transport errors, 429 and 5xx. The queue is
// bounded: when the server is slower than the profiles come, the oldest
// waiting profile is dropped and counted. Nothing here blocks the caller of
// Enqueue.
//
//   name=<app>.cpu{service_name=..,service_version=..,env=..}&from=<s>
//   &until=<s>&sampleRate=<hz>&spyName=quartet-cpp&format=pprof
//
// Thread-safety: Enqueue, Shutdown and counters may be called from any thread.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <utility>
#include <vector>

namespace quartet::profile_internal {

struct UploadConfig {
  std::string server_address;  // "http://host:4040" (a trailing "/" is fine)
  std::string app_name;        // the service name
  std::map<std::string, std::string> tags;
  std::vector<std::pair<std::string, std::string>> headers;  // e.g. X-Scope-OrgID
  int sample_rate_hz = 100;
  std::chrono::milliseconds timeout{5000};
  int max_attempts = 3;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{8000};
  size_t max_queued = 4;
};

struct UploadCounters {
  std::atomic<uint64_t> uploaded{0};
  std::atomic<uint64_t> retries{0};
  std::atomic<uint64_t> failed{0};         // dropped after the last attempt or a 4xx
  std::atomic<uint64_t> queue_dropped{0};  // dropped because the queue was full
};

// Keeps characters Pyroscope accepts in an app name or tag ([A-Za-z0-9_.-/]
// and, in tag values, also ':' and '@'); everything else becomes '_'.
std::string SanitizeAppName(std::string_view s);
std::string SanitizeTagValue(std::string_view s);
// "app.cpu{k=v,...}" with the tags sorted by key.
std::string SeriesName(const UploadConfig& config, std::string_view profile_type);
// The full ingest URL for one profile.
std::string IngestUrl(const UploadConfig& config, std::string_view profile_type,
                      int64_t from_unix_s, int64_t until_unix_s);

class Uploader {
 public:
  Uploader(UploadConfig config, UploadCounters* counters);
  ~Uploader();  // Shutdown(0)
  Uploader(const Uploader&) = delete;
  Uploader& operator=(const Uploader&) = delete;

  // Queues one gzipped profile of `profile_type` ("cpu").
  void Enqueue(std::string body, std::string profile_type, int64_t from_unix_s,
               int64_t until_unix_s);
  // Sends what is queued (one attempt each, no backoff) until `deadline`
  // passes, then stops the thread; what is left is counted as failed.
  void Shutdown(std::chrono::milliseconds deadline);
  // For a forked child: forgets the thread without joining it.
  void Abandon();

 private:
  struct Item {
    std::string body;
    std::string type;
    int64_t from = 0;
    int64_t until = 0;
  };
  enum class Outcome { kOk, kRetry, kReject };

  void Run();
  Outcome Send(const Item& item, long timeout_ms);  // called without mu_

  UploadConfig config_;
  UploadCounters* counters_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::deque<Item> queue_;
  bool stopping_ = false;
  std::chrono::steady_clock::time_point deadline_;
  std::thread* thread_ = nullptr;
};

}  // namespace quartet::profile_internal

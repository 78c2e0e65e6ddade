// Shipper: the loop behind `quartet ship`. It tails files (tailer.h), turns
// lines into Loki entries (log_line.h), batches them by size and age, and
// pushes each batch to <server>/loki/api/v1/push as protobuf + snappy (or
// JSON). Delivery is at least once, in order per file:
//  - a batch is retried until the server takes it (2xx): 429, 5xx and
//    transport failures back off exponentially, honouring Retry-After;
//  - other 4xx mean the server will never take it: the server's message is
//    logged, the batch is skipped and counted;
//  - only then are the positions of its last lines saved (positions.h), so a
//    restart (even after kill -9) resends at most the batch that was in flight.
// Tailing pauses while a batch is retried (the files are the buffer), so
// memory stays bounded by one batch.
//
// Thread-safety: Run() on one thread; RequestStop() from any thread or a
// signal handler.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "base/status.h"
#include "tools/quartet/ship/positions.h"
#include "tools/quartet/ship/tailer.h"
#include "wire/loki/push.h"

namespace quartet::ship {

struct ShipOptions {
  std::vector<std::string> files;
  std::string server;     // base URL, e.g. http://127.0.0.1:4318
  loki::Labels labels;    // static labels, sorted, at least one
  std::string positions;  // "" = do not persist positions
  bool json = false;      // JSON push instead of protobuf + snappy
  size_t batch_bytes = 1 << 20;
  std::chrono::milliseconds batch_wait{1000};
  std::chrono::milliseconds poll_interval{100};
  std::chrono::milliseconds min_backoff{500};
  std::chrono::milliseconds max_backoff{30000};
  std::chrono::milliseconds request_timeout{10000};
  size_t max_line_bytes = 256 * 1024;  // Loki's default max_line_size
};

struct ShipStats {
  uint64_t lines_shipped = 0;
  uint64_t batches_shipped = 0;
  uint64_t batches_skipped = 0;  // rejected with a non-retryable 4xx
  uint64_t lines_skipped = 0;
  uint64_t retries = 0;
};

class Shipper {
 public:
  explicit Shipper(ShipOptions options);
  ~Shipper();

  // Loads positions and ships until RequestStop(); then makes a last attempt
  // (bounded by request_timeout) to push what is batched. Errors: unreadable
  // positions file, failure to save positions.
  Status Run();
  void RequestStop() { stop_.store(true); }

  ShipStats stats() const { return stats_; }

 private:
  struct Pending {
    size_t tailer;
    TailedLine line;
  };
  // Pushes pending_ until acknowledged or skipped (then saves positions and
  // clears it); false if stopped first.
  Result<bool> PushPending(bool final_attempt);
  Status Acknowledge();
  std::string BuildBody() const;
  // Sleeps up to `d`, waking early on stop; false if stopped.
  bool SleepFor(std::chrono::milliseconds d);

  ShipOptions options_;
  std::string url_;
  std::vector<std::unique_ptr<FileTailer>> tailers_;
  Positions positions_;
  std::vector<Pending> pending_;
  size_t pending_bytes_ = 0;
  std::atomic<bool> stop_{false};
  ShipStats stats_;
};

// Parses "250ms", "1s", "2m", or a bare number of milliseconds.
Result<std::chrono::milliseconds> ParseDuration(std::string_view text);

}  // namespace quartet::ship

// quartetd's configuration: command-line flags over an optional YAML file
// (--config), over defaults. Every setting has one name in both places
// (flag --http-listen = YAML http_listen). Unknown YAML keys, bad values and
// unknown flags are errors that name the key or flag. The sections a
// Prometheus config file has (global, scrape_configs, rule_files, ...) are
// accepted and reserved for the metrics part of quartetd.
//
//   data_dir: /var/lib/quartet
//   http_listen: 127.0.0.1:4318
//   grpc_listen: 127.0.0.1:4317  # "" turns OTLP/gRPC off
//   http:
//     workers: 8
//     max_body: 20MiB            # after decompression; larger -> 413
//   storage:
//     fsync: always              # always | interval | never (docs/formats/wal.md)
//     memory_limit: 1GiB         # per table; beyond it ingest gets 429 + Retry-After
//     max_streams: 100000        # log streams in memory (Loki's active streams)
//     retention: 7d
//     retention_size: 0          # bytes per table, 0 = no limit
//   limits:
//     max_value: 256KiB          # longest attribute value / log body accepted
//   notifications:               # alert notifications without an Alertmanager
//     resend_delay: 1m           # a firing alert is re-sent this often
//     webhooks:                  # Alertmanager's webhook payload (version 4)
//       - url: http://chat-bridge:9000/hook
//         send_resolved: true
//         name: oncall           # the payload's "receiver" (default "webhook")
//         send_report: true      # attach the incident report when it fires
//
// Plain values and pure functions; thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "base/status.h"
#include "server/config/prometheus_config.h"
#include "server/store/wal/wal.h"

namespace quartet::server {

struct WebhookNotification {
  std::string url;
  bool send_resolved = true;
  std::string name = "webhook";
  bool send_report = false;  // the first notification of a firing alert carries its report
};

struct NotificationsConfig {
  std::vector<WebhookNotification> webhooks;
  int64_t resend_delay_ms = 60'000;
};

struct ServerConfig {
  std::string data_dir;
  std::string http_listen = "127.0.0.1:4318";
  std::string grpc_listen = "127.0.0.1:4317";
  int http_workers = 8;
  size_t max_body_bytes = 20u << 20;
  store::SyncPolicy fsync = store::SyncPolicy::kAlways;
  size_t memory_limit_bytes = 1u << 30;
  size_t max_streams = 100000;
  std::chrono::seconds retention{7 * 24 * 3600};
  uint64_t retention_bytes = 0;
  size_t max_value_bytes = 256u << 10;
  std::string config_file;                     // "" when none
  std::vector<std::string> reserved_sections;  // Prometheus sections seen, not used yet
  PrometheusConfig prometheus;                 // global, scrape_configs, rule_files, alerting
  NotificationsConfig notifications;
};

// Parses argv (without the program name). InvalidArgument names the flag or
// the YAML key; `--help` gives FailedPrecondition with the usage text.
Result<ServerConfig> LoadConfig(const std::vector<std::string>& args);

// The usage text listing every flag.
std::string Usage();

// "20MiB", "1GiB", "512KiB", "1000", "64kB" -> bytes.
Result<uint64_t> ParseBytes(std::string_view text);

}  // namespace quartet::server

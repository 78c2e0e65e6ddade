// LogPipeline: the machinery behind quartet::Logger — a bounded ring of
// captured records (record_ring.h), one writer thread that renders them as
// JSON lines (log_line.h) into large buffered writes to stdout, stderr or an
// O_APPEND file, and an optional LogRecordSink (log_sink.h) for OTLP export.
// Init builds one with StartLogPipeline-style options and installs it as the
// global pipeline behind quartet::Log().
//
//   LogPipelineOptions options;
//   options.service = "checkout";
//   ASSIGN_OR_RETURN(auto pipeline, LogPipeline::Start(options));
//   InstallGlobalLogPipeline(pipeline);
//   ...
//   pipeline->Shutdown(std::chrono::seconds(5));  // writes everything buffered
//
// Thread-safety: every method may be called from any thread. The writer
// thread keeps the pipeline alive until Shutdown returns true (or forever if
// Shutdown is never called). A pipeline that was ever installed as the global
// one is kept alive for the life of the process, so a thread still logging
// through it while Init swaps pipelines never touches freed memory.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "base/status.h"
#include "quartet/log.h"
#include "sdk/log/bound_attrs.h"
#include "sdk/log/log_sink.h"
#include "sdk/log/record_ring.h"

namespace quartet {

struct LogPipelineOptions {
  std::string service = "unknown_service";  // the "service" field of every line
  LogLevel level = LogLevel::kInfo;
  // "stdout", "stderr" or a file path (opened O_WRONLY|O_APPEND|O_CREAT, 0644).
  std::string output = "stdout";
  int output_fd = -1;                   // when >= 0: write here instead of output (not closed)
  size_t buffer_records = 8192;         // ring capacity, rounded up to a power of two
  bool block_when_full = false;         // false: drop and count; true: the caller waits for space
  std::shared_ptr<LogRecordSink> sink;  // optional, called on the writer thread
  // Format and write on the caller's thread under a mutex, no writer thread
  // (the pre-Init logger; slow but needs no thread).
  bool synchronous = false;
};

class LogPipeline : public std::enable_shared_from_this<LogPipeline> {
 public:
  // Opens the output and starts the writer thread.
  static Result<std::shared_ptr<LogPipeline>> Start(LogPipelineOptions options) noexcept;
  ~LogPipeline();

  LogPipeline(const LogPipeline&) = delete;
  LogPipeline& operator=(const LogPipeline&) = delete;

  // A logger writing to this pipeline (not the global one).
  Logger logger() noexcept;

  LogLevel level() const noexcept { return static_cast<LogLevel>(level_.load()); }
  void SetLevel(LogLevel level) noexcept;

  // Waits until every record logged before the call is written (and handed
  // to the sink). False if the timeout passed first.
  bool Flush(std::chrono::nanoseconds timeout) noexcept;
  // Flush, then stop the writer thread. Records logged afterwards are
  // dropped and counted. False if the timeout passed first; idempotent.
  bool Shutdown(std::chrono::nanoseconds timeout) noexcept;

  // Records dropped because the ring was full (or the pipeline stopped).
  uint64_t dropped() const noexcept { return dropped_.load(std::memory_order_relaxed); }
  // Write calls that failed (the buffer's lines were lost).
  uint64_t write_errors() const noexcept { return write_errors_.load(std::memory_order_relaxed); }

  // The caller-thread half of Logger: capture and enqueue one record.
  void Submit(LogLevel level, std::string_view message, std::span<const LogAttr> attrs,
              const std::shared_ptr<const log_internal::BoundAttrs>& bound) noexcept;

 private:
  friend class Logger;
  explicit LogPipeline(LogPipelineOptions options);

  void SubmitSync(const log_internal::RecordHeader& h, std::string_view message,
                  std::string_view request_id, std::span<const LogAttr> attrs,
                  const log_internal::BoundAttrs* bound) noexcept;
  void WriterLoop() noexcept;
  void Render(const log_internal::RecordHeader& h, std::string_view message,
              std::string_view request_id, std::span<const LogAttr> attrs,
              const log_internal::BoundAttrs* bound, std::string* out) noexcept;
  void ReportDrops(std::string* out) noexcept;
  void WriteOut(std::string* buf) noexcept;
  void WakeWriter() noexcept;
  void WakeBlockedProducers() noexcept;

  const LogPipelineOptions options_;
  std::string service_json_;  // quoted once
  int fd_ = -1;
  bool owns_fd_ = false;
  std::atomic<int> level_;
  std::unique_ptr<log_internal::RecordRing> ring_;  // null when synchronous

  std::atomic<uint64_t> dropped_{0};
  std::atomic<uint64_t> write_errors_{0};
  uint64_t reported_drops_ = 0;  // writer thread (or sync_mu_) only

  // Writer wake-up: it naps briefly when idle, then sleeps on wake_cv_ with
  // sleeping_ set; producers notify only then (a missed notify costs at most
  // the 100 ms sleep timeout).
  std::atomic<bool> sleeping_{false};
  std::atomic<bool> stopping_{false};
  std::atomic<bool> exited_{false};
  std::atomic<bool> shut_down_{false};
  std::mutex wake_mu_;
  std::condition_variable wake_cv_;

  // Flush: waiters sleep until written_ (records fully written) passes their target.
  std::atomic<uint64_t> written_{0};
  std::atomic<int> flush_waiters_{0};
  std::mutex flush_mu_;
  std::condition_variable flush_cv_;

  // Block mode: producers wait on released_ changing.
  std::atomic<uint32_t> released_{0};
  std::atomic<int> blocked_{0};

  std::mutex sync_mu_;       // synchronous mode: serializes formatting and writes
  std::string sync_buffer_;  // guarded by sync_mu_

  std::thread writer_;
};

// Makes p the pipeline behind quartet::Log() and default Loggers. p is kept
// alive for the rest of the process (see the header comment).
void InstallGlobalLogPipeline(std::shared_ptr<LogPipeline> p) noexcept;
// Returns Log() to the pre-Init synchronous stderr pipeline.
void ResetGlobalLogPipeline() noexcept;
// The pipeline Log() writes to now (never null).
LogPipeline* GlobalLogPipeline() noexcept;

}  // namespace quartet

#include "sdk/log/log_pipeline.h"

#include <fcntl.h>
#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <new>

#include "base/clock.h"
#include "sdk/context/current.h"
#include "sdk/log/log_line.h"
#include "wire/json/json_writer.h"

namespace quartet {
namespace {

constexpr size_t kWriteChunk = 64 * 1024;  // write(2) once this much is buffered
constexpr size_t kMaxBatch = 4096;         // records per drain round before housekeeping

// Captures time and trace context on the caller's thread.
log_internal::RecordHeader Capture(LogLevel level, std::string_view* request_id) {
  log_internal::RecordHeader h;
  h.time_unix_nano = UnixNanos();
  h.level = level;
  if (const context_internal::Frame* f = context_internal::Current()) {
    if (f->span != nullptr && f->span->valid()) {
      h.has_span = 1;
      h.trace_id = f->span->trace_id;
      h.span_id = f->span->span_id;
      h.trace_flags = f->span->trace_flags;
    }
    *request_id = f->request_id;
  }
  return h;
}

}  // namespace

LogPipeline::LogPipeline(LogPipelineOptions options)
    : options_(std::move(options)), level_(static_cast<int>(options_.level)) {
  json::AppendString(&service_json_, options_.service);
}

Result<std::shared_ptr<LogPipeline>> LogPipeline::Start(LogPipelineOptions options) noexcept {
  try {
    std::shared_ptr<LogPipeline> p(new LogPipeline(std::move(options)));
    const LogPipelineOptions& o = p->options_;
    if (o.output_fd >= 0) {
      p->fd_ = o.output_fd;
    } else if (o.output == "stdout" || o.output.empty()) {
      p->fd_ = STDOUT_FILENO;
    } else if (o.output == "stderr") {
      p->fd_ = STDERR_FILENO;
    } else {
      p->fd_ = ::open(o.output.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
      if (p->fd_ < 0) {
        return Status::Unavailable("log output " + o.output + ": " + std::strerror(errno));
      }
      p->owns_fd_ = true;
    }
    if (!o.synchronous) {
      if (o.buffer_records == 0) return Status::InvalidArgument("log buffer_records must be > 0");
      p->ring_ = std::make_unique<log_internal::RecordRing>(o.buffer_records);
      p->writer_ = std::thread([self = p] { self->WriterLoop(); });
    }
    return p;
  } catch (const std::exception& e) {  // bad_alloc, or no thread could be created
    return Status::ResourceExhausted(std::string("log pipeline: ") + e.what());
  }
}

LogPipeline::~LogPipeline() {
  // Only reached once the writer thread (which holds a reference) has exited.
  if (writer_.joinable()) writer_.detach();
  if (owns_fd_) ::close(fd_);
}

Logger LogPipeline::logger() noexcept {
  Logger l;
  l.pipeline_ = shared_from_this();
  l.min_level_ = &level_;
  return l;
}

void LogPipeline::SetLevel(LogLevel level) noexcept {
  level_.store(static_cast<int>(level));
  if (GlobalLogPipeline() == this) {
    log_internal::g_global_min_level.store(static_cast<int>(level));
  }
}

void LogPipeline::Submit(LogLevel level, std::string_view message, std::span<const LogAttr> attrs,
                         const std::shared_ptr<const log_internal::BoundAttrs>& bound) noexcept {
  std::string_view request_id;
  const log_internal::RecordHeader h = Capture(level, &request_id);
  if (ring_ == nullptr) {
    SubmitSync(h, message, request_id, attrs, bound.get());
    return;
  }
  if (stopping_.load(std::memory_order_relaxed)) {
    dropped_.fetch_add(1, std::memory_order_relaxed);
    return;
  }
  const size_t size = log_internal::EncodedSize(message, request_id, attrs);
  char* heap = nullptr;
  if (size > log_internal::RecordRing::kInlineBytes) {
    heap = new (std::nothrow) char[size];
    if (heap == nullptr) {
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
  }
  log_internal::RecordRing::Slot* slot = ring_->TryClaim();
  while (slot == nullptr) {
    if (!options_.block_when_full || stopping_.load()) {
      delete[] heap;
      dropped_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    // Announce ourselves before re-checking, so the writer's release either
    // is seen by the re-check or notifies us (both sides are seq_cst).
    blocked_.fetch_add(1);
    const uint32_t seen = released_.load();
    slot = ring_->TryClaim();
    if (slot == nullptr && !stopping_.load()) {
      WakeWriter();
      released_.wait(seen);
    }
    blocked_.fetch_sub(1);
  }
  slot->heap = heap;
  if (bound != nullptr) slot->bound = bound;
  log_internal::EncodeRecord(h, message, request_id, attrs, slot->data());
  ring_->Publish(slot);
  if (sleeping_.load(std::memory_order_relaxed)) WakeWriter();
}

void LogPipeline::SubmitSync(const log_internal::RecordHeader& h, std::string_view message,
                             std::string_view request_id, std::span<const LogAttr> attrs,
                             const log_internal::BoundAttrs* bound) noexcept {
  std::lock_guard<std::mutex> lock(sync_mu_);
  try {
    Render(h, message, request_id,
           attrs.subspan(0, std::min(attrs.size(), log_internal::kMaxAttrs)), bound, &sync_buffer_);
  } catch (...) {  // bad_alloc while growing the buffer
    dropped_.fetch_add(1, std::memory_order_relaxed);
  }
  WriteOut(&sync_buffer_);
}

void LogPipeline::Render(const log_internal::RecordHeader& h, std::string_view message,
                         std::string_view request_id, std::span<const LogAttr> attrs,
                         const log_internal::BoundAttrs* bound, std::string* out) noexcept {
  log_internal::LineFields f;
  f.time_unix_nano = h.time_unix_nano;
  f.level = h.level;
  f.message = message;
  f.service_json = service_json_;
  if (bound != nullptr) f.bound_json = bound->json;
  f.attrs = attrs;
  f.has_span = h.has_span != 0;
  f.trace_id = h.trace_id;
  f.span_id = h.span_id;
  f.sampled = (h.trace_flags & kTraceFlagSampled) != 0;
  f.request_id = request_id;
  log_internal::AppendLogLine(f, out);

  if (options_.sink != nullptr) {
    LogRecordView v;
    v.time_unix_nano = h.time_unix_nano;
    v.level = h.level;
    v.severity_number = LogSeverityNumber(h.level);
    v.severity_text = LogLevelName(h.level);
    v.body = message;
    if (bound != nullptr) v.bound_attributes = bound->attrs;
    v.attributes = attrs;
    v.has_span = h.has_span != 0;
    v.trace_id = h.trace_id;
    v.span_id = h.span_id;
    v.trace_flags = h.trace_flags;
    v.request_id = request_id;
    options_.sink->OnRecord(v);
  }
}

void LogPipeline::ReportDrops(std::string* out) noexcept {
  const uint64_t total = dropped_.load(std::memory_order_relaxed);
  if (total == reported_drops_) return;
  const LogAttr attrs[] = {LogAttr("dropped", total - reported_drops_)};
  reported_drops_ = total;
  log_internal::LineFields f;
  f.time_unix_nano = UnixNanos();
  f.level = LogLevel::kWarn;
  f.message = "log records dropped: buffer full";
  f.service_json = service_json_;
  f.attrs = attrs;
  log_internal::AppendLogLine(f, out);
}

void LogPipeline::WriteOut(std::string* buf) noexcept {
  const char* p = buf->data();
  size_t left = buf->size();
  while (left > 0) {
    const ssize_t n = ::write(fd_, p, left);
    if (n > 0) {
      p += n;
      left -= static_cast<size_t>(n);
    } else if (n < 0 && errno == EINTR) {
      continue;
    } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
      pollfd pfd{fd_, POLLOUT, 0};
      ::poll(&pfd, 1, 100);
    } else {
      write_errors_.fetch_add(1, std::memory_order_relaxed);
      break;
    }
  }
  buf->clear();
}

void LogPipeline::WakeWriter() noexcept {
  std::lock_guard<std::mutex> lock(wake_mu_);
  sleeping_.store(false, std::memory_order_relaxed);
  wake_cv_.notify_one();
}

void LogPipeline::WakeBlockedProducers() noexcept {
  if (!options_.block_when_full) return;
  released_.fetch_add(1);
  if (blocked_.load() > 0) released_.notify_all();
}

void LogPipeline::WriterLoop() noexcept {
  std::string buf;
  std::vector<LogAttr> attrs;
  try {
    buf.reserve(2 * kWriteChunk);
    attrs.reserve(log_internal::kMaxAttrs);
  } catch (...) {
  }
  log_internal::DecodedRecord rec;
  int idle_rounds = 0;
  while (true) {
    size_t n = 0;
    while (log_internal::RecordRing::Slot* s = ring_->Front()) {
      try {
        log_internal::DecodeRecord(s->data(), &rec, &attrs);
        Render(rec.header, rec.message, rec.request_id, attrs, s->bound.get(), &buf);
      } catch (...) {  // bad_alloc: this record is lost; count it
        dropped_.fetch_add(1, std::memory_order_relaxed);
      }
      ring_->PopFront();
      if (buf.size() >= kWriteChunk) {
        WriteOut(&buf);
        WakeBlockedProducers();
      }
      if (++n == kMaxBatch) break;
    }
    try {
      ReportDrops(&buf);
    } catch (...) {
    }
    if (!buf.empty()) WriteOut(&buf);
    if (n > 0) WakeBlockedProducers();
    written_.store(ring_->consumed(), std::memory_order_release);
    if (flush_waiters_.load() > 0) {
      if (n == 0 && options_.sink != nullptr) options_.sink->OnFlush();
      std::lock_guard<std::mutex> lock(flush_mu_);
      flush_cv_.notify_all();
    }
    if (n > 0) {
      idle_rounds = 0;
      continue;
    }
    if (stopping_.load() && ring_->consumed() == ring_->claimed()) break;
    // Idle: short naps first (cheap for producers: no notify needed), then
    // a long sleep that producers must interrupt.
    if (++idle_rounds < 20 || flush_waiters_.load() > 0 || stopping_.load()) {
      std::this_thread::sleep_for(std::chrono::microseconds(idle_rounds < 10 ? 50 : 500));
      continue;
    }
    std::unique_lock<std::mutex> lock(wake_mu_);
    sleeping_.store(true, std::memory_order_relaxed);
    wake_cv_.wait_for(lock, std::chrono::milliseconds(100),
                      [&] { return !sleeping_.load(std::memory_order_relaxed); });
    sleeping_.store(false, std::memory_order_relaxed);
  }
  if (options_.sink != nullptr) options_.sink->OnFlush();
  exited_.store(true);
  std::lock_guard<std::mutex> lock(flush_mu_);
  flush_cv_.notify_all();
}

bool LogPipeline::Flush(std::chrono::nanoseconds timeout) noexcept {
  if (ring_ == nullptr) return true;  // synchronous: nothing is buffered
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  const uint64_t target = ring_->claimed();
  if (written_.load(std::memory_order_acquire) >= target) return true;
  flush_waiters_.fetch_add(1);
  WakeWriter();
  bool done;
  {
    std::unique_lock<std::mutex> lock(flush_mu_);
    done = flush_cv_.wait_until(lock, deadline, [&] {
      return written_.load(std::memory_order_acquire) >= target || exited_.load();
    });
    done = done && written_.load(std::memory_order_acquire) >= target;
  }
  flush_waiters_.fetch_sub(1);
  return done;
}

bool LogPipeline::Shutdown(std::chrono::nanoseconds timeout) noexcept {
  if (ring_ == nullptr) return true;
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  if (!shut_down_.exchange(true)) {
    stopping_.store(true);
    WakeWriter();
    released_.fetch_add(1);  // blocked producers re-check stopping_ and drop
    released_.notify_all();
  }
  flush_waiters_.fetch_add(1);
  bool exited;
  {
    std::unique_lock<std::mutex> lock(flush_mu_);
    exited = flush_cv_.wait_until(lock, deadline, [&] { return exited_.load(); });
  }
  flush_waiters_.fetch_sub(1);
  if (!exited) return false;
  // Join from one caller only; a concurrent Shutdown just reports success.
  static std::mutex join_mu;
  std::lock_guard<std::mutex> lock(join_mu);
  if (writer_.joinable() && writer_.get_id() != std::this_thread::get_id()) writer_.join();
  return true;
}

}  // namespace quartet

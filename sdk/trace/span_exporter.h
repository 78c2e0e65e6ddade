// SpanExporter: the interface the batch processor hands finished spans to,
// and InMemorySpanExporter, a thread-safe exporter for tests.
//
// Export is called from the processor's single export thread, never
// concurrently; it should return by `deadline` (the processor cannot
// interrupt it, but ForceFlush/Shutdown stop waiting for it at their own
// deadlines). Records are owned by the caller and valid only during the call.
#pragma once

#include <chrono>
#include <cstddef>
#include <mutex>
#include <span>
#include <vector>

#include "sdk/trace/span_record.h"

namespace quartet::trace_internal {

enum class ExportResult { kSuccess, kFailure };

using Deadline = std::chrono::steady_clock::time_point;

class SpanExporter {
 public:
  virtual ~SpanExporter() = default;
  virtual ExportResult Export(std::span<const SpanRecord* const> batch,
                              Deadline deadline) noexcept = 0;
  // Called once from the export thread after the last Export.
  virtual void Shutdown(Deadline deadline) noexcept {}
};

// Keeps copies of every exported record. Thread-safe.
class InMemorySpanExporter : public SpanExporter {
 public:
  ExportResult Export(std::span<const SpanRecord* const> batch,
                      Deadline deadline) noexcept override;
  void Shutdown(Deadline deadline) noexcept override;

  std::vector<SpanRecord> spans() const;
  size_t size() const;
  bool is_shutdown() const;
  void Clear();

 private:
  mutable std::mutex mu_;
  std::vector<SpanRecord> spans_;
  bool shutdown_ = false;
};

}  // namespace quartet::trace_internal

#include "sdk/trace/span_exporter.h"

namespace quartet::trace_internal {

ExportResult InMemorySpanExporter::Export(std::span<const SpanRecord* const> batch,
                                          Deadline) noexcept {
  std::lock_guard lock(mu_);
  if (shutdown_) return ExportResult::kFailure;
  for (const SpanRecord* r : batch) spans_.push_back(*r);
  return ExportResult::kSuccess;
}

void InMemorySpanExporter::Shutdown(Deadline) noexcept {
  std::lock_guard lock(mu_);
  shutdown_ = true;
}

std::vector<SpanRecord> InMemorySpanExporter::spans() const {
  std::lock_guard lock(mu_);
  return spans_;
}

size_t InMemorySpanExporter::size() const {
  std::lock_guard lock(mu_);
  return spans_.size();
}

bool InMemorySpanExporter::is_shutdown() const {
  std::lock_guard lock(mu_);
  return shutdown_;
}

void InMemorySpanExporter::Clear() {
  std::lock_guard lock(mu_);
  spans_.clear();
}

}  // namespace quartet::trace_internal

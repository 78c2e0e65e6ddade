// TraceCounters: the tracing pipeline's health counters, plain relaxed
// atomics that the metrics layer reads (and exports) without locks.
// Thread-safe.
#pragma once

#include <atomic>
#include <cstdint>

namespace quartet::trace_internal {

struct TraceCounters {
  std::atomic<uint64_t> spans_started{0};  // recording (sampled) spans started
  std::atomic<uint64_t> spans_ended{0};    // recording spans ended
  std::atomic<uint64_t> spans_dropped{0};  // ended but never exported: queue full or after shutdown
  std::atomic<uint64_t> spans_exported{0};   // handed to the exporter, which reported success
  std::atomic<uint64_t> export_failures{0};  // Export calls that failed (their spans are lost)
};

}  // namespace quartet::trace_internal

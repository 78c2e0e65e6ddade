// Exemplar slots: the latest {trace_id, span_id, value, time} recorded for a
// counter series or a histogram bucket while a sampled span was current.
//
// A slot is a seqlock over atomic words. Writers that find it busy skip their
// exemplar instead of waiting (the latest-wins policy loses nothing that
// matters), so recording never blocks; readers retry a few times and report
// "none" rather than spin on a writer.
//
// Thread-safety: any number of writers and readers.
#pragma once

#include <atomic>
#include <cstdint>

#include "quartet/context.h"

namespace quartet::context_internal {
struct Frame;
}

namespace quartet::metrics_internal {

struct ExemplarValue {
  TraceId trace_id;
  SpanId span_id;
  double value = 0;
  int64_t unix_nanos = 0;
};

class ExemplarSlot {
 public:
  // Records when `frame` carries a valid, sampled span; cheap otherwise.
  void RecordFromFrame(const context_internal::Frame* frame, double value) noexcept;
  void Record(const SpanContext& span, double value, int64_t unix_nanos) noexcept;
  // False when nothing was recorded yet (or a writer kept it busy).
  bool Read(ExemplarValue* out) const noexcept;

 private:
  std::atomic<uint64_t> seq_{0};         // odd while a writer is inside; 0: never written
  std::atomic<uint64_t> words_[5] = {};  // trace id (2), span id, value bits, time
};

}  // namespace quartet::metrics_internal

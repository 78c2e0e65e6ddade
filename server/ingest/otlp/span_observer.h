// SpanObserver: what OTLP trace ingest tells about every batch of spans it
// stored, for consumers that derive data from spans (span metrics,
// server/ingest/spanmetrics) without the ingest depending on them. The trace
// store takes the batch (its spans are moved in, not copied), so an observer
// reads it in two steps: Observe() before the batch goes to the store, taking
// what it needs into a Pending it owns; Commit() once the store accepted the
// batch. A batch the store refuses is never committed, so only stored spans
// count. Both run on the ingest thread, for HTTP and gRPC alike, with no
// store lock held.
//
// Thread-safety: implementations must accept concurrent calls, must be quick
// (they delay the export's response) and must not throw.
#pragma once

#include <memory>

#include "wire/otlp/model.h"

namespace quartet::ingest {

class SpanObserver {
 public:
  // What an observer took from one batch; only its observer looks inside.
  class Pending {
   public:
    virtual ~Pending() = default;
  };

  virtual ~SpanObserver() = default;
  // Reads `request` before the store consumes it; null: nothing to commit.
  virtual std::unique_ptr<Pending> Observe(
      const otlp::ExportTraceServiceRequest& request) noexcept = 0;
  // The store accepted the batch `pending` came from (null is ignored).
  virtual void Commit(std::unique_ptr<Pending> pending) noexcept = 0;
  // Both steps, for a batch that is already stored.
  void OnSpansStored(const otlp::ExportTraceServiceRequest& request) noexcept {
    Commit(Observe(request));
  }
};

}  // namespace quartet::ingest

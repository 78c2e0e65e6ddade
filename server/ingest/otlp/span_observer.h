// SpanObserver: what OTLP trace ingest tells about every batch of spans it
// stored, for consumers that derive data from spans (span metrics,
// server/ingest/spanmetrics) without the ingest depending on them. Called on
// the ingest thread after the trace store accepted the batch, for HTTP and
// gRPC alike.
//
// Thread-safety: implementations must accept concurrent calls, must be quick
// (they delay the export's response) and must not throw.
#pragma once

#include "wire/otlp/model.h"

namespace quartet::ingest {

class SpanObserver {
 public:
  virtual ~SpanObserver() = default;
  virtual void OnSpansStored(const otlp::ExportTraceServiceRequest& request) noexcept = 0;
};

}  // namespace quartet::ingest

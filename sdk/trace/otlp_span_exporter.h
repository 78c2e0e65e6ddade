// OtlpSpanExporter: encodes each batch of span records as one OTLP/protobuf
// ExportTraceServiceRequest (wire/otlp's streaming TraceRequestBuilder, one
// resource, scope "quartet") and hands the bytes to a sender callback; Init
// wires the callback to the HTTP transport with retries (sdk/export) posting
// to /v1/traces.
//
// Called only from the batch processor's export thread (not thread-safe
// otherwise); the encoding buffer is reused between batches.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sdk/trace/span_exporter.h"
#include "sdk/trace/span_record.h"

namespace quartet::otlp {
class TraceRequestBuilder;
}

namespace quartet::trace_internal {

// Delivers one encoded request body by `deadline`; kFailure if it could not.
using OtlpSender = std::function<ExportResult(std::string_view body, Deadline deadline)>;

class OtlpSpanExporter : public SpanExporter {
 public:
  OtlpSpanExporter(const std::vector<KeyValue>& resource, OtlpSender sender,
                   std::string_view scope_name = "quartet",
                   std::string_view scope_version = "0.1.0");
  ~OtlpSpanExporter() override;

  ExportResult Export(std::span<const SpanRecord* const> batch,
                      Deadline deadline) noexcept override;
  void Shutdown(Deadline deadline) noexcept override { shutdown_ = true; }

  // The request body for `batch` (what Export sends); exposed for tests.
  std::string Encode(std::span<const SpanRecord* const> batch);

 private:
  OtlpSender sender_;
  std::unique_ptr<otlp::TraceRequestBuilder> builder_;
  bool shutdown_ = false;
};

}  // namespace quartet::trace_internal

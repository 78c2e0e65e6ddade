// LogRecordSink: where a log pipeline hands each record, in structured form,
// besides writing its JSON line — the hook for OTLP log export (Init wires an
// exporter here when OTEL_LOGS_EXPORTER=otlp). Implementations are called on
// the pipeline's writer thread only (one call at a time), must not block for
// long (they delay every line behind them) and must copy what they keep: the
// view's data is valid only during the call.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>

#include "quartet/context.h"
#include "quartet/log.h"

namespace quartet {

struct LogRecordView {
  int64_t time_unix_nano = 0;
  LogLevel level = LogLevel::kInfo;
  int severity_number = 9;                    // OTel SeverityNumber: 5, 9, 13, 17
  std::string_view severity_text;             // "DEBUG", "INFO", "WARN", "ERROR"
  std::string_view body;                      // the message
  std::span<const LogAttr> bound_attributes;  // from Logger::With, original keys
  std::span<const LogAttr> attributes;        // the call's, original keys
  bool has_span = false;                      // trace_id/span_id/trace_flags are set
  TraceId trace_id;
  SpanId span_id;
  uint8_t trace_flags = 0;
  std::string_view request_id;  // empty when none
};

class LogRecordSink {
 public:
  virtual ~LogRecordSink() = default;
  virtual void OnRecord(const LogRecordView& record) noexcept = 0;
  // Called after the pipeline drained everything for Flush or Shutdown.
  virtual void OnFlush() noexcept {}
};

}  // namespace quartet

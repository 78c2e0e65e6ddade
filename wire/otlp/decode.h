// Decoding of OTLP/protobuf request bodies (ExportTraceServiceRequest,
// ExportLogsServiceRequest, ExportMetricsServiceRequest) into the owning model
// of model.h. Accepts everything a conforming sender may do: zero values
// omitted or written, repeated scalars packed or unpacked, unknown fields
// skipped, fields in any order, a repeated message field split across the
// input. Rejects malformed protobuf and OTLP rule violations (ids of the
// wrong length, histogram bucket/bound count mismatch) with a status whose
// message names the field path, e.g.
//   "resource_spans[0].scope_spans[1].spans[3].trace_id: must be 16 bytes, got 15".
// Codes: kOutOfRange for truncated input, kInvalidArgument otherwise (a
// server answers both with 400), and kResourceExhausted when the decoded
// structs would take more than 32x the input's size in memory (only
// adversarial input does: see kBudgetPerInputByte; a server answers 413).
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "wire/otlp/model.h"

namespace quartet::otlp {

Result<ExportTraceServiceRequest> DecodeTraces(std::string_view protobuf);
Result<ExportLogsServiceRequest> DecodeLogs(std::string_view protobuf);
Result<ExportMetricsServiceRequest> DecodeMetrics(std::string_view protobuf);

}  // namespace quartet::otlp

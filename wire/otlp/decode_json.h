// Decoding of OTLP/JSON request bodies (the JSON mapping of the same
// Export*ServiceRequest messages as decode.h) into the owning model of
// model.h. Follows the OTLP/JSON rules (opentelemetry-proto
// docs/specification.md, "JSON Protobuf Encoding"): lowerCamelCase keys,
// trace/span ids as hex (not base64), enums as integers, 64-bit integers as
// decimal strings or JSON numbers (observed: "intValue":42), bytesValue as
// base64, doubles as numbers or "NaN"/"Infinity"/"-Infinity". Unknown keys
// and null values are ignored. Errors name the path with the JSON keys:
//   "resourceSpans[0].scopeSpans[0].spans[2].traceId: must be 32 hex digits, got 31 chars".
// Pure functions; thread-safe.
#pragma once

#include <string_view>

#include "base/status.h"
#include "wire/otlp/model.h"

namespace quartet::otlp {

Result<ExportTraceServiceRequest> DecodeTracesJson(std::string_view json);
Result<ExportLogsServiceRequest> DecodeLogsJson(std::string_view json);
Result<ExportMetricsServiceRequest> DecodeMetricsJson(std::string_view json);

}  // namespace quartet::otlp

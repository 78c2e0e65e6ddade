// Encoding of the owning OTLP model (model.h) to OTLP/protobuf: the inverse
// of decode.h, used by the server (e.g. forwarding, Tempo-style protobuf
// responses) and by round-trip tests. The SDK's hot path uses the streaming
// builders of encode.h instead. Zero values are omitted, as protobuf
// serializers do, so Decode(Encode(x)) == x. Pure functions; thread-safe.
#pragma once

#include <string>

#include "wire/otlp/model.h"

namespace quartet::otlp {

std::string EncodeTraces(const ExportTraceServiceRequest& request);
std::string EncodeLogs(const ExportLogsServiceRequest& request);
std::string EncodeMetrics(const ExportMetricsServiceRequest& request);

}  // namespace quartet::otlp

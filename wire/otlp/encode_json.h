// Encoding of the owning OTLP model (model.h) as JSON: the OTLP/JSON mapping
// (lowerCamelCase keys, hex ids, enums as integers, 64-bit integers as
// decimal strings) or Tempo's variant of it, which its trace-by-id API
// returns and Grafana reads (ids in base64, enums by name, e.g.
// "SPAN_KIND_SERVER", "STATUS_CODE_ERROR"). Also the text and JSON forms of a
// single AnyValue, for log lines and label values. Pure functions;
// thread-safe.
#pragma once

#include <string>

#include "wire/otlp/model.h"

namespace quartet::otlp {

enum class JsonStyle {
  kOtlp,   // opentelemetry-proto docs/specification.md "JSON Protobuf Encoding"
  kTempo,  // grafana/tempo api: base64 ids, enum names
};

// `{"resourceSpans":[...]}` (kOtlp) or `{"batches":[...]}` (kTempo).
std::string EncodeTracesJson(const ExportTraceServiceRequest& request, JsonStyle style);

// Appends `value` as the OTLP/JSON AnyValue object, e.g. {"stringValue":"x"}.
void AppendAnyValueJson(std::string* out, const AnyValue& value);
// Appends `attributes` as an OTLP/JSON array of {"key","value"} objects.
void AppendKeyValuesJson(std::string* out, const std::vector<KeyValue>& attributes);

// The plain text of a value: strings as they are, numbers and booleans as
// JSON spells them, bytes in base64, arrays and maps as compact JSON
// (`["a",1]`, `{"k":"v"}`); "" for an empty value.
std::string AnyValueText(const AnyValue& value);

}  // namespace quartet::otlp

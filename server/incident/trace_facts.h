// What the incident engine reads from one trace, relative to one service:
// the request (the service's entry span: its topmost span in the trace), and
// for the sampled requests the details the four questions need — attribute
// values (who), the critical-path time and error origins per span signature
// (where), numeric attributes and upstream statuses of failed calls (why).
// Extraction is bounded for untrusted traces (depth, attribute sizes).
// Pure functions over otlp values; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "quartet/context.h"
#include "wire/otlp/model.h"

namespace quartet::incident {

// The service's request in a trace.
struct RequestFacts {
  TraceId trace_id;
  SpanId entry_span_id;
  int64_t start_ns = 0;
  int64_t duration_ns = 0;
  bool error = false;   // entry span status ERROR or HTTP status >= 500
  std::string route;    // http.route of the entry span, else its name
  std::string version;  // service.version of its resource, "" when absent
};

// A span signature: what "where" names. `detail` distinguishes spans of the
// same name, e.g. the query text of a database call.
struct SpanSignature {
  std::string service, name, kind, detail_key, detail;
  // A map key; Decode reverses it.
  std::string Encode() const;
  static SpanSignature Decode(std::string_view key);
};

struct RequestDetail {
  // Categorical attribute values of the request's spans and resources, and
  // later of its log lines: (key, value), each pair once.
  std::vector<std::pair<std::string, std::string>> features;
  // Numeric measurements (e.g. rows), the largest per key; `log_keys` names
  // those that came from log lines.
  std::vector<std::pair<std::string, double>> numbers;
  std::vector<std::string> log_keys;
  // Categorical keys only log lines gave (no span of the request has them):
  // their shares count only requests whose logs were read.
  std::vector<std::string> log_feature_keys;
  bool logs_read = false;
  // Time on the critical path of the entry span per span signature (encoded).
  std::vector<std::pair<std::string, int64_t>> critical_ns;
  // Signatures (encoded) of error spans none of whose children failed.
  std::vector<std::string> error_origins;
  // Failed outgoing calls: (upstream, status), e.g. ("payments:443", "503").
  std::vector<std::pair<std::string, std::string>> upstream_errors;
  // Exceptions the request failed with: (exception.type, exception.message)
  // from the exception events of its failed spans, the status message of a
  // failed span that is not a client call, and log lines' exception.*
  // attributes.
  std::vector<std::pair<std::string, std::string>> exceptions;
  // Feature keys that only spans below the entry span carry (e.g. a
  // database call's server.address): they describe where a request went,
  // less who sent it.
  std::vector<std::string> inner_keys;
  // (service.name, service.version) of the other services in the request's
  // subtree (the callees).
  std::vector<std::pair<std::string, std::string>> callee_versions;
};

// Whether a numeric attribute names something (an id, a code, a version)
// rather than measures something; named values are categorical.
bool IsNamingKey(std::string_view key);

// Whether (key, value) only restates that the request failed (an HTTP
// status >= 500, a gRPC status other than OK, error=true, an error.type)
// or is the exception it failed with: not an answer to "who".
bool RestatesFailure(std::string_view key, std::string_view value);

// Finds the request of `service` in `trace`; false when the service has no
// span in it.
bool ExtractRequest(const otlp::ExportTraceServiceRequest& trace, std::string_view service,
                    RequestFacts* out);

// The details of the request whose entry span is `entry` (ExtractRequest's).
RequestDetail ExtractDetail(const otlp::ExportTraceServiceRequest& trace, const SpanId& entry);

// Adds a log line's structured metadata to `detail` (categorical values to
// features, measurements to numbers, exception.type/exception.message to
// exceptions); ids and timestamps are skipped.
void AddLogAttributes(const std::vector<std::pair<std::string, std::string>>& metadata,
                      RequestDetail* detail);

// Sorts and deduplicates features and keeps the largest number per key.
void Normalize(RequestDetail* detail);

}  // namespace quartet::incident

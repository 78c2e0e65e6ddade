// How OTLP log records become log streams (store::LogStream), the way Loki's
// own OTLP endpoint maps them, so LogQL reads both alike:
//   - stream labels: a fixed list of low-cardinality resource attributes
//     (service.name, service.namespace, deployment.environment, k8s.*, ...),
//     dots turned into underscores (service_name); `service_name` is always
//     present ("unknown_service" when the resource has none);
//   - line: the body (strings as they are, other values as compact JSON);
//   - structured metadata: the record's attributes and the other resource
//     attributes (dots -> underscores), severity_text, severity_number,
//     scope_name, trace_id and span_id (hex);
//   - timestamp: time_unix_nano, else observed_time_unix_nano, else `now_ns`.
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <vector>

#include "server/store/interface.h"
#include "wire/otlp/model.h"

namespace quartet::ingest {

std::vector<store::LogStream> LogStreamsFromOtlp(const otlp::ExportLogsServiceRequest& request,
                                                 int64_t now_ns);

// `service.name` -> `service_name`: Prometheus/Loki label names allow only
// [a-zA-Z0-9_]; other characters become '_', a leading digit gets a '_'.
std::string SanitizeLabelName(std::string_view name);

}  // namespace quartet::ingest

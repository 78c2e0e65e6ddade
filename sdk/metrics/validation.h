// Prometheus naming rules for metric and label names, UTF-8 checks for label
// values, and the mapping of resource attribute keys to label names
// ("service.name" -> "service_name", as Prometheus' OTLP translation does).
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>

#include "base/status.h"

namespace quartet::metrics_internal {

// [a-zA-Z_:][a-zA-Z0-9_:]*, not starting with "__" (reserved).
Status ValidateMetricName(std::string_view name);
// [a-zA-Z_][a-zA-Z0-9_]*, not starting with "__"; "le" is reserved on
// histograms (it carries the bucket bound).
Status ValidateLabelName(std::string_view name, bool histogram);
bool IsValidUtf8(std::string_view s);
// Invalid characters become '_'; a leading digit gets a "key_" prefix; an
// empty key becomes "key"; a result starting with "__" keeps one underscore
// less, so it is never reserved.
std::string SanitizeLabelName(std::string_view key);

}  // namespace quartet::metrics_internal

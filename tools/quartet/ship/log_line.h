// How `quartet ship` turns one line read from a file into a Loki entry and
// the extra labels of its stream. Lines in the SDK's JSON format
// (docs/formats/log_lines.md) keep their text unchanged and contribute:
//   - the timestamp, from `time` (RFC 3339, any fraction up to ns, Z or
//     +-hh:mm offset);
//   - labels `service_name` (from `service`, unless the --labels already name
//     a service) and `level` (lowercased: Loki's detected_level convention),
//     both low-cardinality;
//   - structured metadata `trace_id`, `span_id`, `request_id`: high
//     cardinality, so never labels.
// Anything else (not JSON, not an object, no usable `time`) is shipped as-is
// with the time it was read.
//
// Thread-safety: pure functions; safe to call concurrently.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "wire/loki/push.h"

namespace quartet::ship {

struct ShippedLine {
  loki::Labels labels;  // the static labels plus the line's own; sorted
  loki::Entry entry;
};

// `static_labels` must be sorted (loki::SortLabels); `read_time_ns` is used
// when the line carries no usable time.
ShippedLine ParseLine(std::string text, int64_t read_time_ns, const loki::Labels& static_labels);

// Parses an RFC 3339 timestamp into unix nanoseconds; nullopt when malformed.
std::optional<int64_t> ParseRfc3339Nanos(std::string_view text);

// Parses `name=value,name=value` (the --labels flag) into sorted labels;
// InvalidArgument naming the bad pair.
Result<loki::Labels> ParseLabelsFlag(std::string_view text);

}  // namespace quartet::ship

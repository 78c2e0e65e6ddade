// The Loki push API (POST /loki/api/v1/push) as plain structs, and its two
// wire encodings: JSON (`{"streams":[{"stream":{...},"values":[...]}]}`) and
// protobuf (grafana/loki pkg/push/push.proto: PushRequest / StreamAdapter /
// EntryAdapter). Decoders take untrusted bytes and return precise errors that
// name the offending path, e.g.
//   streams[0].values[3][0]: timestamp must be a decimal string of nanoseconds, got "abc"
// The protobuf decoder expects the body already snappy-decoded
// (wire/compress/snappy.h). Decoding checks the shape (labels parse, sorted,
// unique; timestamps in range); Validate() applies Loki's per-tenant limits
// (label counts and lengths, line size), which a server may configure.
// What we accept is documented in docs/formats/loki_push.md.
//
// Thread-safety: plain values and pure functions; safe to use concurrently.
//
//   ASSIGN_OR_RETURN(std::string raw, compress::SnappyDecompress(body, kMaxBody));
//   ASSIGN_OR_RETURN(loki::PushRequest push, loki::DecodePushProtobuf(raw));
//   RETURN_IF_ERROR(loki::Validate(push, loki::Limits{}));
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "base/status.h"
#include "wire/loki/label_set.h"

namespace quartet::loki {

struct Entry {
  int64_t timestamp_ns = 0;  // unix nanoseconds, >= 0
  std::string line;
  // Name/value pairs in the order sent (Loki keeps them unsorted too).
  std::vector<std::pair<std::string, std::string>> structured_metadata;

  friend bool operator==(const Entry&, const Entry&) = default;
};

struct Stream {
  Labels labels;  // sorted by name, names unique (see label_set.h)
  std::vector<Entry> entries;

  friend bool operator==(const Stream&, const Stream&) = default;
};

struct PushRequest {
  std::vector<Stream> streams;

  friend bool operator==(const PushRequest&, const PushRequest&) = default;
};

// Loki's per-tenant ingestion limits, with Loki's defaults
// (pkg/validation/limits.go). Zero disables a limit.
struct Limits {
  size_t max_label_names_per_series = 15;
  size_t max_label_name_length = 1024;
  size_t max_label_value_length = 2048;
  size_t max_line_size = 256 * 1024;
  size_t max_structured_metadata_entries = 128;
  size_t max_structured_metadata_bytes = 64 * 1024;  // names + values, per entry
};

// JSON push body. Label values that are JSON numbers or booleans are
// stringified (their source text; pino-loki sends `"level":30`); timestamps
// are decimal strings of nanoseconds, JSON integers also accepted; values are
// [ts, line] or [ts, line, {structured metadata}].
Result<PushRequest> DecodePushJson(std::string_view body);

// Protobuf push body (after snappy). Unknown fields are skipped; the
// per-stream `hash` is ignored (it is recomputed from the labels).
Result<PushRequest> DecodePushProtobuf(std::string_view body);

// Checks `push` against `limits`: at least one label per stream, label
// name/value lengths, label count, line size, structured metadata bounds.
// InvalidArgument naming the stream (by its labels) and the entry index.
Status Validate(const PushRequest& push, const Limits& limits);

// Encoders for senders (quartet ship) and tests; the output decodes back to
// `push`. JSON timestamps are strings; metadata objects appear only when
// non-empty. Protobuf is not compressed (wrap it with SnappyCompress).
std::string EncodePushJson(const PushRequest& push);
std::string EncodePushProtobuf(const PushRequest& push);

}  // namespace quartet::loki

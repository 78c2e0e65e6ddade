// The WAL record of the log table: a batch of LogStreams in protobuf wire
// format (our own schema, documented in docs/formats/wal.md):
//   Batch   { repeated Stream streams = 1; }
//   Stream  { repeated Label labels = 1; repeated Entry entries = 2; }
//   Label   { string name = 1; string value = 2; }
//   Entry   { int64 timestamp_ns = 1; bytes line = 2; repeated Label metadata = 3;
//             bytes trace_id = 4; bytes span_id = 5; }
// Pure functions; thread-safe.
//
// The encoder sizes each message before writing it, so nested lengths are
// written in place (no reserve-and-shift) into a buffer the caller may reuse
// across batches: steady-state ingest encodes without fresh allocations.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/interface.h"

namespace quartet::store {

std::string EncodeLogBatch(const std::vector<LogStream>& streams);
// Appends the encoding of `streams` to *out (whatever *out already holds, e.g.
// a record type byte, is kept).
void AppendLogBatch(const std::vector<LogStream>& streams, std::string* out);
Result<std::vector<LogStream>> DecodeLogBatch(std::string_view bytes);

}  // namespace quartet::store

// The WAL record of the log table: a batch of LogStreams in protobuf wire
// format (our own schema, documented in docs/formats/wal.md):
//   Batch   { repeated Stream streams = 1; }
//   Stream  { repeated Label labels = 1; repeated Entry entries = 2; }
//   Label   { string name = 1; string value = 2; }
//   Entry   { int64 timestamp_ns = 1; bytes line = 2; repeated Label metadata = 3;
//             bytes trace_id = 4; bytes span_id = 5; }
// Pure functions; thread-safe.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"
#include "server/store/interface.h"

namespace quartet::store {

std::string EncodeLogBatch(const std::vector<LogStream>& streams);
Result<std::vector<LogStream>> DecodeLogBatch(std::string_view bytes);

}  // namespace quartet::store

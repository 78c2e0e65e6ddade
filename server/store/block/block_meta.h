// BlockMeta: what the catalog knows about a block without reading its
// columns: id, time range, row count, compaction level and the ids of the
// blocks it replaced. Stored as the block's meta JSON (docs/formats/block.md).
// Also NewBlockId, the time-ordered id of new blocks. Value types and pure
// functions: thread-compatible.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "base/status.h"

namespace quartet::store {

struct BlockMeta {
  std::string id;  // NewBlockId(): [0-9A-Z], sorts by creation time
  int64_t min_time_ns = 0;
  int64_t max_time_ns = 0;  // inclusive
  uint64_t rows = 0;
  uint32_t level = 0;                // 0 = flushed from a head; n+1 = compacted from level n
  std::vector<std::string> sources;  // ids of the blocks this one replaced
  std::string extra_json = "{}";     // the table's own fields: a JSON object
  uint64_t bytes = 0;                // file size; filled in by the catalog, not stored

  // {"id":..,"min_time_ns":..,"max_time_ns":..,"rows":..,"level":..,
  //  "sources":[..],"extra":{..}}
  std::string ToJson() const;
  // Validates types, the id alphabet and min <= max; InvalidArgument on error.
  static Result<BlockMeta> FromJson(std::string_view json);
};

// 26 characters of Crockford base32: 48 bits of milliseconds since the epoch
// then 80 random bits, so ids sort by creation time (like a ULID).
std::string NewBlockId(int64_t unix_nanos);

// True for ids made of [0-9A-Za-z_-], 1..64 long: safe as file names.
bool IsValidBlockId(std::string_view id);

}  // namespace quartet::store

// Which write-ahead-log segments a block already holds, as every table
// records it in the block's meta (extra_json {"wal_until": N}): the block
// has every record of segments < N, so on Open the table deletes those
// segments before replaying the rest, and a crash between writing a block and
// deleting its segments never duplicates data (docs/formats/block.md).
// Pure functions; thread-safe.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace quartet::store {

// {"wal_until":N}
std::string WalUntilJson(uint64_t segment);
// N from a meta extra_json; 0 when missing or malformed (nothing covered).
uint64_t ParseWalUntil(std::string_view extra_json);

}  // namespace quartet::store
